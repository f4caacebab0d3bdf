"""Policy statements stored through the ORM, and the catalog's predicates."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import User
from database.schema import SchemaCache, read_schema, schema_version
from database.sql import AuthValue, Sql
from koyalite.errors import KoyaError
from rls.grammar import parse_policy_statement
from rls.models import Policy, TableSecurity
from rls.services import (
    PolicyCatalog,
    catalog_version,
    enabled_tables,
    execute_statement,
    forget_table,
    load_catalog,
    tables_without_rls,
)
from rls.tests.conftest import (
    ALICE,
    ALICE_AUTH,
    ANON_AUTH,
    BOB,
    BOB_AUTH,
    SCHEMA_SQL,
    Requester,
    visible_ids,
)

pytestmark = pytest.mark.django_db

USER_TABLES_SQL = SCHEMA_SQL.split(";", 1)[1]  # everything but the auth_users stand-in

ROWS = [
    (1, ALICE, "alice@example.com", "Alice's first", 0, 1),
    (2, ALICE, "alice@example.com", "Alice's public", 1, 1),
    (3, BOB, "bob@example.com", "Bob's", 0, 2),
    (4, None, None, "nobody's", 0, None),
]


def raw():
    connection.ensure_connection()
    return connection.connection


@pytest.fixture
def schema() -> SchemaCache:
    """User tables and rows on Django's test database; users in the real auth_users."""
    # No passwords: hashing them would dominate the run time.
    User.objects.create_user(id=ALICE, email="alice@example.com")
    User.objects.create_user(id=BOB, email="bob@example.com")
    with connection.cursor() as cursor:
        for statement in USER_TABLES_SQL.split(";"):
            if statement.strip():
                cursor.execute(statement)
        cursor.executemany(
            "insert into todos (id, user_id, email, task, is_public, team_id) "
            "values (%s, %s, %s, %s, %s, %s)",
            ROWS,
        )
        cursor.execute("insert into teams values (1, 'red'), (2, 'blue')")
        cursor.execute(
            "insert into members (id, team_id, user_id) values (10, 1, %s), (11, 2, %s)",
            [ALICE, BOB],
        )
    return current_schema()


def current_schema() -> SchemaCache:
    connection_ = raw()
    return read_schema(connection_, schema_version(connection_))


def run(sql: str, schema: SchemaCache) -> str:
    statement = parse_policy_statement(sql)
    assert statement is not None, sql
    return execute_statement(statement, schema)


def version() -> int:
    return catalog_version(raw())


def ids(
    catalog: PolicyCatalog, requester: Requester, command: str = "select"
) -> list[int]:
    predicate = catalog.predicate("todos", command, requester.role, "t0", "using")
    return visible_ids(raw(), predicate, requester)


# ---------------------------------------------------------------- statements


def test_create_policy_stores_it_and_bumps_the_version(schema):
    before = version()

    tag = run(
        'create policy "Individuals can view their own todos." on todos '
        "for select using ( (select auth.uid()) = user_id );",
        schema,
    )

    policy = Policy.objects.get()
    assert tag == "CREATE POLICY"
    assert (policy.table, policy.name, policy.command, policy.roles) == (
        "todos",
        "Individuals can view their own todos.",
        "select",
        ["public"],
    )
    assert (policy.permissive, policy.using, policy.with_check) == (
        True,
        "(select auth.uid()) = user_id",
        None,
    )
    assert version() == before + 1


def test_policy_table_name_is_matched_case_insensitively(schema):
    run('create policy p on "TODOS" using (true)', schema)

    assert Policy.objects.get().table == "todos"


@pytest.mark.parametrize(
    ("sql", "code", "message"),
    [
        (
            "create policy p on nothere using (true)",
            "42P01",
            'relation "nothere" does not exist',
        ),
        (
            "create policy p on auth.users using (true)",
            "42P01",
            'relation "auth.users" does not exist',
        ),
        (
            "create policy p on public_todos using (true)",
            "42809",
            '"public_todos" is not a table',
        ),
        (
            "create policy p on todos for insert using (true)",
            "42601",
            "only WITH CHECK expression allowed for INSERT",
        ),
        (
            "create policy p on todos for select with check (true)",
            "42601",
            "WITH CHECK cannot be applied to SELECT or DELETE",
        ),
        (
            "create policy p on todos for delete using (true) with check (true)",
            "42601",
            "WITH CHECK cannot be applied to SELECT or DELETE",
        ),
        (
            "create policy p on todos to admins using (true)",
            "42704",
            'role "admins" does not exist',
        ),
        (
            "create policy p on todos using (titel = 'x')",
            "42703",
            'column "titel" does not exist',
        ),
        (
            "create policy p on todos with check (is_member(team_id))",
            "42883",
            "function is_member() does not exist",
        ),
        (
            "create policy p on todos using (exists (select 1 from nothere))",
            "42P01",
            'relation "nothere" does not exist',
        ),
        (
            "drop policy nope on todos",
            "42704",
            'policy "nope" for table "todos" does not exist',
        ),
        (
            "drop policy nope on nothere",
            "42P01",
            'relation "nothere" does not exist',
        ),
        (
            "alter policy nope on todos rename to other",
            "42704",
            'policy "nope" for table "todos" does not exist',
        ),
        (
            "alter table nothere enable row level security",
            "42P01",
            'relation "nothere" does not exist',
        ),
        (
            "alter table public_todos enable row level security",
            "42809",
            "ALTER action ENABLE ROW SECURITY cannot be performed on relation "
            '"public_todos"',
        ),
    ],
)
def test_invalid_statements_fail_with_postgres_codes_and_change_nothing(
    schema, sql, code, message
):
    before = version()

    with pytest.raises(KoyaError) as error:
        run(sql, schema)

    assert (error.value.code, str(error.value)) == (code, message)
    assert Policy.objects.count() == 0
    assert TableSecurity.objects.count() == 0
    assert version() == before


def test_duplicate_policy_name_is_42710(schema):
    run('create policy "Owners" on todos using (true)', schema)

    with pytest.raises(KoyaError) as error:
        run('create policy "Owners" on todos using (false)', schema)

    assert (error.value.code, str(error.value)) == (
        "42710",
        'policy "Owners" for table "todos" already exists',
    )


def test_same_policy_name_on_another_table_is_allowed(schema):
    run('create policy "Owners" on todos using (true)', schema)
    run('create policy "Owners" on teams using (true)', schema)

    assert Policy.objects.count() == 2


def test_drop_policy_removes_it(schema):
    run("create policy p on todos using (true)", schema)
    before = version()

    tag = run("drop policy p on todos", schema)

    assert tag == "DROP POLICY"
    assert Policy.objects.count() == 0
    assert version() == before + 1


def test_drop_policy_if_exists_skips_missing_policy_and_table(schema):
    before = version()

    assert run("drop policy if exists nope on todos", schema) == "DROP POLICY"
    assert run("drop policy if exists nope on nothere", schema) == "DROP POLICY"
    assert version() == before


def test_alter_policy_renames(schema):
    run("create policy old on todos using (true)", schema)

    assert run("alter policy old on todos rename to new", schema) == "ALTER POLICY"

    assert list(Policy.objects.values_list("name", flat=True)) == ["new"]


def test_alter_policy_rename_onto_existing_name_is_42710(schema):
    run("create policy a on todos using (true)", schema)
    run("create policy b on todos using (true)", schema)

    with pytest.raises(KoyaError) as error:
        run("alter policy a on todos rename to b", schema)

    assert (error.value.code, str(error.value)) == (
        "42710",
        'policy "b" for table "todos" already exists',
    )


def test_alter_policy_replaces_roles_and_expressions(schema):
    run("create policy p on todos for update using (true)", schema)

    run(
        "alter policy p on todos to authenticated using (user_id = auth.uid()) "
        "with check (is_public)",
        schema,
    )

    policy = Policy.objects.get()
    assert (policy.roles, policy.using, policy.with_check) == (
        ["authenticated"],
        "user_id = auth.uid()",
        "is_public",
    )


def test_alter_policy_validates_like_create(schema):
    run("create policy p on todos for insert with check (true)", schema)

    with pytest.raises(KoyaError) as error:
        run("alter policy p on todos using (true)", schema)
    assert str(error.value) == "only WITH CHECK expression allowed for INSERT"

    with pytest.raises(KoyaError) as error:
        run("alter policy p on todos with check (nope)", schema)
    assert error.value.code == "42703"
    assert Policy.objects.get().with_check == "true"


def test_alter_table_sets_enabled_and_forced_flags(schema):
    assert run("alter table todos enable row level security", schema) == "ALTER TABLE"
    run("alter table todos force row level security", schema)
    flags = TableSecurity.objects.get()
    assert (flags.table, flags.enabled, flags.forced) == ("todos", True, True)

    run("alter table todos no force row level security", schema)
    run("alter table todos disable row level security", schema)
    flags.refresh_from_db()
    assert (flags.enabled, flags.forced) == (False, False)


def test_alter_table_if_exists_on_missing_table_does_nothing(schema):
    before = version()

    tag = run("alter table if exists nothere enable row level security", schema)

    assert tag == "ALTER TABLE"
    assert version() == before


# ---------------------------------------------------------------- the catalog


def test_rls_disabled_gives_no_predicate(schema):
    run("create policy p on todos using (false)", schema)

    catalog = load_catalog(schema)

    assert catalog.predicate("todos", "select", "anon", "t0", "using") is None
    assert ids(catalog, ANON_AUTH) == [1, 2, 3, 4]


def test_service_role_bypasses_rls(schema):
    run("alter table todos enable row level security", schema)

    catalog = load_catalog(schema)

    assert catalog.predicate("todos", "delete", "service_role", "t0", "using") is None


def test_rls_enabled_without_policies_denies_everything(schema):
    run("alter table todos enable row level security", schema)

    catalog = load_catalog(schema)

    for command, kind in [
        ("select", "using"),
        ("insert", "check"),
        ("update", "using"),
        ("update", "check"),
        ("delete", "using"),
    ]:
        assert catalog.predicate("todos", command, "authenticated", "t0", kind) == Sql(
            "0"
        )
    assert ids(catalog, ALICE_AUTH) == []


@pytest.mark.parametrize(
    ("requester", "visible"),
    [(ALICE_AUTH, [1, 2]), (BOB_AUTH, [3]), (ANON_AUTH, [])],
)
def test_supabase_owner_policy_filters_rows(schema, requester, visible):
    run("alter table todos enable row level security", schema)
    run(
        'create policy "Individuals can view their own todos." on todos '
        "for select using ( (select auth.uid()) = user_id );",
        schema,
    )

    assert ids(load_catalog(schema), requester) == visible


@pytest.mark.parametrize(
    ("policy", "alice", "bob", "anon"),
    [
        (
            'create policy "Owners" on todos for select to authenticated '
            "using (auth.uid()::text = user_id::text)",
            [1, 2],
            [3],
            [],
        ),
        (
            'create policy "Email owners" on todos for select '
            "using (auth.jwt() ->> 'email' = email)",
            [1, 2],
            [3],
            [],
        ),
        (
            'create policy "Team members" on todos for select to authenticated '
            "using (exists (select 1 from members m where m.team_id = todos.team_id "
            "and m.user_id = auth.uid()))",
            [1, 2],
            [3],
            [],
        ),
        (
            'create policy "Team members (in)" on todos for select to authenticated '
            "using ( team_id in ( select team_id from members "
            "where user_id = (select auth.uid()) ) )",
            [1, 2],
            [3],
            [],
        ),
        (
            'create policy "Known users" on todos for select to authenticated '
            "using (email in (select email from auth.users where id = auth.uid()))",
            [1, 2],
            [3],
            [],
        ),
        (
            'create policy "Profiles are viewable by everyone" on todos for select '
            "to authenticated, anon using ( true )",
            [1, 2, 3, 4],
            [1, 2, 3, 4],
            [1, 2, 3, 4],
        ),
        (
            'create policy "Admins see all" on todos for select to authenticated '
            "using ((auth.jwt() -> 'app_metadata' ->> 'role') = 'admin')",
            [1, 2, 3, 4],
            [],
            [],
        ),
    ],
)
def test_supabase_docs_policies_filter_rows(schema, policy, alice, bob, anon):
    run("alter table todos enable row level security", schema)
    run(policy, schema)

    catalog = load_catalog(schema)

    assert ids(catalog, ALICE_AUTH) == alice
    assert ids(catalog, BOB_AUTH) == bob
    assert ids(catalog, ANON_AUTH) == anon


def test_permissive_policies_or_together_and_restrictive_ones_and(schema):
    run("alter table todos enable row level security", schema)
    run("create policy own on todos for select using (user_id = auth.uid())", schema)
    run("create policy public on todos for select using (is_public)", schema)
    run(
        "create policy red_team_only on todos as restrictive for select "
        "using (team_id = 1)",
        schema,
    )

    catalog = load_catalog(schema)

    assert ids(catalog, ALICE_AUTH) == [1, 2]  # own or public, and on team 1
    assert ids(catalog, BOB_AUTH) == [2]  # Bob's own row is on team 2
    assert ids(catalog, ANON_AUTH) == [2]
    assert catalog.predicate("todos", "select", "anon", "t0", "using") == Sql(
        '(((("t0"."user_id" = ?)) OR ("t0"."is_public")) AND (("t0"."team_id" = ?)))',
        (AuthValue("uid"), 1),
    )


def test_restrictive_policy_alone_admits_nothing(schema):
    run("alter table todos enable row level security", schema)
    run("create policy r on todos as restrictive using (true)", schema)

    catalog = load_catalog(schema)

    assert catalog.predicate("todos", "select", "anon", "t0", "using") == Sql("0")


def test_policies_apply_only_to_their_roles_and_commands(schema):
    run("alter table todos enable row level security", schema)
    run("create policy a on todos for select to authenticated using (true)", schema)
    run("create policy d on todos for delete to anon using (is_public)", schema)

    catalog = load_catalog(schema)

    assert ids(catalog, ALICE_AUTH) == [1, 2, 3, 4]
    assert ids(catalog, ANON_AUTH) == []
    assert ids(catalog, ANON_AUTH, "delete") == [2]
    assert ids(catalog, ALICE_AUTH, "delete") == []


def test_for_all_policy_applies_to_every_command_and_checks_with_using(schema):
    run("alter table todos enable row level security", schema)
    run(
        "create policy mine on todos to authenticated using (user_id = auth.uid())",
        schema,
    )

    catalog = load_catalog(schema)

    using = catalog.predicate("todos", "update", "authenticated", "t0", "using")
    for command, kind in [("insert", "check"), ("update", "check")]:
        assert catalog.predicate("todos", command, "authenticated", "t0", kind) == using
    assert ids(catalog, BOB_AUTH, "delete") == [3]


def test_update_check_uses_with_check_when_given(schema):
    run("alter table todos enable row level security", schema)
    run(
        "create policy upd on todos for update using (user_id = auth.uid()) "
        "with check (is_public)",
        schema,
    )

    catalog = load_catalog(schema)
    check = catalog.predicate("todos", "update", "authenticated", "t0", "check")

    assert check == Sql('("t0"."is_public")')
    assert ids(catalog, ALICE_AUTH, "update") == [1, 2]


def test_insert_only_policy_does_not_open_select(schema):
    run("alter table todos enable row level security", schema)
    run(
        'create policy "Only permanent users can post" on todos as permissive '
        "for insert to authenticated "
        "with check ((select (auth.jwt()->>'is_anonymous')::boolean) is false )",
        schema,
    )

    catalog = load_catalog(schema)

    assert ids(catalog, ALICE_AUTH) == []
    check = catalog.predicate("todos", "insert", "authenticated", "t0", "check")
    permanent = Requester("authenticated", ALICE, {"is_anonymous": False})
    anonymous = Requester("authenticated", ALICE, {"is_anonymous": True})
    assert visible_ids(raw(), check, permanent) == [1, 2, 3, 4]
    assert visible_ids(raw(), check, anonymous) == []


def test_predicates_are_cached_per_arguments(schema):
    run("alter table todos enable row level security", schema)
    run("create policy p on todos using (user_id = auth.uid())", schema)
    catalog = load_catalog(schema)

    first = catalog.predicate("todos", "select", "anon", "t0", "using")

    assert catalog.predicate("todos", "select", "anon", "t0", "using") is first
    assert catalog.predicate("todos", "select", "anon", "t1", "using") == Sql(
        '(("t1"."user_id" = ?))', first.params
    )


@pytest.mark.parametrize(
    ("command", "kind"),
    [("select", "check"), ("delete", "check"), ("insert", "using"), ("all", "using")],
)
def test_predicate_rejects_meaningless_command_kind_pairs(schema, command, kind):
    catalog = load_catalog(schema)

    with pytest.raises(ValueError):
        catalog.predicate("todos", command, "anon", "t0", kind)


def test_policy_broken_by_a_schema_change_fails_closed(schema):
    run("alter table todos enable row level security", schema)
    run("create policy p on todos using (email = auth.email())", schema)
    with connection.cursor() as cursor:
        cursor.execute("alter table todos drop column email")

    catalog = load_catalog(current_schema())

    with pytest.raises(KoyaError) as error:
        catalog.predicate("todos", "select", "anon", "t0", "using")
    assert error.value.code == "42P17"
    assert str(error.value) == (
        'policy "p" on table "todos" no longer compiles: column "email" does not exist'
    )


def test_catalog_version_counts_every_change(schema):
    start = version()

    run("alter table todos enable row level security", schema)
    run("create policy p on todos using (true)", schema)
    run("alter policy p on todos rename to q", schema)
    run("drop policy q on todos", schema)

    assert version() == start + 4
    assert load_catalog(schema).version == start + 4


def test_enabled_tables_and_tables_without_rls(schema):
    run("alter table todos enable row level security", schema)
    run("alter table teams enable row level security", schema)
    run("alter table teams disable row level security", schema)

    assert enabled_tables() == ["todos"]
    assert tables_without_rls(schema) == ["members", "teams"]


def test_forget_table_drops_policies_and_flags(schema):
    run("alter table todos enable row level security", schema)
    run("create policy p on todos using (true)", schema)
    run("create policy p on teams using (true)", schema)
    before = version()

    forget_table("todos")

    assert list(Policy.objects.values_list("table", flat=True)) == ["teams"]
    assert TableSecurity.objects.count() == 0
    assert version() == before + 1
    forget_table("todos")
    assert version() == before + 1
