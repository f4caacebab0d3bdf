"""Fixtures for database tests that create user tables in the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from database.schema import is_internal_table


def user_tables() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("select name from sqlite_schema where type in ('table', 'view')")
        return {name for (name,) in cursor.fetchall() if not is_internal_table(name)}


@pytest.fixture
def drop_user_tables(transactional_db: None) -> Iterator[None]:
    """Drop what a test created: Django's flush only knows its own tables."""
    before = user_tables()
    yield
    with connection.cursor() as cursor:
        cursor.execute("pragma foreign_keys = off")
        for name in user_tables() - before:
            cursor.execute("select type from sqlite_schema where name = %s", [name])
            (kind,) = cursor.fetchone()
            cursor.execute(f'drop {kind} if exists "{name}"')
        cursor.execute("pragma foreign_keys = on")
