"""Views with security_invoker: kept in SQLite, read under the caller's policies."""

from __future__ import annotations

import orjson
import pytest
from django.db import connection

from accounts.keys import Auth
from database import services
from database.errors import (
    InsufficientPrivilege,
    NotImplementedFeature,
    SqlScriptError,
    ViewNotWritable,
)
from database.runner import run_sql
from database.schema import TableInfo, get_schema
from database.types import Column, FieldRef, ReadRequest, Shape, WriteRequest
from rls.services import views_bypassing_rls

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("drop_user_tables"),
]

ALICE = "00000000-0000-4000-8000-00000000a11c"
BOB = "00000000-0000-4000-8000-000000000b0b"
ANON = Auth("anon", None, {"role": "anon"})
SERVICE = Auth("service_role", None, {"role": "service_role"})


def user(uid: str) -> Auth:
    return Auth("authenticated", uid, {"sub": uid, "role": "authenticated"})


SCHEMA = f"""
create table notes (id integer primary key, owner uuid, body text not null);
alter table notes enable row level security;
create policy "own notes" on notes for select using (owner = auth.uid());
create table labels (id integer primary key, note_id integer references notes(id),
  name text not null);
alter table labels enable row level security;
create policy "labels are public" on labels for select using (true);
create table open_notes (id integer primary key, body text);
insert into notes values (1, '{ALICE}', 'alice 1'), (2, '{ALICE}', 'alice 2'),
  (3, '{BOB}', 'bob 3'), (4, null, 'nobody 4');
insert into labels values (10, 1, 'red'), (11, 3, 'blue'), (12, 4, 'green');
insert into open_notes values (1, 'open');

create view all_bodies as select id, body from notes;
create view my_bodies with (security_invoker = true) as select id, body from notes;
create view renamed (note, text) with (security_invoker) as
  select n.id, n.body from public.notes as n;
create view labelled with (security_invoker = on) as
  select l.name, n.body from labels l join notes n on n.id = l.note_id;
create view my_short with (security_invoker) as
  select id from my_bodies where length(body) < 7;
create view over_definer with (security_invoker) as select id from all_bodies;
create view counted with (security_invoker) as
  select count(*) as total, (select count(*) from notes) as again from notes;
"""


@pytest.fixture
def schema() -> None:
    run_sql(SCHEMA)


def table(name: str) -> TableInfo:
    with connection.cursor() as cursor:
        found = get_schema(cursor).table(name)
    assert found is not None
    return found


def read(name: str, auth: Auth, columns: tuple[str, ...] = ()) -> list[dict]:
    select = tuple(Column(FieldRef(c)) for c in columns)
    result = services.read(ReadRequest(name, select, Shape(), count="exact"), auth)
    body = orjson.loads(result.body)
    assert result.total == len(body)
    return body


# ---------------------------------------------------------------- column origins


def view_columns(name: str) -> dict[str, tuple[str, str]]:
    with connection.cursor() as cursor:
        return get_schema(cursor).view_columns.get(name, {})


def test_a_views_plain_columns_name_their_base_columns(schema) -> None:
    assert view_columns("my_bodies") == {
        "id": ("notes", "id"),
        "body": ("notes", "body"),
    }
    assert view_columns("renamed") == {
        "note": ("notes", "id"),
        "text": ("notes", "body"),
    }
    assert view_columns("labelled") == {
        "name": ("labels", "name"),
        "body": ("notes", "body"),
    }


def test_origins_follow_views_and_skip_computed_columns(schema) -> None:
    assert view_columns("my_short") == {"id": ("notes", "id")}
    assert view_columns("over_definer") == {"id": ("notes", "id")}
    assert view_columns("counted") == {}


def test_origins_follow_stars_subqueries_and_ctes(schema) -> None:
    run_sql(
        "create view starred as select * from labels;\n"
        "create view nested as select s.n, s.x from "
        "(select l.note_id as n, upper(l.name) as x from labels l) s;\n"
        "create view with_cte as with c as (select id, body from notes) "
        "select c.id as key, cast(c.body as text) as body from c;\n"
        "create view unioned as select id from notes union select id from labels;"
    )

    assert view_columns("starred") == {
        "id": ("labels", "id"),
        "note_id": ("labels", "note_id"),
        "name": ("labels", "name"),
    }
    assert view_columns("nested") == {"n": ("labels", "note_id")}
    assert view_columns("with_cte") == {"key": ("notes", "id")}
    assert view_columns("unioned") == {}


def test_a_view_showing_its_tables_key_has_that_primary_key(schema) -> None:
    assert table("my_bodies").primary_key == ("id",)
    assert table("renamed").primary_key == ("note",)
    assert table("labelled").primary_key == ()
    assert table("counted").primary_key == ()


def test_upserts_through_a_view_are_refused_before_writing(schema) -> None:
    request = WriteRequest(
        "all_bodies",
        "insert",
        ({"id": 9, "body": "new"},),
        Shape(),
        resolution="merge-duplicates",
    )

    with pytest.raises(NotImplementedFeature):
        services.write(request, SERVICE)

    assert [row["id"] for row in read("notes", SERVICE)] == [1, 2, 3, 4]


# ---------------------------------------------------------------- the option


def test_security_invoker_is_kept_in_the_view_and_read_back(schema) -> None:
    assert table("my_bodies").security_invoker
    assert table("renamed").security_invoker
    assert not table("all_bodies").security_invoker
    assert not table("notes").security_invoker


def test_alter_view_sets_and_resets_it_keeping_the_views_triggers(schema) -> None:
    run_sql(
        "create trigger add_body instead of insert on all_bodies begin "
        "insert into notes (id, body) values (new.id, new.body); end"
    )

    run_sql("alter view all_bodies set (security_invoker = true)")
    after_set = table("all_bodies")
    run_sql("alter view all_bodies reset (security_invoker)")
    after_reset = table("all_bodies")

    assert after_set.security_invoker and not after_reset.security_invoker
    assert (
        after_reset.definition == "CREATE VIEW all_bodies as select id, body from notes"
    )
    with connection.cursor() as cursor:
        cursor.execute("select name from sqlite_schema where type = 'trigger'")
        assert cursor.fetchall() == [("add_body",)]


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("alter view notes set (security_invoker)", '"notes" is not a view'),
        (
            "alter view nowhere set (security_invoker)",
            'relation "nowhere" does not exist',
        ),
        (
            "create view sneaky with (security_invoker) as "
            "select id from open_notes where id in witness",
            'view "sneaky" reads witness in a way KoyaLite cannot apply policies to',
        ),
        (
            "create view shadow with (security_invoker) as "
            "with notes as (select 1 as id) select id from notes",
            'names a common table expression "notes" after a table',
        ),
    ],
)
def test_views_policies_cannot_reach_are_refused_whole(
    schema, statement: str, message: str
) -> None:
    with pytest.raises(SqlScriptError) as error:
        run_sql("create table witness (id integer);\n" + statement)

    assert message in str(error.value)
    with connection.cursor() as cursor:
        cursor.execute("select count(*) from sqlite_schema where name = 'witness'")
        assert cursor.fetchone() == (0,)


def test_alter_view_if_exists_skips_a_missing_view(schema) -> None:
    (result,) = run_sql("alter view if exists nowhere set (security_invoker)")

    assert result.status == "ALTER VIEW"


# ---------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("auth", "ids"),
    [(ANON, []), (user(ALICE), [1, 2]), (user(BOB), [3]), (SERVICE, [1, 2, 3, 4])],
)
def test_a_security_invoker_view_shows_what_the_table_shows(schema, auth, ids) -> None:
    assert [row["id"] for row in read("my_bodies", auth)] == ids
    assert [row["note"] for row in read("renamed", auth)] == ids
    assert [row["id"] for row in read("notes", auth)] == ids


def test_a_view_without_security_invoker_serves_every_row(schema) -> None:
    assert [row["id"] for row in read("all_bodies", ANON)] == [1, 2, 3, 4]


@pytest.mark.parametrize(
    ("auth", "rows"),
    [
        (ANON, []),
        (user(ALICE), [{"name": "red", "body": "alice 1"}]),
        (user(BOB), [{"name": "blue", "body": "bob 3"}]),
        (
            SERVICE,
            [
                {"name": "red", "body": "alice 1"},
                {"name": "blue", "body": "bob 3"},
                {"name": "green", "body": "nobody 4"},
            ],
        ),
    ],
)
def test_every_table_a_view_joins_is_filtered(schema, auth, rows) -> None:
    assert read("labelled", auth) == rows


def test_a_view_over_a_security_invoker_view_applies_its_policies(schema) -> None:
    assert read("my_short", user(ALICE)) == []
    assert read("my_short", user(BOB)) == [{"id": 3}]
    assert [row["id"] for row in read("my_short", SERVICE)] == [3]


def test_a_view_over_a_definer_view_reads_its_raw_rows_as_postgres(schema) -> None:
    assert [row["id"] for row in read("over_definer", ANON)] == [1, 2, 3, 4]


def test_subqueries_and_aggregates_in_a_view_are_filtered_too(schema) -> None:
    assert read("counted", user(ALICE)) == [{"total": 2, "again": 2}]
    assert read("counted", SERVICE) == [{"total": 4, "again": 4}]


def test_auth_users_through_a_security_invoker_view_is_for_the_service_role(
    schema,
) -> None:
    run_sql(
        "create view emails with (security_invoker) as select email from auth.users"
    )

    with pytest.raises(InsufficientPrivilege) as error:
        read("emails", user(ALICE))

    assert str(error.value) == "permission denied for table auth_users"
    assert read("emails", SERVICE) == []


# ---------------------------------------------------------------- writing


@pytest.mark.parametrize("auth", [ANON, user(ALICE)])
def test_writes_through_a_security_invoker_view_are_refused(schema, auth) -> None:
    run_sql(
        "create trigger add_body instead of insert on my_bodies begin "
        "insert into notes (id, body) values (new.id, new.body); end"
    )
    request = WriteRequest("my_bodies", "insert", ({"id": 9, "body": "x"},), Shape())

    with pytest.raises(ViewNotWritable) as error:
        services.write(request, auth)

    assert error.value.code == "0A000"
    assert [row["id"] for row in read("notes", SERVICE)] == [1, 2, 3, 4]


# ---------------------------------------------------------------- the warning


def test_definer_views_over_protected_tables_are_reported(schema) -> None:
    run_sql(
        "create view open_copy as select * from open_notes;\n"
        "create view nested as select id from my_bodies;"
    )
    with connection.cursor() as cursor:
        found = views_bypassing_rls(get_schema(cursor), connection.connection)

    assert found == [("all_bodies", ["notes"]), ("nested", ["notes"])]
