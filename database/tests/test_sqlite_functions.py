"""The SQL functions every connection gets: Supabase Storage's path helpers and
Postgres array subscripts, checked on a real SQLite connection.

The expected values are what Supabase Storage's definitions give in Postgres
(migrations/tenant/0060, 0061): `string_to_array(name, '/')`, then
`_parts[1:array_length(_parts, 1) - 1]`, `_parts[array_length(_parts, 1)]` and
`reverse(split_part(reverse(filename), '.', 1))`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from database.sqlite import functions


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    functions.register(connection)
    yield connection
    connection.close()


def helpers(db: sqlite3.Connection, name: str | None) -> tuple[object, ...]:
    return db.execute(
        "SELECT koyalite_storage_foldername(?), koyalite_storage_filename(?), "
        "koyalite_storage_extension(?)",
        (name, name, name),
    ).fetchone()


@pytest.mark.parametrize(
    ("name", "folders", "filename", "extension"),
    [
        ("avatars/u1/photo.png", '["avatars","u1"]', "photo.png", "png"),
        ("a/b/c/d/e.txt", '["a","b","c","d"]', "e.txt", "txt"),
        ("photo.png", "[]", "photo.png", "png"),
        # A trailing slash leaves an empty last part: no filename, no extension.
        ("a/b/", '["a","b"]', "", ""),
        ("/", '[""]', "", ""),
        ("/top.png", '[""]', "top.png", "png"),
        ("a//b.png", '["a",""]', "b.png", "png"),
        # No '.': split_part returns the whole (reversed) filename.
        ("docs/README", '["docs"]', "README", "README"),
        (".env", "[]", ".env", "env"),
        ("cfg/.bashrc", '["cfg"]', ".bashrc", "bashrc"),
        ("backup.tar.gz", "[]", "backup.tar.gz", "gz"),
        ("trailing.", "[]", "trailing.", ""),
        ("dir.d/file", '["dir.d"]', "file", "file"),
        ("résumé/日本/写真.ＰＮＧ", '["résumé","日本"]', "写真.ＰＮＧ", "ＰＮＧ"),
        ("emoji/🙂.😀", '["emoji"]', "🙂.😀", "😀"),
    ],
)
def test_storage_helpers_split_names_as_supabase_storage_does(
    db: sqlite3.Connection, name: str, folders: str, filename: str, extension: str
) -> None:
    assert helpers(db, name) == (folders, filename, extension)


def test_storage_helpers_of_an_empty_name_are_null(db: sqlite3.Connection) -> None:
    """string_to_array('', '/') has no elements; its length, and so every
    subscript of it, is NULL."""
    assert helpers(db, "") == (None, None, None)


def test_storage_helpers_of_null_are_null(db: sqlite3.Connection) -> None:
    assert helpers(db, None) == (None, None, None)


def test_foldername_is_an_array_the_json_functions_read(
    db: sqlite3.Connection,
) -> None:
    row = db.execute(
        "SELECT json_array_length(koyalite_storage_foldername('a/b/c.png')), "
        "koyalite_storage_foldername('a/\"q\"/c.png') ->> '$[1]'"
    ).fetchone()

    assert row == (2, '"q"')


def subscript(db: sqlite3.Connection, array: object, *indexes: object) -> object:
    marks = ", ".join("?" for _ in indexes)
    return db.execute(
        f"SELECT koyalite_subscript(?, {marks})", (array, *indexes)
    ).fetchone()[0]


@pytest.mark.parametrize(
    ("index", "element"),
    [(1, "a"), (2, "b"), (3, "c"), (0, None), (-1, None), (4, None), (None, None)],
)
def test_subscript_is_one_based_and_null_out_of_range(
    db: sqlite3.Connection, index: int | None, element: str | None
) -> None:
    assert subscript(db, '["a","b","c"]', index) == element


def test_subscript_of_a_helper_result_in_sql(db: sqlite3.Connection) -> None:
    row = db.execute(
        "SELECT koyalite_subscript(koyalite_storage_foldername(?), 1), "
        "koyalite_subscript(koyalite_storage_foldername(?), 1)",
        ("u1/photos/a.png", "a.png"),
    ).fetchone()

    assert row == ("u1", None)


def test_subscript_keeps_element_types(db: sqlite3.Connection) -> None:
    assert subscript(db, "[10, 2.5, true, null]", 1) == 10
    assert subscript(db, "[10, 2.5, true, null]", 2) == 2.5
    assert subscript(db, "[10, 2.5, true, null]", 3) == 1
    assert subscript(db, "[10, 2.5, true, null]", 4) is None
    assert subscript(db, '[{"b": 1, "a": [2]}]', 1) == '{"b":1,"a":[2]}'


def test_subscript_coerces_the_index_as_postgres_does(db: sqlite3.Connection) -> None:
    assert subscript(db, '["a","b","c"]', "2") == "b"
    assert subscript(db, '["a","b","c"]', 1.5) == "b"
    assert subscript(db, '["a","b","c"]', 2.4) == "b"
    assert subscript(db, '["a","b","c"]', -0.4) is None


def test_subscript_refuses_an_index_that_is_not_an_integer(
    db: sqlite3.Connection,
) -> None:
    with pytest.raises(sqlite3.OperationalError):
        subscript(db, '["a"]', "first")

    error = functions.take_error()
    assert error is not None
    assert str(error) == 'invalid input syntax for type integer: "first"'


def test_subscripts_of_a_two_dimensional_array(db: sqlite3.Connection) -> None:
    """As in Postgres: one subscript per dimension gives an element; fewer
    give NULL, not a row of the array; more give NULL."""
    grid = "[[1, 2], [3, 4]]"

    assert subscript(db, grid, 2, 1) == 3
    assert subscript(db, grid, 1) is None
    assert subscript(db, grid, 1, 2, 1) is None
    assert subscript(db, grid, 3, 1) is None


@pytest.mark.parametrize("value", ["plain text", "{a,b}", '{"a": 1}', "7", 7])
def test_subscript_of_what_is_not_a_json_array_is_null(
    db: sqlite3.Connection, value: object
) -> None:
    assert subscript(db, value, 1) is None
