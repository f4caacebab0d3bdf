"""Compiling policy expressions to SQLite, and what the compiled SQL lets through."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from database.sql import AuthValue, Sql
from koyalite.errors import KoyaError
from rls.expr import compile_expression, resolve_auth_value
from rls.tests.conftest import (
    ALICE,
    ALICE_AUTH,
    ANON_AUTH,
    BOB,
    BOB_AUTH,
    Requester,
    visible_ids,
)

# ---------------------------------------------------------------- shapes


def test_policy_columns_are_emitted_on_the_callers_alias(schema):
    sql = compile_expression("user_id = auth.uid()", "todos", "t7", schema)

    assert sql == Sql('("t7"."user_id" = ?)', (AuthValue("uid"),))


def test_select_auth_uid_compiles_to_the_bare_parameter(schema):
    sql = compile_expression("(select auth.uid()) = user_id", "todos", "t0", schema)

    assert sql == Sql('((?) = "t0"."user_id")', (AuthValue("uid"),))


def test_literals_become_parameters_never_sql_text(schema):
    sql = compile_expression(
        "task = 'x''); drop table todos; --' or id = 42 or is_public = true",
        "todos",
        "t0",
        schema,
    )

    assert "drop" not in sql.text
    assert "42" not in sql.text
    assert sql.params == ("x'); drop table todos; --", 42, True)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("auth.uid()", AuthValue("uid")),
        ("auth.role()", AuthValue("role")),
        ("current_user", AuthValue("role")),
        ("auth.email()", AuthValue("jwt", ("email",))),
        ("auth.jwt()", AuthValue("jwt", (), as_json=True)),
        ("auth.jwt() ->> 'email'", AuthValue("jwt", ("email",))),
        ("auth.jwt() -> 'app_metadata'", AuthValue("jwt", ("app_metadata",), True)),
        (
            "auth.jwt() -> 'app_metadata' ->> 'role'",
            AuthValue("jwt", ("app_metadata", "role")),
        ),
        ("(select auth.jwt()) ->> 'aal'", AuthValue("jwt", ("aal",))),
        ("(auth.jwt() -> 'a') -> 'b'", AuthValue("jwt", ("a", "b"), as_json=True)),
        ('"auth"."uid"()', AuthValue("uid")),
    ],
)
def test_supabase_auth_helpers_become_auth_values(schema, expression, value):
    sql = compile_expression(f"{expression} is not null", "todos", "t0", schema)

    assert sql.params == (value,)


def test_subquery_tables_get_aliases_derived_from_the_callers(schema):
    sql = compile_expression(
        "exists (select 1 from members m where m.team_id = todos.team_id "
        "and m.user_id = auth.uid())",
        "todos",
        "t3",
        schema,
    )

    assert sql.text == (
        'EXISTS (SELECT ? FROM "members" AS "t3_rls1" WHERE '
        '(("t3_rls1"."team_id" = "t3"."team_id") AND ("t3_rls1"."user_id" = ?)))'
    )


# ---------------------------------------------------------------- filtering


@pytest.mark.parametrize(
    ("expression", "alice", "bob", "anon"),
    [
        ("(select auth.uid()) = user_id", [1, 2], [3], []),
        ("auth.uid()::text = user_id::text", [1, 2], [3], []),
        ("auth.jwt() ->> 'email' = email", [1, 2], [3], []),
        ("auth.email() = email", [1, 2], [3], []),
        (
            "exists (select 1 from members m where m.team_id = todos.team_id "
            "and m.user_id = auth.uid())",
            [1, 2],
            [3],
            [],
        ),
        (
            "team_id in (select team_id from members where user_id = auth.uid())",
            [1, 2],
            [3],
            [],
        ),
        (
            "team_id in (select team_id from members where user_id = (select auth.uid()))",
            [1, 2],
            [3],
            [],
        ),
        ("auth.role() = 'authenticated'", [1, 2, 3, 4], [1, 2, 3, 4], []),
        ("is_public or user_id = auth.uid()", [1, 2], [2, 3], [2]),
        ("auth.jwt() -> 'app_metadata' ->> 'role' = 'admin'", [1, 2, 3, 4], [], []),
        (
            "email in (select email from auth.users where id = auth.uid())",
            [1, 2],
            [3],
            [],
        ),
        ("meta ->> 'owner' = auth.uid()::text", [1], [3], []),
        ("true", [1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]),
        ("false", [], [], []),
    ],
)
def test_compiled_policy_filters_rows_per_user(
    db, schema, expression, alice, bob, anon
):
    sql = compile_expression(expression, "todos", "t0", schema)

    assert visible_ids(db, sql, ALICE_AUTH) == alice
    assert visible_ids(db, sql, BOB_AUTH) == bob
    assert visible_ids(db, sql, ANON_AUTH) == anon


@pytest.mark.parametrize(
    ("expression", "ids"),
    [
        ("task like 'A%'", [1]),  # case-sensitive, as in Postgres
        ("task like 'a%'", []),
        ("task ilike 'a%'", [1]),
        ("task not like 'A%'", [2, 3, 4]),
        ("task not ilike '%A%'", [2]),
        ("task like '%100\\%%'", [2]),  # backslash escapes the %
        ("task like 'Bananas*'", [3]),  # GLOB's * is an ordinary character here
        ("task like 'Banana_*'", [3]),
        ("task like 'orphan\\_task'", [4]),
        ("task like '%[%'", []),
        ("task like lower(task)", [2, 4]),  # a pattern computed at run time
        ("user_id is null", [4]),
        ("user_id is not null", [1, 2, 3]),
        ("is_public is true", [2]),
        ("is_public is not true", [1, 3, 4]),
        ("is_public is false", [1, 3, 4]),
        ("is_public = 'yes'", [2]),  # an untyped literal takes the column's type
        ("not is_public", [1, 3, 4]),
        (f"user_id is distinct from '{ALICE}'", [3, 4]),
        (f"user_id is not distinct from '{ALICE}'", [1, 2]),
        (f"user_id <> '{ALICE}'", [3]),  # NULL is neither equal nor unequal
        ("id in (1, 3)", [1, 3]),
        ("id not in (1, 3)", [2, 4]),
        ("id between 2 and 3", [2, 3]),
        ("id not between 2 and 3", [1, 4]),
        ("id >= 2 and id < 4", [2, 3]),
        ("id != 1 and id <> 2", [3, 4]),
        ("(id % 2) = 0", [2, 4]),
        ("id * 2 + 1 > 6", [3, 4]),
        ("coalesce(team_id, 0) = 0", [4]),
        ("nullif(team_id, 1) is null", [1, 2, 4]),
        ("lower(task) = 'apples'", [1]),
        ("upper(task) like 'BUY%'", [2]),
        ("length(task) = 6", [1]),
        ("char_length(task) > 10", [2, 4]),
        ("trim(' ' || task || ' ') = 'Apples'", [1]),
        ("created_at < now()", [1, 3]),  # both spellings of a timestamp compare
        ("created_at > '2020-03-01'", [2, 3]),
        ("created_at between '2019-12-31' and '2020-01-02T00:00:00Z'", [1]),
        ("created_at::date < current_date", [1, 3]),
        ("id::text = '2'", [2]),
        ("'3'::int = id", [3]),
        ("is_public::text = 'true'", [2]),
        ("is_public::int = 1", [2]),
        ("(meta ->> 'rank')::int = 2", [3]),
        ("(meta ->> 'flag')::boolean", [2]),
        ("meta ->> 'flag' = 'true'", [2]),  # ->> renders JSON true as 'true'
        ("meta -> 'owner' is not null", [1, 3]),
        ("case when is_public then true else id = 1 end", [1, 2]),
        ("case team_id when 2 then true else false end", [3]),
        (
            "exists (select 1 from teams t join members m on m.team_id = t.id "
            "where t.id = todos.team_id and t.name = 'blue')",
            [3],
        ),
        (
            "exists (select 1 from teams t left join members m on m.team_id = t.id "
            "and m.id = 99 where t.id = todos.team_id and m.id is null)",
            [1, 2, 3],
        ),
        (
            "exists (select * from teams, members where teams.id = members.team_id "
            "and members.team_id = todos.team_id and teams.name = 'red')",
            [1, 2],
        ),
        (
            "(select count(*) from members m where m.team_id = todos.team_id) = 1",
            [1, 2, 3],
        ),
        ("(select name from teams where teams.id = todos.team_id) = 'red'", [1, 2]),
        ("team_id = any (select id from teams where name = 'blue')", [3]),
        ("exists (select distinct team_id from members limit 1)", [1, 2, 3, 4]),
        ("public.todos.id = 1", [1]),
        ("todos.id = 1", [1]),
        ('"TODOS"."ID" = 1', [1]),  # SQLite names are case-insensitive
    ],
)
def test_compiled_operators_behave_as_in_postgres(db, schema, expression, ids):
    sql = compile_expression(expression, "todos", "t0", schema)

    assert visible_ids(db, sql, ALICE_AUTH) == ids


def test_unqualified_column_binds_to_the_innermost_from_item(db, schema):
    # members has an `id` too: inside the subquery `id` is members.id (10, 11),
    # so no todo matches, exactly as in Postgres.
    sql = compile_expression(
        "exists (select 1 from members where id = todos.id)", "todos", "t0", schema
    )

    assert visible_ids(db, sql, ALICE_AUTH) == []


def test_unqualified_column_missing_inside_falls_back_to_the_policy_table(db, schema):
    sql = compile_expression(
        "exists (select 1 from teams where teams.id = team_id and name = 'red')",
        "todos",
        "t0",
        schema,
    )

    assert visible_ids(db, sql, ALICE_AUTH) == [1, 2]


def test_subquery_may_read_the_policy_table_itself_unfiltered(db, schema):
    sql = compile_expression(
        "exists (select 1 from todos other where other.team_id = todos.team_id "
        "and other.is_public)",
        "todos",
        "t0",
        schema,
    )

    assert visible_ids(db, sql, BOB_AUTH) == [1, 2]


def test_jwt_numbers_and_booleans_compare_as_postgres_text(db, schema):
    requester = Requester(
        role="authenticated", uid=ALICE, claims={"level": 5, "is_anonymous": False}
    )
    level = compile_expression("auth.jwt() ->> 'level' = '5'", "todos", "t0", schema)
    anonymous = compile_expression(
        "(select (auth.jwt()->>'is_anonymous')::boolean) is false",
        "todos",
        "t0",
        schema,
    )

    assert visible_ids(db, level, requester) == [1, 2, 3, 4]
    assert visible_ids(db, anonymous, requester) == [1, 2, 3, 4]
    assert visible_ids(db, anonymous, ANON_AUTH) == []


# ---------------------------------------------------------------- auth values


def test_resolve_auth_value_follows_postgres_json_operators():
    claims = {
        "sub": ALICE,
        "email": "a@example.com",
        "app_metadata": {"role": "admin", "teams": [1, 2], "n": None},
        "level": 5,
        "is_anonymous": False,
    }

    def resolve(value: AuthValue) -> object:
        return resolve_auth_value(value, uid=ALICE, role="authenticated", claims=claims)

    assert resolve(AuthValue("uid")) == ALICE
    assert resolve(AuthValue("role")) == "authenticated"
    assert resolve(AuthValue("jwt", ("email",))) == "a@example.com"
    assert resolve(AuthValue("jwt", ("level",))) == "5"
    assert resolve(AuthValue("jwt", ("is_anonymous",))) == "false"
    assert resolve(AuthValue("jwt", ("app_metadata", "teams"))) == "[1, 2]"
    assert resolve(AuthValue("jwt", ("app_metadata", "n"))) is None
    assert resolve(AuthValue("jwt", ("missing", "deeper"))) is None
    assert resolve(AuthValue("jwt", ("app_metadata", "n"), as_json=True)) == "null"
    assert resolve(AuthValue("jwt", ("email",), as_json=True)) == '"a@example.com"'
    assert resolve(AuthValue("jwt", ("missing",), as_json=True)) is None
    assert (
        resolve_auth_value(AuthValue("uid"), uid=None, role="anon", claims={}) is None
    )


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("expression", "code", "message"),
    [
        ("titel = 'x'", "42703", 'column "titel" does not exist'),
        ("todos.nope = 1", "42703", "column todos.nope does not exist"),
        ("exists (select 1 from members m where m.nope = 1)", "42703",
         "column m.nope does not exist"),
        ("other.id = 1", "42P01", 'missing FROM-clause entry for table "other"'),
        ("exists (select 1 from nothere)", "42P01", 'relation "nothere" does not exist'),
        ("exists (select 1 from auth.sessions)", "42P01",
         'relation "auth.sessions" does not exist'),
        ("exists (select 1 from django_session)", "42P01",
         'relation "django_session" does not exist'),
        ("exists (select 1 from members m where members.id = 1)", "42P01",
         'invalid reference to FROM-clause entry for table "members"'),
        ("exists (select 1 from members, teams where id = 1)", "42702",
         'column reference "id" is ambiguous'),
        ("is_member(team_id)", "42883", "function is_member() does not exist"),
        ("private.is_member(team_id)", "42883",
         "function private.is_member() does not exist"),
        ("auth.uid(1) is null", "42883", "function auth.uid() does not exist"),
        ("md5(task) = 'x'", "42883", "function md5() does not exist"),
        ("row_number() over () = 1", "42601",
         "window functions are not allowed in policy expressions"),
        ("count(*) > 0", "42803", "aggregate functions are not allowed in policy expressions"),
        ("user_id", "42804", "argument of POLICY must be type boolean, not type uuid"),
        ("id and true", "42804", "argument of AND must be type boolean, not type integer"),
        ("'maybe'", "22P02", 'invalid input syntax for type boolean: "maybe"'),
        ("user_id = 'not-a-uuid'", "22P02", 'invalid input syntax for type uuid: "not-a-uuid"'),
        ("id = 'abc'", "22P02", 'invalid input syntax for type integer: "abc"'),
        ("task like 'abc\\'", "22025", "LIKE pattern must not end with escape character"),
        ("id = any(array[1, 2])", "42601", "unsupported syntax in policy expression"),
        ("created_at > now() - interval '1 day'", "42601", "unsupported syntax"),
        ("task ~ 'a'", "42601", "unsupported syntax"),
        ("id::text[] is null", "42601", "casts to TEXT[] are not supported"),
        ("auth.jwt() -> 'amr' -> 0 ->> 'method' = 'x'", "42601",
         "array indexes in auth.jwt() paths are not supported"),
        ("auth.jwt() ->> 'a' ->> 'b' = 'x'", "42883", "operator does not exist: text -> unknown"),
        ("task ->> 'a' = 'x'", "42883", "operator does not exist: text ->> unknown"),
        ("id in (select id, name from teams)", "42601", "subquery has too many columns"),
        ("(select id, name from teams) = 1", "42601", "subquery must return only one column"),
        ("exists (select 1 from teams group by id)", "42601",
         "GROUP is not supported in policy subqueries"),
        ("exists (select 1 from teams t full join members m on true)", "42601",
         "this kind of join is not supported"),
        ("exists (select 1 from teams, teams)", "42601",
         'table name "teams" specified more than once'),
        ("exists (select 1 from (select 1) s)", "42601", "unsupported syntax"),
        ("id = 1; drop table todos", "42601", "a policy expression must be a single expression"),
        ("id = = 1", "42601", "syntax error in policy expression"),
        ("x" * 10_001, "42601", "policy expression is longer than 10000 characters"),
    ],
)  # fmt: skip
def test_invalid_expressions_are_rejected_with_postgres_codes(
    schema, expression, code, message
):
    with pytest.raises(KoyaError) as error:
        compile_expression(expression, "todos", "t0", schema)

    assert error.value.code == code
    assert message in str(error.value)


def test_unknown_column_error_suggests_the_closest_one(schema):
    with pytest.raises(KoyaError) as error:
        compile_expression("tsak = 'x'", "todos", "t0", schema)

    assert error.value.hint == 'Perhaps you meant to reference the column "todos.task".'


def test_unknown_policy_table_is_42p01(schema):
    with pytest.raises(KoyaError) as error:
        compile_expression("true", "nothere", "t0", schema)

    assert (error.value.code, str(error.value)) == (
        "42P01",
        'relation "nothere" does not exist',
    )


def test_deeply_nested_expression_is_a_clean_error(schema):
    with pytest.raises(KoyaError) as error:
        compile_expression("(" * 3000 + "true" + ")" * 3000, "todos", "t0", schema)

    assert error.value.code == "42601"


_SQL_PIECES = [
    "id", "user_id", "todos.id", "m.team_id", "auth.uid()", "auth.jwt()", "->>", "->",
    "'x'", "1", "null", "true", "=", "<>", "and", "or", "not", "is", "in", "like",
    "exists", "(", ")", "select", "from", "members", "m", "where", "::text", ",",
    "count(*)", "coalesce(", "between", "case", "when", "then", "end", "over",
    "storage.foldername(", "storage.extension(", "[", "]", "[1]", "[0:1]",
]  # fmt: skip


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(max_size=120))
def test_arbitrary_expression_text_raises_only_koya_errors(schema, text):
    try:
        compile_expression(text, "todos", "t0", schema)
    except KoyaError:
        pass


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(st.sampled_from(_SQL_PIECES), min_size=1, max_size=15).map(" ".join))
def test_expression_like_text_compiles_to_sql_sqlite_accepts(db, schema, text):
    try:
        sql = compile_expression(text, "todos", "t0", schema)
    except KoyaError:
        return
    params = [None if isinstance(p, AuthValue) else p for p in sql.params]
    db.execute(f"EXPLAIN SELECT 1 FROM todos AS t0 WHERE {sql.text}", params)


def test_owner_policy_shows_bob_only_his_row(db, schema):
    sql = compile_expression("user_id = auth.uid()", "todos", "t0", schema)

    assert visible_ids(db, sql, BOB_AUTH) == [3]
    assert visible_ids(db, sql, Requester("authenticated", BOB)) == [3]
