"""Splitting scripts into statements and translating Supabase SQL for SQLite."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from database.errors import (
    InternalTableAccess,
    SqlScriptError,
    TableNameCollision,
    UnsupportedSql,
)
from database.sqlscript import (
    NOW_SQL,
    UUID_V4_SQL,
    ColumnTypeChange,
    Statement,
    changes_column_type,
    split_statements,
    tokenize,
    translate,
    translate_statement,
)
from database.sqlscript.view_options import (
    SECURITY_INVOKER_MARK,
    ViewSecurity,
    is_security_invoker,
    with_security_invoker,
)
from koyalite.errors import KoyaError


def texts(script: str) -> list[str]:
    return [s.text for s in split_statements(script)]


def sql(text: str, number: int = 1, line: int = 1) -> str:
    return translate(Statement(number, line, text))


def significant(text: str) -> list[str]:
    return [t.text for t in tokenize(text) if t.is_significant and t.text != ";"]


# ---------------------------------------------------------------- splitting


def test_split_numbers_statements_and_gives_the_line_of_their_first_token() -> None:
    script = "-- setup\ncreate table a (x int);\n\n  /* b */ insert into a\nvalues (1);"

    statements = split_statements(script)

    assert statements == [
        Statement(1, 2, "create table a (x int)"),
        Statement(2, 4, "insert into a\nvalues (1)"),
    ]


@pytest.mark.parametrize(
    "script",
    [
        "select 'a;b', 'it''s;'",
        'select 1 as "a;b"',
        "select 1 -- a; comment\n+ 1",
        "select 1 /* a; /* nested; */ still; */ + 1",
        "select $$a;b$$",
        "select $body$ $$;$$ ; $body$",
        r"select E'it\'s;'",
    ],
)
def test_semicolons_inside_strings_names_comments_and_dollar_quotes_do_not_split(
    script: str,
) -> None:
    assert texts(script + ";select 2;") == [script, "select 2"]


def test_empty_statements_and_comment_only_statements_are_dropped() -> None:
    assert texts(";; -- nothing\n; /* nor this */ ;select 1;;") == ["select 1"]


def test_the_last_statement_needs_no_semicolon() -> None:
    assert texts("select 1; select 2 -- trailing comment") == ["select 1", "select 2"]


def test_a_positional_parameter_is_not_a_dollar_quote() -> None:
    assert texts("select $1; select $2") == ["select $1", "select $2"]


def test_an_unterminated_string_runs_to_the_end_of_the_script() -> None:
    assert texts("select 1; select 'oops; select 2;") == [
        "select 1",
        "select 'oops; select 2;",
    ]


def test_a_sqlite_trigger_body_stays_one_statement() -> None:
    trigger = (
        "create trigger t after insert on a begin\n"
        "  update a set x = case when new.x > 0 then 1 else 0 end where id = new.id;\n"
        "  delete from b where id = new.id;\n"
        "end"
    )

    assert texts(f"{trigger};\nselect 1;") == [trigger, "select 1"]


def test_a_case_expression_outside_a_trigger_does_not_hold_semicolons() -> None:
    script = "select case when true then 1 end; select 2"

    assert texts(script) == ["select case when true then 1 end", "select 2"]


SQL_PIECES = st.sampled_from(
    [
        "$$", "$a$", "$1", "'", "''", '"', "--", "/*", "*/", ";", "\n", " ", "E'",
        "\\", "begin", "end", "case", "create trigger", "create function", "x",
        "1.5e3", "::", "(", ")", "[", "]", ".", "é", "\t", "-", "/", "*",
    ]
)  # fmt: skip
SQL_LIKE = st.lists(SQL_PIECES | st.text(max_size=3), max_size=40).map("".join)


@settings(max_examples=400)
@given(st.text() | SQL_LIKE)
def test_split_never_raises_and_keeps_every_token(script: str) -> None:
    statements = split_statements(script)

    rejoined = [token for s in statements for token in significant(s.text)]
    assert rejoined == significant(script)
    assert [s.number for s in statements] == list(range(1, len(statements) + 1))
    for statement in statements:
        assert statement.text and statement.text == statement.text.lstrip()


@settings(max_examples=400)
@given(st.text() | SQL_LIKE)
def test_translate_raises_only_koya_errors(script: str) -> None:
    for statement in split_statements(script):
        # Tokens kept from splitting translate as a fresh scan of the text does.
        rescanned = Statement(statement.number, statement.line, statement.text)
        try:
            translated = translate(statement)
        except KoyaError as error:
            with pytest.raises(type(error)):
                translate(rescanned)
        else:
            assert translate(rescanned) == translated


# ---------------------------------------------------------------- names


def test_auth_users_becomes_koyalites_user_table() -> None:
    assert (
        sql("create table p (id uuid references auth.users(id) on delete cascade)")
        == "create table p (id uuid references auth_users(id) on delete cascade)"
    )


def test_references_auth_users_without_a_column_points_at_its_id() -> None:
    assert (
        sql("create table p (id uuid references auth.users on delete cascade)")
        == "create table p (id uuid references auth_users(id) on delete cascade)"
    )
    assert sql("create table p (id uuid references auth_users)") == (
        "create table p (id uuid references auth_users(id))"
    )


def test_public_schema_is_dropped_from_names() -> None:
    assert sql('select public.todos.id from "public"."todos"') == (
        'select todos.id from "todos"'
    )


@pytest.mark.parametrize(
    ("statement", "schema"),
    [
        ("create table foo.bar (id int)", "foo"),
        ("select * from extensions.things", "extensions"),
        ("insert into foo.bar values (1)", "foo"),
        ("create table t (x int references other.t(id))", "other"),
    ],
)
def test_tables_in_other_schemas_are_refused(statement: str, schema: str) -> None:
    with pytest.raises(UnsupportedSql) as error:
        sql(statement, number=3, line=12)

    assert str(error.value) == (
        f"statement 3 (line 12): schema '{schema}' is not supported"
    )


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("select * from storage.objects", "select * from storage_objects"),
        (
            "insert into storage.buckets (id, name) values ('a', 'a')",
            "insert into storage_buckets (id, name) values ('a', 'a')",
        ),
        (
            'select o.name from "storage"."objects" o',
            "select o.name from storage_objects o",
        ),
        (
            "create table p (f uuid references storage.objects on delete set null)",
            "create table p (f uuid references storage_objects(id) on delete set null)",
        ),
    ],
)
def test_storage_tables_become_koyalites_tables(statement: str, expected: str) -> None:
    assert sql(statement) == expected


def test_an_unknown_storage_table_names_the_ones_that_exist() -> None:
    with pytest.raises(UnsupportedSql) as error:
        sql("select * from storage.migrations")

    assert str(error.value) == (
        "statement 1 (line 1): table 'storage.migrations' is not supported; "
        "of the storage schema only storage.buckets, storage.objects exist"
    )


def test_a_column_qualified_by_a_table_alias_is_not_a_schema() -> None:
    statement = "select t.created_at from todos t where t.id = 1"

    assert sql(statement) == statement


def test_auth_functions_outside_policies_are_refused() -> None:
    with pytest.raises(UnsupportedSql, match=r"auth\.uid\(\) is only available"):
        sql("create table t (owner uuid default auth.uid())")


# ---------------------------------------------------------------- defaults


@pytest.mark.parametrize(
    "function",
    ["gen_random_uuid()", "uuid_generate_v4()", "extensions.uuid_generate_v4()"],
)
def test_uuid_defaults_become_a_pure_sql_expression(function: str) -> None:
    assert sql(f"create table t (id uuid default {function}, x int)") == (
        f"create table t (id uuid default {UUID_V4_SQL}, x int)"
    )


@pytest.mark.parametrize(
    "default",
    [
        "now()",
        "current_timestamp",
        "CURRENT_TIMESTAMP",
        "timezone('utc'::text, now())",
        "timezone('utc', now())",
        "transaction_timestamp()",
    ],
)
def test_timestamp_defaults_become_iso_text_in_utc(default: str) -> None:
    assert sql(f"create table t (at timestamptz default {default})") == (
        f"create table t (at timestamptz default {NOW_SQL})"
    )


def test_now_at_time_zone_utc_becomes_iso_text_in_utc() -> None:
    assert sql("create table t (at timestamp default (now() at time zone 'utc'))") == (
        f"create table t (at timestamp default ({NOW_SQL}))"
    )


def test_another_time_zone_is_refused() -> None:
    with pytest.raises(UnsupportedSql, match="at time zone 'Europe/Paris'"):
        sql("select now() at time zone 'Europe/Paris'")


@pytest.mark.parametrize(
    "statement",
    [
        "create table t (d date default current_date)",
        "create table t (done boolean default true, off boolean default false)",
        "create table t (n int default 0, s text default 'x')",
    ],
)
def test_defaults_sqlite_understands_are_kept(statement: str) -> None:
    assert sql(statement) == statement


def test_casts_of_literals_in_defaults_are_dropped() -> None:
    assert sql(
        "create table t (meta jsonb not null default '{}'::jsonb, "
        "n bigint default 0::bigint, s varchar default 'a'::character varying)"
    ) == (
        "create table t (meta jsonb not null default '{}', "
        "n bigint default 0, s varchar default 'a')"
    )


# ---------------------------------------------------------------- types


@pytest.mark.parametrize(
    "column",
    [
        "id bigint generated by default as identity primary key",
        "id bigint generated always as identity primary key",
        "id int generated always as identity (start with 10) primary key",
        "id serial primary key",
        "id bigserial primary key",
        "id bigint primary key generated always as identity",
    ],
)
def test_identity_and_serial_keys_become_sqlites_rowid(column: str) -> None:
    assert sql(f"create table t ({column}, x text)") == (
        "create table t (id integer primary key, x text)"
    )


@pytest.mark.parametrize(
    ("columns", "translated"),
    [
        ("id uuid primary key, x text", "id uuid primary key not null, x text"),
        ("id text not null primary key", "id text not null primary key"),
        ("id integer primary key", "id integer primary key"),
        (
            "a int, b uuid, primary key (a, b)",
            "a int not null, b uuid not null, primary key (a, b)",
        ),
        (
            "id integer, constraint pk primary key (id)",
            "id integer, constraint pk primary key (id)",
        ),
    ],
)
def test_primary_key_columns_are_not_null_unless_sqlite_fills_them(
    columns: str, translated: str
) -> None:
    assert sql(f"create table t ({columns})") == f"create table t ({translated})"


def test_a_generated_column_is_not_an_identity() -> None:
    statement = "create table t (a int, b int generated always as (a * 2) stored)"

    assert sql(statement) == statement


@pytest.mark.parametrize(
    ("declared", "quoted"),
    [
        ("text[]", '"text[]"'),
        ("int[]", '"int[]"'),
        ("uuid[]", '"uuid[]"'),
        ("varchar(20)[]", '"varchar(20)[]"'),
        ("integer[][]", '"integer[][]"'),
    ],
)
def test_array_types_are_quoted_so_sqlite_keeps_them(
    declared: str, quoted: str
) -> None:
    assert sql(f"create table t (a {declared} not null)") == (
        f"create table t (a {quoted} not null)"
    )


def test_array_defaults_become_json() -> None:
    assert sql(
        "create table t (a text[] default '{}', b int[] default '{1, 2}', "
        "c text[] default '{x,\"y z\",NULL}'::text[])"
    ) == (
        "create table t (a \"text[]\" default '[]', b \"int[]\" default '[1, 2]', "
        'c "text[]" default \'["x", "y z", null]\')'
    )


def test_array_constructors_become_json_arrays() -> None:
    assert sql("select array['a', 'b'], array[]::int[]") == (
        "select (json_array('a', 'b')), (json_array())"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "create table t (a varchar(255), b numeric(10,2), "
        "c timestamp with time zone, d double precision, e character varying)",
        "create table t (a text not null check (length(a) > 0), "
        "b text not null unique, primary key (a, b))",
        "create table c (id int, p int references p(id) on delete cascade)",
        "create index todos_owner on todos (owner, priority desc)",
        "create unique index todos_title on todos (title) where done",
        "insert into todos (title) values ('a'), ('b') returning id",
        "update todos set done = true where id in (1, 2)",
        "delete from todos where done",
        "select count(*) from todos where title like 'a%' order by 1 nulls last",
        "create view open_todos as select * from todos where not done",
        "alter table todos add column due date",
        "alter table todos rename column due to due_on",
        "with recent as (select * from todos) select * from recent",
    ],
)
def test_what_sqlite_understands_passes_through_unchanged(statement: str) -> None:
    assert sql(statement) == statement


# ---------------------------------------------------------------- expressions


@pytest.mark.parametrize(
    ("expression", "translated"),
    [
        ("id::text", "(CAST(id AS TEXT))"),
        ("t.n::int", "(CAST(t.n AS INTEGER))"),
        ("(a + b)::numeric", "(CAST((a + b) AS REAL))"),
        ("count(*)::bigint", "(CAST(count(*) AS INTEGER))"),
        ("created_at::date", "(date(created_at))"),
        ("owner::uuid", "owner"),
        ("x::text::int", "(CAST((CAST(x AS TEXT)) AS INTEGER))"),
        ("'t'::boolean", "TRUE"),
        ("'{a}'::text[]", "'[\"a\"]'"),
        ("char_length(title)", "length(title)"),
        ("E'it\\'s\\tx'", "'it''s\tx'"),
        ("$$it's$$", "'it''s'"),
        ("$tag$a$$b$tag$", "'a$$b'"),
    ],
)
def test_postgres_expressions_become_sqlite(expression: str, translated: str) -> None:
    assert sql(f"select {expression} from t") == f"select {translated} from t"


def test_ilike_becomes_like_which_sqlite_matches_case_insensitively() -> None:
    assert sql("select * from t where a ilike 'x%'") == (
        "select * from t where a like 'x%'"
    )


# ---------------------------------------------------------------- ddl details


def test_an_unnamed_index_gets_postgres_default_name() -> None:
    assert sql("create index on public.todos (owner, created_at desc)") == (
        'create index "todos_owner_created_at_idx" on todos (owner, created_at desc)'
    )


def test_index_methods_concurrently_and_only_are_dropped() -> None:
    assert sql("create index concurrently i on only todos using gin (tags)") == (
        "create index i on todos (tags)"
    )


def test_drop_cascade_is_dropped_and_the_table_reported() -> None:
    translation = translate_statement(
        Statement(1, 1, "drop table if exists public.todos cascade")
    )

    assert translation.text == "drop table if exists todos"
    assert translation.dropped_tables == ("todos",)


def test_dropping_two_tables_at_once_is_refused() -> None:
    with pytest.raises(UnsupportedSql, match="one table per statement"):
        sql("drop table a, b")


def test_drop_trigger_on_a_table_loses_the_table() -> None:
    assert sql("drop trigger if exists t on public.todos") == "drop trigger if exists t"


def test_truncate_becomes_delete() -> None:
    assert sql("truncate table public.todos restart identity") == 'delete from "todos"'


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("alter table t alter column a set not null", "alter column"),
        ("alter table t add constraint c unique (a)", "add constraint"),
        ("alter table t add column a int, add column b int", "one change per"),
    ],
)
def test_alter_table_changes_sqlite_cannot_make_are_refused(
    statement: str, message: str
) -> None:
    with pytest.raises(UnsupportedSql, match=message):
        sql(statement)


def test_alter_table_add_column_rewrites_its_type() -> None:
    assert sql("alter table t add column tags text[] default '{}'") == (
        "alter table t add column tags \"text[]\" default '[]'"
    )


# ---------------------------------------------------------------- skipped, refused


@pytest.mark.parametrize(
    ("statement", "command"),
    [
        ('create extension if not exists "uuid-ossp"', "CREATE EXTENSION"),
        ("grant all on table todos to anon, authenticated", "GRANT"),
        ("revoke all on todos from anon", "REVOKE"),
        ("alter default privileges in schema public grant all on tables to anon", None),
        ("comment on table todos is 'things; to do'", "COMMENT"),
        ("alter table todos owner to postgres", "ALTER TABLE"),
        ("set search_path = public", "SET"),
        ("begin", "BEGIN"),
        ("begin transaction", "BEGIN"),
        ("commit", "COMMIT"),
        ("create schema if not exists public", "CREATE SCHEMA"),
        ("notify pgrst, 'reload schema'", "NOTIFY"),
    ],
)
def test_statements_without_meaning_on_sqlite_are_skipped(
    statement: str, command: str | None
) -> None:
    translation = translate_statement(Statement(1, 1, statement))

    assert translation.skipped
    assert translation.text == ""
    if command is not None:
        assert translation.command == command


@pytest.mark.parametrize(
    "statement",
    [
        "alter table todos rename column owner to owner_id",
        "alter table todos rename owner to owner_id",
        "alter function public.f() owner to postgres",
    ],
)
def test_a_column_named_owner_is_not_an_owner_to_clause(statement: str) -> None:
    translation = translate_statement(Statement(1, 1, statement))

    assert translation.skipped == statement.endswith("owner to postgres")


def test_plpgsql_functions_are_refused_with_the_statement_and_line() -> None:
    script = (
        "create table a (x int);\n\n"
        "create or replace function public.handle_new_user()\n"
        "returns trigger language plpgsql security definer as $$\n"
        "begin\n  insert into profiles (id) values (new.id);\n  return new;\nend;\n$$;"
    )
    statement = split_statements(script)[1]

    with pytest.raises(UnsupportedSql) as error:
        translate(statement)

    assert str(error.value) == (
        "statement 2 (line 3): plpgsql functions are not supported"
    )


def test_a_trigger_executing_a_function_is_refused() -> None:
    with pytest.raises(UnsupportedSql, match="plpgsql functions are not supported"):
        sql(
            "create trigger on_auth_user_created after insert on auth.users "
            "for each row execute procedure public.handle_new_user()"
        )


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("do $$ begin perform 1; end $$", "do blocks are not supported"),
        ("create type status as enum ('a', 'b')", "create type is not supported"),
        ("create sequence s", "create sequence is not supported"),
        ("create schema private", "schema 'private' is not supported"),
        ("create role editor", "roles are not supported"),
        ("rollback", "transaction control (rollback) is not supported"),
        ("savepoint a", "transaction control (savepoint) is not supported"),
        ("create or replace view v as select 1", "create or replace view"),
        ("attach database 'x.db' as x", "attach is not supported"),
    ],
)
def test_postgres_features_without_sqlite_counterpart_are_refused(
    statement: str, message: str
) -> None:
    with pytest.raises(UnsupportedSql) as error:
        sql(statement)

    assert message in str(error.value)


def test_policy_statements_pass_through_for_rls() -> None:
    for statement in [
        'create policy "own" on public.todos for select using (auth.uid() = owner)',
        "alter table public.todos enable row level security",
        'drop policy if exists "own" on todos',
    ]:
        translation = translate_statement(Statement(1, 1, statement))

        assert translation.is_policy
        assert translation.text == statement


def test_a_sqlite_trigger_body_is_translated() -> None:
    assert sql(
        "create trigger touch after update on todos begin "
        "update public.todos set updated_at = now() where id = new.id; end"
    ) == (
        "create trigger touch after update on todos begin "
        f"update todos set updated_at = {NOW_SQL} where id = new.id; end"
    )


# ---------------------------------------------------------------- internal tables


@pytest.mark.parametrize(
    ("statement", "table"),
    [
        ("create table django_session (x int)", "django_session"),
        ("create table if not exists public.auth_users (x int)", "auth_users"),
        ("create table auth.users (x int)", "auth_users"),
        ("alter table todos rename to database_sqlmigration", "database_sqlmigration"),
        ("create view koyalite_x as select 1", "koyalite_x"),
    ],
)
def test_user_tables_may_not_take_internal_names(statement: str, table: str) -> None:
    with pytest.raises(TableNameCollision) as error:
        sql(statement, number=2, line=7)

    assert str(error.value) == (
        f"statement 2 (line 7): table '{table}' collides with a KoyaLite "
        "internal table; choose another name"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "drop table django_session",
        "alter table auth_users add column x int",
        "insert into auth.users (id) values ('x')",
        "update auth_users set email = null",
        "delete from django_session",
        "truncate django_session",
        "create index i on auth_users (email)",
        "select * from django_session",
        "create trigger t after insert on todos begin delete from django_session; end",
        "create table t (x int references django_session(session_key))",
    ],
)
def test_internal_tables_cannot_be_touched(statement: str) -> None:
    with pytest.raises(InternalTableAccess):
        sql(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "select id, email from auth.users",
        "select * from todos join auth_users u on u.id = todos.owner",
        "select name from sqlite_master",
    ],
)
def test_auth_users_and_the_sqlite_catalogue_can_be_read(statement: str) -> None:
    sql(statement)


def test_script_errors_are_koya_errors_with_exit_code_one() -> None:
    with pytest.raises(SqlScriptError) as error:
        sql("create type t as enum ('a')")

    assert isinstance(error.value, KoyaError)
    assert error.value.exit_code == 1
    assert (error.value.number, error.value.line) == (1, 1)


# ---------------------------------------------------------------- view options

MARK = SECURITY_INVOKER_MARK


@pytest.mark.parametrize(
    "option",
    [
        "security_invoker",
        "security_invoker = true",
        "security_invoker=on",
        "SECURITY_INVOKER = 1",
        "security_invoker = 'yes'",
        "security_invoker = t",
        "security_barrier, security_invoker = true",
    ],
)
def test_create_view_with_security_invoker_keeps_the_option_as_a_mark(
    option: str,
) -> None:
    translation = translate_statement(
        Statement(1, 1, f"create view public.mine with ({option}) as select id from t")
    )

    assert translation.text == f"create view mine {MARK} as select id from t"
    assert translation.invoker_view == "mine"


@pytest.mark.parametrize(
    "option",
    [
        "security_invoker = false",
        "security_invoker = off",
        "security_invoker=0",
        "security_barrier",
    ],
)
def test_create_view_without_security_invoker_leaves_no_mark(option: str) -> None:
    translation = translate_statement(
        Statement(1, 1, f"create view v (a) with ({option}) as select id from t")
    )

    assert translation.text == "create view v (a) as select id from t"
    assert translation.invoker_view is None


@pytest.mark.parametrize(
    ("statement", "change"),
    [
        (
            "alter view v set (security_invoker = true)",
            ViewSecurity("v", True),
        ),
        (
            "alter view if exists public.v set (security_invoker = off)",
            ViewSecurity("v", False, if_exists=True),
        ),
        ("alter view v reset (security_invoker)", ViewSecurity("v", False)),
        ("alter view v set (security_barrier = true)", ViewSecurity("v", None)),
    ],
)
def test_alter_view_set_and_reset_become_a_change_for_the_runner(
    statement: str, change: ViewSecurity
) -> None:
    translation = translate_statement(Statement(1, 1, statement))

    assert translation.command == "ALTER VIEW"
    assert translation.text == ""
    assert not translation.skipped
    assert translation.view_security == change


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "create view v with (colour = red) as select 1",
            'unrecognized parameter "colour"',
        ),
        (
            "create view v with (security_invoker = maybe) as select 1",
            'invalid value for boolean option "security_invoker": maybe',
        ),
        (
            "create view v with (check_option = local) as select 1",
            "check_option is not supported",
        ),
        (
            "alter view v reset (security_invoker = true)",
            "RESET must not include values for parameters",
        ),
        ("alter view v rename to w", "alter view … rename is not supported"),
        ("alter view django_session set (security_invoker)", "internal table"),
    ],
)
def test_bad_view_options_are_refused(statement: str, message: str) -> None:
    with pytest.raises(SqlScriptError) as error:
        sql(statement)

    assert message in str(error.value)


@pytest.mark.parametrize(
    "definition",
    [
        "CREATE VIEW v as select 1",
        'CREATE VIEW "as" (a, "b c") as select 1 as a, 2',
        f"CREATE VIEW v {MARK} as select 1",
        "CREATE VIEW v -- as\n as select '/* koyalite: security_invoker */'",
    ],
)
def test_the_mark_is_set_and_removed_in_a_stored_view(definition: str) -> None:
    marked = with_security_invoker(definition, True)
    unmarked = with_security_invoker(marked, False)

    assert is_security_invoker(marked)
    assert not is_security_invoker(unmarked)
    assert with_security_invoker(marked, True) == marked
    assert unmarked.endswith(definition.split(" as ", 1)[1])


# ---------------------------------------------------------------- column types


@pytest.mark.parametrize(
    ("statement", "change"),
    [
        (
            "alter table public.notes alter column priority type bigint",
            ColumnTypeChange("notes", "priority", "bigint", None),
        ),
        (
            "alter table notes alter priority set data type numeric(10, 2)",
            ColumnTypeChange("notes", "priority", "numeric(10,2)", None),
        ),
        (
            "alter table if exists notes alter column tags type text[]",
            ColumnTypeChange("notes", "tags", '"text[]"', None, if_exists=True),
        ),
        (
            'alter table notes alter column "Due" type timestamp with time zone',
            ColumnTypeChange("notes", "Due", "timestamp with time zone", None),
        ),
        (
            "alter table notes alter column priority type text using priority::text",
            ColumnTypeChange("notes", "priority", "text", "(CAST(priority AS TEXT))"),
        ),
    ],
)
def test_a_column_type_change_is_described_for_the_runner(
    statement: str, change: ColumnTypeChange
) -> None:
    (parsed,) = split_statements(statement)

    translation = translate_statement(parsed)

    assert changes_column_type(parsed)
    assert (translation.text, translation.command) == ("", "ALTER TABLE")
    assert translation.column_type == change


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("alter table t alter column a type serial", 'type "serial" does not exist'),
        (
            "alter table t alter column a type int collate nocase",
            'unexpected "collate"',
        ),
        ("alter table t alter column a type int using", "using needs an expression"),
        (
            "alter table t alter column a type int, alter column b type int",
            "one change per",
        ),
    ],
)
def test_column_type_changes_sqlite_cannot_make_are_refused(
    statement: str, message: str
) -> None:
    with pytest.raises(UnsupportedSql, match=message):
        sql(statement)


def test_a_using_expression_is_checked_for_internal_tables() -> None:
    with pytest.raises(InternalTableAccess):
        sql("alter table t alter column a type text using (select 1 from rls_policy)")


def test_other_alter_table_statements_change_no_column_type() -> None:
    (parsed,) = split_statements("alter table t add column type text")

    assert not changes_column_type(parsed)
    assert translate_statement(parsed).column_type is None
