"""The project's migrations/*.sql: applied once each, in name order."""

from __future__ import annotations

from pathlib import Path

import pytest

from database.errors import SqlMigrationEdited, SqlMigrationFailed
from database.migrations_sql import apply_sql_migrations, pending_sql_migrations
from database.models import SqlMigration
from database.runner import run_sql
from database.tests.conftest import user_tables

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("drop_user_tables"),
]


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    directory = tmp_path / "migrations"
    directory.mkdir()
    return directory


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text)


def count(table: str) -> int:
    (result,) = run_sql(f"select count(*) from {table}")
    return int(result.rows[0][0])  # type: ignore[call-overload]


def test_files_are_applied_in_name_order(migrations: Path) -> None:
    # 0010 uses what 0002 creates, which uses what 0001 creates.
    write(migrations, "0010_seed.sql", "insert into todos (list_id) values (1);")
    write(
        migrations,
        "0002_todos.sql",
        "create table todos (list_id int references lists(id));",
    )
    write(
        migrations,
        "0001_lists.sql",
        "create table lists (id integer primary key);\ninsert into lists default values;",
    )
    write(migrations, "notes.txt", "not a migration")
    seen: list[str] = []

    applied = apply_sql_migrations(migrations, on_progress=seen.append)

    expected = ["0001_lists.sql", "0002_todos.sql", "0010_seed.sql"]
    assert applied == expected
    assert seen == expected
    assert list(SqlMigration.objects.values_list("name", flat=True)) == expected
    assert count("todos") == 1


def test_each_file_is_applied_once(migrations: Path) -> None:
    write(migrations, "0001_lists.sql", "create table lists (id integer primary key);")
    write(migrations, "0002_seed.sql", "insert into lists default values;")
    apply_sql_migrations(migrations)

    assert apply_sql_migrations(migrations) == []
    assert count("lists") == 1


def test_pending_lists_the_files_not_applied_yet(migrations: Path) -> None:
    write(migrations, "0001_lists.sql", "create table lists (id integer primary key);")
    apply_sql_migrations(migrations)
    write(migrations, "0003_more.sql", "select 1;")
    write(migrations, "0002_seed.sql", "insert into lists default values;")

    assert pending_sql_migrations(migrations) == ["0002_seed.sql", "0003_more.sql"]


def test_a_missing_directory_has_nothing_to_apply(tmp_path: Path) -> None:
    assert pending_sql_migrations(tmp_path / "nowhere") == []
    assert apply_sql_migrations(tmp_path / "nowhere") == []


def test_an_applied_file_that_was_edited_stops_everything(migrations: Path) -> None:
    write(migrations, "0001_lists.sql", "create table lists (id integer primary key);")
    write(migrations, "0002_x.sql", "insert into lists default values;")
    apply_sql_migrations(migrations)
    write(migrations, "0002_x.sql", "insert into lists default values; -- twice")
    write(migrations, "0003_later.sql", "create table later (id int);")

    with pytest.raises(SqlMigrationEdited) as error:
        apply_sql_migrations(migrations)

    assert str(error.value) == (
        "migration 0002_x.sql was edited after it was applied (checksum mismatch); "
        "add a new migration instead"
    )
    assert error.value.exit_code == 1
    assert "later" not in user_tables()
    assert pending_sql_migrations(migrations) == ["0003_later.sql"]


def test_line_endings_alone_are_not_an_edit(migrations: Path) -> None:
    path = migrations / "0001_lists.sql"
    path.write_bytes(b"create table lists (id integer primary key);\n")
    apply_sql_migrations(migrations)
    path.write_bytes(b"create table lists (id integer primary key);\r\n")

    assert apply_sql_migrations(migrations) == []


def test_a_failing_file_stays_unapplied_and_later_files_are_not_tried(
    migrations: Path,
) -> None:
    write(migrations, "0001_lists.sql", "create table lists (id integer primary key);")
    write(
        migrations,
        "0002_bad.sql",
        "create table items (id int);\n\n-- oops\ninsert into nowhere values (1);\n",
    )
    write(migrations, "0003_later.sql", "create table later (id int);")

    with pytest.raises(SqlMigrationFailed) as error:
        apply_sql_migrations(migrations)

    assert str(error.value) == (
        "migration 0002_bad.sql: statement 2 (line 4): no such table: nowhere"
    )
    assert error.value.exit_code == 1
    assert list(SqlMigration.objects.values_list("name", flat=True)) == [
        "0001_lists.sql"
    ]
    assert user_tables() == {"lists"}


def test_a_fixed_file_applies_on_the_next_run(migrations: Path) -> None:
    write(migrations, "0001_bad.sql", "create table lists (id integer primary key")
    with pytest.raises(SqlMigrationFailed, match=r"^migration 0001_bad\.sql: "):
        apply_sql_migrations(migrations)

    write(migrations, "0001_bad.sql", "create table lists (id integer primary key);")

    assert apply_sql_migrations(migrations) == ["0001_bad.sql"]


def test_a_file_that_is_not_utf8_is_refused(migrations: Path) -> None:
    (migrations / "0001_latin1.sql").write_bytes(b"select '\xe9';")

    with pytest.raises(SqlMigrationFailed, match="not valid UTF-8"):
        apply_sql_migrations(migrations)

    assert SqlMigration.objects.count() == 0
