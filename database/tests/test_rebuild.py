"""Changing a column's type in a SQL script: SQLite's table rebuild, all or nothing."""

from __future__ import annotations

import pytest
from django.db import connection

from database.errors import InternalTableAccess, SqlScriptError
from database.runner import run_sql
from database.schema import get_schema
from rls.models import Policy, TableSecurity

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("drop_user_tables"),
]

NOTES = """
create table public.notes (
  id bigint generated always as identity primary key,
  title text not null default 'untitled' unique,
  priority text check (length(priority) < 6),
  done boolean not null default false
);
create index notes_priority_idx on notes (priority);
create trigger notes_touch after update of title on notes
begin
  update notes set done = true where id = new.id;
end;
insert into notes (title, priority) values ('a', '3'), ('b', '12'), ('c', null);
"""


@pytest.fixture
def notes() -> None:
    run_sql(NOTES)


def rows(query: str) -> list[tuple[object, ...]]:
    (result,) = run_sql(query)
    return list(result.rows)


def declared(table: str, column: str) -> str:
    with connection.cursor() as cursor:
        info = get_schema(cursor).table(table)
    assert info is not None
    return info.columns[column].declared_type


def table_sql(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("select sql from sqlite_schema where name = %s", [name])
        (sql,) = cursor.fetchone()
    return sql


def foreign_keys_enabled() -> int:
    with connection.cursor() as cursor:
        cursor.execute("pragma foreign_keys")
        return cursor.fetchone()[0]


def test_type_change_converts_every_value_and_keeps_the_rows(notes: None) -> None:
    (result,) = run_sql("alter table public.notes alter column priority type bigint")

    assert result.status == "ALTER TABLE"
    assert declared("notes", "priority") == "bigint"
    assert rows("select id, priority, typeof(priority) from notes order by id") == [
        (1, 3, "integer"),
        (2, 12, "integer"),
        (3, None, "null"),
    ]
    assert foreign_keys_enabled() == 1


def test_type_change_keeps_constraints_defaults_indexes_and_triggers(
    notes: None,
) -> None:
    run_sql("alter table notes alter column priority type integer")

    sql = table_sql("notes")
    assert "not null default 'untitled' unique" in sql
    assert "check (length(priority) < 6)" in sql
    assert "priority integer check" in sql
    assert table_sql("notes_priority_idx") == (
        "CREATE INDEX notes_priority_idx on notes (priority)"
    )
    run_sql("update notes set title = 'a2' where id = 1")
    assert rows("select done from notes where id = 1") == [(1,)]
    with pytest.raises(SqlScriptError, match="UNIQUE constraint failed: notes.title"):
        run_sql("insert into notes (title) values ('b')")
    with pytest.raises(SqlScriptError, match="CHECK constraint failed"):
        run_sql("insert into notes (title, priority) values ('d', 1234567)")
    with pytest.raises(SqlScriptError, match="NOT NULL constraint failed"):
        run_sql("insert into notes (title, done) values ('e', null)")
    (inserted,) = run_sql("insert into notes (priority) values (5) returning id, title")
    assert inserted.rows == ((4, "untitled"),)


def test_type_change_with_using_converts_through_the_expression(notes: None) -> None:
    run_sql(
        "alter table notes alter column priority type text using 'p' || priority::text"
    )

    assert declared("notes", "priority") == "TEXT"
    assert rows("select priority from notes order by id") == [
        ("p3",),
        ("p12",),
        (None,),
    ]


def test_set_data_type_is_accepted(notes: None) -> None:
    run_sql("alter table notes alter priority set data type numeric(10,2)")

    assert declared("notes", "priority") == "numeric(10,2)"
    assert rows("select priority from notes where id = 2") == [(12,)]


def test_a_value_that_does_not_convert_rolls_the_whole_script_back(
    notes: None,
) -> None:
    run_sql("insert into notes (title, priority) values ('x', 'abc')")

    with pytest.raises(SqlScriptError) as error:
        run_sql(
            "insert into notes (title, priority) values ('d', '4');\n"
            "alter table notes alter column priority type integer;"
        )

    assert error.value.number == 2
    assert error.value.cause == (
        'invalid input syntax for type integer: "abc" (column "priority", row id = 4)'
    )
    assert "using" in (error.value.hint or "")
    assert declared("notes", "priority") == "TEXT"
    assert rows("select title from notes order by id") == [
        ("a",),
        ("b",),
        ("c",),
        ("x",),
    ]
    assert foreign_keys_enabled() == 1


def test_a_using_result_is_checked_against_the_new_type(notes: None) -> None:
    with pytest.raises(SqlScriptError, match='type uuid: "p3"'):
        run_sql(
            "alter table notes alter column priority type uuid using 'p' || priority"
        )

    assert declared("notes", "priority") == "TEXT"


def test_referencing_rows_survive_and_keep_their_cascade() -> None:
    run_sql(
        "create table parents (id integer primary key, code text);\n"
        "create table children (id integer primary key, parent_id integer "
        "references parents (id) on delete cascade);\n"
        "insert into parents values (1, '10'), (2, '20');\n"
        "insert into children values (7, 1), (8, 2);"
    )

    run_sql("alter table parents alter column code type integer")

    assert rows("select id, parent_id from children order by id") == [(7, 1), (8, 2)]
    run_sql("delete from parents where id = 1")
    assert rows("select id from children") == [(8,)]


def test_a_key_type_change_keeps_row_identity_and_references() -> None:
    run_sql(
        "create table parents (id integer primary key, code text);\n"
        "create table children (id integer primary key, parent_id integer "
        "references parents (id) on delete cascade);\n"
        "insert into parents values (5, 'a'), (9, 'b');\n"
        "insert into children values (1, 9);"
    )

    run_sql("alter table parents alter column id type bigint")

    # bigint keeps the rowid: SQLite's integers are 64-bit already.
    assert declared("parents", "id") == "INTEGER"
    assert rows("select rowid, id, code from parents order by id") == [
        (5, 5, "a"),
        (9, 9, "b"),
    ]
    (inserted,) = run_sql("insert into parents (code) values ('c') returning id")
    assert inserted.rows == ((10,),)
    run_sql("alter table parents alter column id type text")
    assert rows("select rowid, id from parents order by rowid") == [
        (5, "5"),
        (9, "9"),
        (10, "10"),
    ]
    assert "id text primary key not null" in table_sql("parents")


def test_a_script_leaving_a_broken_reference_fails_at_the_foreign_key_check() -> None:
    run_sql(
        "create table parents (id integer primary key, code text);\n"
        "create table children (id integer primary key, parent_id integer "
        "references parents (id) on delete cascade);\n"
        "insert into parents values (1, 'a');\n"
        "insert into children values (7, 1);"
    )

    with pytest.raises(SqlScriptError, match='table "children" violates a foreign'):
        run_sql(
            "alter table parents alter column code type text;\n"
            "delete from parents where id = 1;"
        )

    assert rows("select id from parents") == [(1,)]
    assert rows("select id from children") == [(7,)]


def test_policies_and_the_rls_flag_survive(notes: None) -> None:
    run_sql(
        "alter table notes enable row level security;\n"
        "create policy readers on notes for select using (priority is not null);"
    )

    run_sql("alter table notes alter column priority type bigint")

    assert list(Policy.objects.values_list("table", "name")) == [("notes", "readers")]
    assert TableSecurity.objects.get(table="notes").enabled


def test_a_policy_the_new_type_breaks_fails_the_script(notes: None) -> None:
    run_sql(
        "alter table notes enable row level security;\n"
        "create policy urgent on notes for select using (priority = 'high');"
    )

    with pytest.raises(SqlScriptError, match='policy "urgent"'):
        run_sql("alter table notes alter column priority type integer using null")

    assert declared("notes", "priority") == "TEXT"


def test_a_view_over_the_table_reads_the_new_table(notes: None) -> None:
    run_sql("create view urgent as select title, priority from notes where id < 3")

    run_sql("alter table notes alter column priority type integer")

    assert rows("select title, priority from urgent order by title") == [
        ("a", 3),
        ("b", 12),
    ]


def test_boolean_and_text_convert_as_postgres_casts_them(notes: None) -> None:
    run_sql("alter table notes alter column done type text")

    assert rows("select distinct done from notes") == [("false",)]
    run_sql("alter table notes alter column done type boolean")
    assert rows("select distinct done from notes") == [(0,)]


def test_unknown_column_and_missing_table_are_clear_errors(notes: None) -> None:
    with pytest.raises(SqlScriptError, match="column notes.nope does not exist"):
        run_sql("alter table notes alter column nope type integer")
    with pytest.raises(SqlScriptError, match="public.missing"):
        run_sql("alter table missing alter column a type integer")

    (skipped,) = run_sql("alter table if exists missing alter column a type integer")
    assert skipped.status == "ALTER TABLE"


def test_koyalites_own_tables_stay_out_of_reach() -> None:
    with pytest.raises(InternalTableAccess):
        run_sql("alter table auth.users alter column email type text")


def test_a_using_expression_cannot_read_internal_tables(notes: None) -> None:
    with pytest.raises(InternalTableAccess):
        run_sql(
            "alter table notes alter column priority type text "
            "using (select name from rls_policy limit 1)"
        )
