"""Supabase Storage's path helpers and array subscripts in policy expressions."""

from __future__ import annotations

import sqlite3

import pytest

from database.schema import SchemaCache, read_schema, schema_version
from database.sql import AuthValue
from koyalite.errors import KoyaError
from rls.expr import compile_expression
from rls.tests.conftest import (
    ALICE,
    ALICE_AUTH,
    ANON_AUTH,
    BOB,
    BOB_AUTH,
    Requester,
)

FILES_SQL = f"""
create table files (
  id integer primary key,
  name text,
  owner uuid,
  tags text[],
  scores integer[],
  grid integer[][],
  meta jsonb
);
insert into files (id, name, tags, scores, grid) values
  (1, '{ALICE}/avatar.png', '["red","blue"]', '[5, 7]', '[[1,2],[3,4]]'),
  (2, '{ALICE}/docs/cv.pdf', '["blue"]', '[]', null),
  (3, '{BOB}/avatar.jpg', '[]', '[7]', null),
  (4, 'avatar.png', null, null, null),
  (5, '{ALICE}', '["red"]', '[1]', null),
  (6, '', null, null, null),
  (7, 'x/.env', null, null, null);
"""
FOLDER_POLICY = "(storage.foldername(name))[1] = auth.uid()::text"


@pytest.fixture
def files(db: sqlite3.Connection) -> SchemaCache:
    db.executescript(FILES_SQL)
    return read_schema(db, schema_version(db))


def visible(db: sqlite3.Connection, schema: SchemaCache, text: str, who: Requester):
    sql = compile_expression(text, "files", "f0", schema)
    query = f"SELECT id FROM files AS f0 WHERE {sql.text} ORDER BY id"
    return [row[0] for row in db.execute(query, who.bind(sql)).fetchall()]


@pytest.mark.parametrize(
    ("who", "ids"), [(ALICE_AUTH, [1, 2]), (BOB_AUTH, [3]), (ANON_AUTH, [])]
)
def test_own_folder_policy_shows_each_user_the_files_under_their_uid(
    db, files, who, ids
):
    assert visible(db, files, FOLDER_POLICY, who) == ids


def test_own_folder_policy_compiles_to_parameters_and_our_functions(files):
    sql = compile_expression(FOLDER_POLICY, "files", "f0", files)

    assert sql.text == (
        '(koyalite_subscript((koyalite_storage_foldername("f0"."name")), ?) = ?)'
    )
    assert sql.params == (1, AuthValue("uid"))


@pytest.mark.parametrize(
    ("expression", "ids"),
    [
        ("storage.extension(name) = 'png'", [1, 4]),
        ("storage.extension(name) = 'env'", [7]),
        ("storage.extension(name) in ('jpg', 'pdf')", [2, 3]),
        ("storage.filename(name) = 'avatar.png'", [1, 4]),
        ("storage.filename(name) = auth.uid()::text", [5]),
        ("storage.filename(name) is null", [6]),
        ("(storage.foldername(name))[2] = 'docs'", [2]),
        ("(storage.foldername(name))[1] is null", [4, 5, 6]),
        ("(storage.foldername(name))[0] is not null", []),
        ("(storage.foldername(name))[-1] is not null", []),
        ("(storage.foldername(name))[3] is not null", []),
        ("(storage.foldername(name))['1'] = 'x'", [7]),
        ("((storage.foldername((name))))[1] = 'x'", [7]),
        ("(storage.foldername(name))[id - 6] = 'x'", [7]),
        ('"storage"."foldername"(name) is null', [6]),
        ("tags[1] = 'red'", [1, 5]),
        ("tags[2] = 'blue'", [1]),
        ("tags[1] = 'blue' or (tags)[2] = 'blue'", [1, 2]),
        ("tags[0] is not null or tags[-1] is not null or tags[3] is not null", []),
        ("tags[null] is not null", []),
        ("scores[1] = 7", [3]),
        ("scores[2] > scores[1]", [1]),
        ("scores[1.5] = 7", [1]),
        ("grid[2][1] = 3", [1]),
        ("grid[1] is not null", []),
        ("upper(storage.extension(name)) = 'PNG' and tags[1] = 'red'", [1]),
    ],
)
def test_helpers_and_subscripts_filter_as_in_postgres(db, files, expression, ids):
    assert visible(db, files, expression, ALICE_AUTH) == ids


def test_a_subscripted_helper_compares_with_a_subquery(db, files):
    db.execute(
        "insert into files (id, name, owner) values (8, ?, ?)", (f"{BOB}/b", BOB)
    )
    expression = (
        "exists (select 1 from files o where o.owner = auth.uid() "
        "and (storage.foldername(files.name))[1] = o.owner::text)"
    )

    assert visible(db, files, expression, BOB_AUTH) == [3, 8]
    assert visible(db, files, expression, ALICE_AUTH) == []


@pytest.mark.parametrize(
    ("expression", "code", "message"),
    [
        ("storage.foldername() is null", "42883",
         "function storage.foldername() does not exist"),
        ("storage.foldername(name, '/') is null", "42883",
         "function storage.foldername(text, unknown) does not exist"),
        ("storage.filename(id) = 'a'", "42883",
         "function storage.filename(integer) does not exist"),
        ("storage.extension(owner) = 'a'", "42883",
         "function storage.extension(uuid) does not exist"),
        ("storage.search(name) is null", "42883",
         "function storage.search() does not exist"),
        ("storage.objects(name) is null", "42883",
         "function storage.objects() does not exist"),
        ("foldername(name) is null", "42883", "function foldername() does not exist"),
        ("(storage.foldername(name))[1:2] is null", "42601",
         "array slices are not supported in policy expressions"),
        ("tags[:1] is null", "42601", "array slices are not supported"),
        ("(storage.foldername(name))[] = 'a'", "42601", "syntax error"),
        ("(storage.foldername(name))[1 = 'a'", "42601", "syntax error"),
        ("(storage.foldername(name))[1, 2] = 'a'", "42601",
         "unsupported syntax in policy expression"),
        ("name[1] = 'a'", "42804",
         "cannot subscript type text because it does not support subscripting"),
        ("storage.filename(name)[1] = 'a'", "42804", "cannot subscript type text"),
        ("((storage.foldername(name))[1])[1] = 'a'", "42804",
         "cannot subscript type text"),
        ("meta[1] = 'a'", "42804", "cannot subscript type jsonb"),
        ("tags['first'] = 'a'", "22P02", 'invalid input syntax for type integer: "first"'),
        ("tags[name] = 'a'", "42804", "array subscript must have type integer"),
        ("tags[true] = 'a'", "42804", "array subscript must have type integer"),
    ],
)  # fmt: skip
def test_malformed_helpers_and_subscripts_are_rejected(
    files, expression, code, message
):
    with pytest.raises(KoyaError) as error:
        compile_expression(expression, "files", "f0", files)

    assert error.value.code == code
    assert message in str(error.value)


def test_errors_show_the_subscript_as_written(files):
    with pytest.raises(KoyaError) as error:
        compile_expression("name[1] = 'a'", "files", "f0", files)

    assert error.value.details == 'in "name[1]"'


def test_unknown_function_hint_names_the_storage_helpers(files):
    with pytest.raises(KoyaError) as error:
        compile_expression("storage.size(name) > 1", "files", "f0", files)

    assert "storage.foldername(), storage.filename(), storage.extension()" in str(
        error.value.hint
    )


def test_owner_id_folder_policy_for_a_user_without_folder(db, files):
    """A user with no files under their uid sees nothing, not files at the root."""
    stranger = Requester("authenticated", "00000000-0000-4000-8000-0000000000ff")

    assert visible(db, files, FOLDER_POLICY, stranger) == []
    assert visible(db, files, FOLDER_POLICY, Requester("authenticated", ALICE)) == [
        1,
        2,
    ]
