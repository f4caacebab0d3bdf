"""Running SQL scripts as the service role: one transaction, all or nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection

from accounts.models import User
from database.errors import (
    InternalTableAccess,
    SqlScriptError,
    TableNameCollision,
)
from database.runner import StatementResult, run_sql
from database.schema import get_schema
from database.tests.conftest import user_tables

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
ALICE = "00000000-0000-4000-8000-00000000a11c"
BOB = "00000000-0000-4000-8000-000000000b0b"
UUID_V4 = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
)
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00")

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("drop_user_tables"),
]


@pytest.fixture
def users() -> None:
    User.objects.create_user(id=ALICE, email="alice@example.com", password="pw-a")
    User.objects.create_user(id=BOB, email="bob@example.com", password="pw-b")


@pytest.fixture
def schema(users: None) -> list[StatementResult]:
    return run_sql((FIXTURES / "supabase_todos.sql").read_text())


def rows(query: str) -> list[tuple[object, ...]]:
    (result,) = run_sql(query)
    return list(result.rows)


# ---------------------------------------------------------------- a real schema


def test_a_supabase_schema_runs_statement_by_statement(
    schema: list[StatementResult],
) -> None:
    assert [(r.number, r.line, r.status) for r in schema] == [
        (1, 2, "CREATE EXTENSION (skipped)"),
        (2, 4, "CREATE TABLE"),
        (3, 12, "CREATE TABLE"),
        (4, 18, "CREATE TABLE"),
        (5, 25, "CREATE TABLE"),
        (6, 35, "CREATE INDEX"),
        (7, 36, "CREATE INDEX"),
        (8, 38, "GRANT (skipped)"),
        (9, 39, "COMMENT (skipped)"),
    ]
    assert user_tables() >= {"profiles", "teams", "members", "todos"}


def test_declared_types_survive_for_the_schema_cache(
    schema: list[StatementResult],
) -> None:
    with connection.cursor() as cursor:
        todos = get_schema(cursor).table("todos")

    assert todos is not None
    kinds = {name: (c.declared_type, c.kind) for name, c in todos.columns.items()}
    assert kinds == {
        "id": ("INTEGER", "integer"),
        "user_id": ("uuid", "uuid"),
        "team_id": ("uuid", "uuid"),
        "task": ("TEXT", "text"),
        "is_complete": ("boolean", "boolean"),
        "tags": ("text[]", "array"),
        "meta": ("jsonb", "json"),
        "inserted_at": ("timestamp with time zone", "timestamptz"),
    }
    assert todos.columns["id"].is_rowid_alias
    assert [
        (fk.columns, fk.ref_table, fk.ref_columns) for fk in todos.foreign_keys
    ] == [
        (("team_id",), "teams", ("id",)),
        (("user_id",), "auth_users", ("id",)),
    ]
    assert ("team_id", "task") in todos.unique


def test_rows_inserted_take_the_translated_defaults(
    schema: list[StatementResult],
) -> None:
    results = run_sql(
        "insert into teams (name) values ('red'), ('blue');\n"
        f"insert into todos (user_id, task) values ('{ALICE}', 'write tests'), "
        f"('{BOB}', 'read tests') returning id, is_complete, tags, meta;\n"
        "select id, created_at from teams order by name;"
    )

    assert [r.status for r in results] == ["INSERT 2", "INSERT 2", "SELECT 2"]
    assert results[1].columns == ("id", "is_complete", "tags", "meta")
    assert results[1].rows == ((1, 0, "[]", "{}"), (2, 0, "[]", "{}"))
    (blue_id, blue_at), (red_id, red_at) = results[2].rows
    assert UUID_V4.fullmatch(str(blue_id)) and UUID_V4.fullmatch(str(red_id))
    assert blue_id != red_id
    assert ISO_UTC.fullmatch(str(blue_at)) and ISO_UTC.fullmatch(str(red_at))
    # An expression, not the column: Django decodes columns declared timestamp.
    (inserted_at,) = rows("select inserted_at || '' from todos where id = 1")[0]
    assert ISO_UTC.fullmatch(str(inserted_at))


def test_generated_uuids_are_distinct_version_4_uuids(
    schema: list[StatementResult],
) -> None:
    run_sql(
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 300) "
        "insert into teams (name) select 'team ' || i from n"
    )

    ids = [str(row[0]) for row in rows("select id from teams")]

    assert len(ids) == 300
    assert len(set(ids)) == 300
    assert all(UUID_V4.fullmatch(i) for i in ids)
    # Every variant digit shows up, so no branch of the expression is dead.
    assert {i[19] for i in ids} == {"8", "9", "a", "b"}


def test_update_and_delete_report_row_counts(schema: list[StatementResult]) -> None:
    run_sql(
        f"insert into todos (user_id, task) values ('{ALICE}', 'one thing'), "
        f"('{ALICE}', 'two things'), ('{BOB}', 'three things')"
    )

    results = run_sql(
        f"update todos set is_complete = true where user_id = '{ALICE}';"
        "delete from todos where is_complete;"
        "select count(*) as left_over from todos;"
    )

    assert [r.status for r in results] == ["UPDATE 2", "DELETE 2", "SELECT 1"]
    assert (results[2].columns, results[2].rows) == (("left_over",), ((1,),))


def test_foreign_keys_are_enforced(schema: list[StatementResult]) -> None:
    stranger = "00000000-0000-4000-8000-000000000000"

    with pytest.raises(SqlScriptError) as error:
        run_sql(f"insert into todos (user_id, task) values ('{stranger}', 'sneak in')")

    assert str(error.value) == "statement 1 (line 1): FOREIGN KEY constraint failed"


def test_deleting_a_user_cascades_to_rows_referencing_auth_users(
    schema: list[StatementResult],
) -> None:
    run_sql(
        f"insert into profiles (id, username) values ('{ALICE}', 'alice');"
        f"insert into todos (user_id, task) values ('{ALICE}', 'write tests');"
    )

    User.objects.filter(id=ALICE).delete()

    assert rows("select count(*) from profiles") == [(0,)]
    assert rows("select count(*) from todos") == [(0,)]


def test_check_and_unique_constraints_hold(schema: list[StatementResult]) -> None:
    with pytest.raises(SqlScriptError, match="CHECK constraint failed"):
        run_sql(f"insert into profiles (id, username) values ('{ALICE}', 'al')")
    run_sql("insert into teams (name) values ('red')")
    with pytest.raises(SqlScriptError, match="UNIQUE constraint failed: teams.name"):
        run_sql("insert into teams (name) values ('red')")


def test_a_uuid_primary_key_refuses_null_as_postgres_does(
    schema: list[StatementResult],
) -> None:
    with pytest.raises(SqlScriptError, match="NOT NULL constraint failed: teams.id"):
        run_sql("insert into teams (id, name) values (null, 'red')")


def test_percent_signs_reach_sqlite_untouched(schema: list[StatementResult]) -> None:
    run_sql(
        f"insert into todos (user_id, task) values ('{ALICE}', '100% done'), "
        f"('{ALICE}', 'half %s done')"
    )

    assert rows("select task from todos where task like '100%' order by id") == [
        ("100% done",)
    ]
    assert rows("select '%s', '%(x)s', '%%'") == [("%s", "%(x)s", "%%")]


# ---------------------------------------------------------------- all or nothing


def test_a_failing_statement_rolls_back_the_whole_script() -> None:
    script = (
        "create table a (id integer primary key);\n"
        "create table b (id integer primary key, a_id int references a(id));\n"
        "insert into a (id) values (1);\n"
        "insert into b (id, a_id) values (1, 1);\n"
        "\n"
        "insert into missing (id) values (1);\n"
        "create table c (id int);\n"
    )

    with pytest.raises(SqlScriptError) as error:
        run_sql(script)

    assert str(error.value) == "statement 5 (line 6): no such table: missing"
    assert (error.value.number, error.value.line) == (5, 6)
    assert user_tables() == set()


def test_a_translation_error_rolls_back_earlier_statements() -> None:
    with pytest.raises(SqlScriptError, match=r"^statement 2 \(line 2\): schema 'x'"):
        run_sql("create table a (id int);\ncreate table x.b (id int);")

    assert "a" not in user_tables()


def test_a_deferred_foreign_key_fails_at_commit() -> None:
    run_sql(
        "create table p (id integer primary key);"
        "create table c (id integer primary key, "
        "p_id int references p(id) deferrable initially deferred);"
    )

    with pytest.raises(SqlScriptError) as error:
        run_sql("insert into c (id, p_id) values (1, 42)")

    assert str(error.value) == "commit: FOREIGN KEY constraint failed"
    assert rows("select count(*) from c") == [(0,)]


# ---------------------------------------------------------------- internal tables


@pytest.mark.parametrize(
    ("script", "table"),
    [
        ("create table django_session (id int)", "django_session"),
        ("create table auth_users (id int)", "auth_users"),
        ("create table public.accounts_user (id int)", None),
    ],
)
def test_internal_table_names_are_refused(script: str, table: str | None) -> None:
    if table is None:
        # A name no app uses is free to take.
        run_sql(script)
        return
    with pytest.raises(TableNameCollision, match=f"table '{table}' collides"):
        run_sql(script)


@pytest.mark.parametrize(
    "script",
    [
        "delete from django_session",
        "drop table django_session",
        "update auth.users set email = 'x@example.com'",
        # Forms translate does not look into; the SQLite authorizer refuses them.
        "select * from (select 1) as one, django_session",
        "insert into teams (name) select session_key from teams t, django_session",
    ],
)
def test_internal_tables_cannot_be_touched(users: None, script: str) -> None:
    run_sql("create table teams (name text)")

    with pytest.raises(InternalTableAccess):
        run_sql(script)

    assert User.objects.count() == 2


def test_dropping_an_internal_index_is_refused() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "select name from sqlite_schema where type = 'index' "
            "and tbl_name = 'django_session' and name not like 'sqlite_%'"
        )
        (index,) = cursor.fetchone()

    with pytest.raises(InternalTableAccess, match="'django_session'"):
        run_sql(f'drop index "{index}"')


def test_auth_users_can_be_read(users: None) -> None:
    assert rows("select email from auth.users order by email") == [
        ("alice@example.com",),
        ("bob@example.com",),
    ]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("pragma journal_mode = delete", "pragma journal_mode cannot be set"),
        ("pragma writable_schema = on", "pragma writable_schema cannot be set"),
        ("attach database ':memory:' as other", "attach is not supported"),
    ],
)
def test_sqlite_escape_hatches_are_closed(script: str, message: str) -> None:
    with pytest.raises(SqlScriptError, match=message):
        run_sql(script)


def test_reading_pragmas_are_allowed() -> None:
    run_sql("create table t (id integer primary key, tags text[])")

    (result,) = run_sql("pragma table_info(t)")

    assert [row[1:3] for row in result.rows] == [("id", "INTEGER"), ("tags", "text[]")]


# ---------------------------------------------------------------- policies


def test_policy_statements_go_to_rls(schema: list[StatementResult]) -> None:
    from rls.models import Policy, TableSecurity

    results = run_sql(
        "alter table todos enable row level security;\n"
        'create policy "Own todos" on public.todos for select\n'
        "  using ((select auth.uid()) = user_id);"
    )

    assert [r.status for r in results] == ["ALTER TABLE", "CREATE POLICY"]
    assert list(Policy.objects.values_list("table", "name")) == [("todos", "Own todos")]
    assert TableSecurity.objects.get(table="todos").enabled


def test_a_policy_on_a_table_created_earlier_in_the_script_sees_it() -> None:
    results = run_sql(
        "create table notes (id integer primary key, owner uuid);\n"
        "alter table notes enable row level security;\n"
        'create policy "own" on notes using (auth.uid() = owner);'
    )

    assert [r.status for r in results] == [
        "CREATE TABLE",
        "ALTER TABLE",
        "CREATE POLICY",
    ]


def test_a_bad_policy_rolls_the_script_back() -> None:
    from rls.models import Policy

    with pytest.raises(SqlScriptError) as error:
        run_sql(
            "create table notes (id integer primary key, owner uuid);\n"
            'create policy "own" on notes using (auth.uid() = ownr);'
        )

    assert str(error.value).startswith("statement 2 (line 2): ")
    assert "ownr" in str(error.value)
    assert "notes" not in user_tables()
    assert Policy.objects.count() == 0


def test_dropping_a_table_forgets_its_policies() -> None:
    from rls.models import Policy, TableSecurity

    run_sql(
        "create table notes (id integer primary key, owner uuid);\n"
        "alter table notes enable row level security;\n"
        'create policy "own" on notes using (auth.uid() = owner);'
    )

    run_sql("drop table notes cascade")

    assert Policy.objects.count() == 0
    assert TableSecurity.objects.count() == 0


def test_renaming_a_table_keeps_its_policies_and_rls() -> None:
    from rls.models import Policy, TableSecurity

    run_sql(
        "create table notes (id integer primary key, owner uuid);\n"
        "alter table notes enable row level security;\n"
        'create policy "own" on notes using (auth.uid() = owner);'
    )

    run_sql("alter table public.Notes rename to vault")

    assert list(Policy.objects.values_list("table", "name")) == [("vault", "own")]
    assert list(TableSecurity.objects.values_list("table", "enabled")) == [
        ("vault", True)
    ]


def test_a_failed_rename_moves_nothing() -> None:
    from rls.models import Policy, TableSecurity

    run_sql(
        "create table notes (id integer primary key, owner uuid);\n"
        "create table vault (id integer primary key);\n"
        "alter table notes enable row level security;\n"
        'create policy "own" on notes using (auth.uid() = owner);'
    )

    with pytest.raises(SqlScriptError):
        run_sql("alter table notes rename to vault")

    assert list(Policy.objects.values_list("table", flat=True)) == ["notes"]
    assert list(TableSecurity.objects.values_list("table", flat=True)) == ["notes"]


def test_a_script_that_breaks_a_policy_is_refused_whole() -> None:

    run_sql(
        "create table notes (id integer primary key, owner uuid, body text);\n"
        "alter table notes enable row level security;\n"
        'create policy "own" on notes using (auth.uid() = owner);'
    )

    with pytest.raises(SqlScriptError) as error:
        run_sql("alter table notes rename column owner to owner_id")

    assert str(error.value) == (
        'commit: policy "own" on table "notes" no longer compiles: '
        'column "owner" does not exist'
    )
    assert "alter policy" in error.value.hint
    columns = [c[1] for c in connection.cursor().execute("pragma table_info(notes)")]
    assert "owner" in columns  # rolled back
    with pytest.raises(SqlScriptError):
        run_sql("alter table notes drop column owner")


def test_a_rename_and_the_policy_change_in_one_script_pass() -> None:
    from rls.models import Policy

    run_sql(
        "create table notes (id integer primary key, owner uuid, body text);\n"
        "alter table notes enable row level security;\n"
        'create policy "own" on notes using (auth.uid() = owner);'
    )

    run_sql(
        "alter table notes rename column owner to owner_id;\n"
        'alter policy "own" on notes using (auth.uid() = owner_id);'
    )

    assert Policy.objects.get().using == "auth.uid() = owner_id"


def test_statements_under_with_report_the_rows_they_changed(
    schema: list[StatementResult],
) -> None:
    results = run_sql(
        "with recursive s(v) as (select 1 union all select v + 1 from s where v < 5) "
        "insert into teams (name) select 'team ' || v from s;\n"
        "with picked as (select 'team 1' as name) "
        "update teams set name = name || '!' where name in (select name from picked);\n"
        "with gone as (select 'team 2' as name) "
        "delete from teams where name in (select name from gone);"
    )

    assert [r.status for r in results] == ["INSERT 5", "UPDATE 1", "DELETE 1"]
