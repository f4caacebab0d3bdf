"""Supabase Storage's path helpers and array subscripts in SQL scripts:
translated for SQLite, then run on the project database."""

from __future__ import annotations

import pytest

from database.errors import SqlScriptError, UnsupportedSql
from database.runner import run_sql
from database.sqlscript import Statement, translate

OWNER = "00000000-0000-4000-8000-00000000a11c"

runs_sql = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("drop_user_tables"),
]


def sql(text: str) -> str:
    return translate(Statement(1, 1, text))


def rows(script: str) -> list[tuple[object, ...]]:
    *_, result = run_sql(script)
    return list(result.rows)


@pytest.mark.parametrize(
    ("postgres", "sqlite"),
    [
        ("select storage.foldername(name) from f",
         "select koyalite_storage_foldername(name) from f"),
        ('select "storage".filename("name") from f',
         'select koyalite_storage_filename("name") from f'),
        ("select STORAGE.Extension('a.png')", "select koyalite_storage_extension('a.png')"),
        ("select (storage.foldername(name))[1] from f",
         "select koyalite_subscript((koyalite_storage_foldername(name)), 1) from f"),
        ("select storage.foldername(name)[2]::int from f",
         "select (CAST(koyalite_subscript(koyalite_storage_foldername(name), 2) "
         "AS INTEGER)) from f"),
        ("select tags[1], t.tags[id + 1], \"tags\"[2][1] from t",
         "select koyalite_subscript(tags, 1), koyalite_subscript(t.tags, id + 1), "
         "koyalite_subscript(\"tags\", 2, 1) from t"),
        ("select (('{a,b}'::text[]))[2]", "select koyalite_subscript((('[\"a\", \"b\"]')), 2)"),
        ("select (array['a', 'b'])[1]",
         "select koyalite_subscript(((json_array('a', 'b'))), 1)"),
        ("delete from t where tags[1] in (select tags[2] from t)",
         "delete from t where koyalite_subscript(tags, 1) in "
         "(select koyalite_subscript(tags, 2) from t)"),
    ],
)  # fmt: skip
def test_helpers_and_subscripts_become_koyalites_functions(
    postgres: str, sqlite: str
) -> None:
    assert sql(postgres) == sqlite


@pytest.mark.parametrize(
    "statement",
    [
        "create table t (tags text[] default '{}', grid int[3][3])",
        "alter table t add column tags varchar(20)[]",
        "select x::text[], cast(x as text[]) from t",
        'create table "t" ("a" int)',
    ],
)
def test_array_types_are_not_subscripts(statement: str) -> None:
    assert "koyalite_subscript" not in sql(statement)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("select storage.foldername() from f",
         "function storage.foldername() takes one argument, 0 given"),
        ("select storage.filename(name, '/') from f",
         "function storage.filename() takes one argument, 2 given"),
        ("select tags[1:2] from t", "array slices ([lower:upper]) are not supported"),
        ("select (storage.foldername(name))[:1] from f",
         "array slices ([lower:upper]) are not supported"),
        ("select tags[1, 2] from t", "an array subscript takes one index per [ ]"),
    ],
)  # fmt: skip
def test_malformed_helpers_and_subscripts_are_refused(
    statement: str, message: str
) -> None:
    with pytest.raises(UnsupportedSql) as error:
        sql(statement)

    assert str(error.value) == f"statement 1 (line 1): {message}"


@pytest.mark.parametrize(
    ("name", "folders", "filename", "extension"),
    [
        ("a/b/c.png", '["a","b"]', "c.png", "png"),
        ("README", "[]", "README", "README"),
        ("a/b/", '["a","b"]', "", ""),
        (".env", "[]", ".env", "env"),
        ("x.tar.gz", "[]", "x.tar.gz", "gz"),
        ("", None, None, None),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_helpers_run_in_sql_scripts(
    name: str, folders: str | None, filename: str | None, extension: str | None
) -> None:
    literal = "'" + name + "'"

    assert rows(
        f"select storage.foldername({literal}), storage.filename({literal}), "
        f"storage.extension({literal})"
    ) == [(folders, filename, extension)]


@pytest.mark.parametrize(
    ("index", "element"),
    [("1", "a"), ("2", "b"), ("0", None), ("-1", None), ("3", None)],
)
@pytest.mark.django_db(transaction=True)
def test_subscripts_run_in_sql_scripts(index: str, element: str | None) -> None:
    assert rows(f"select (storage.foldername('a/b/c.png'))[{index}]") == [(element,)]


@pytest.mark.usefixtures("drop_user_tables")
@pytest.mark.django_db(transaction=True)
def test_subscripts_of_array_columns_in_where_and_update() -> None:
    run_sql(
        "create table docs (id integer primary key, name text, tags text[]);\n"
        "insert into docs (name, tags) values\n"
        f"  ('{OWNER}/a.png', '{{red,blue}}'::text[]), ('b/c.pdf', array['blue']),\n"
        "  ('top.txt', null);"
    )

    assert rows(
        "select id, tags[2], (storage.foldername(name))[1] from docs "
        "where tags[1] is not null order by id"
    ) == [(1, "blue", OWNER), (2, None, "b")]
    assert rows(
        "update docs set name = 'moved/' || storage.filename(name) "
        f"where (storage.foldername(name))[1] = '{OWNER}' returning name"
    ) == [("moved/a.png",)]


@pytest.mark.usefixtures("drop_user_tables")
@pytest.mark.django_db(transaction=True)
def test_create_policy_with_the_own_folder_expression_is_stored() -> None:
    from rls.models import Policy

    run_sql(
        "create table docs (id integer primary key, name text);\n"
        "alter table docs enable row level security;\n"
        'create policy "own folder" on docs for select to authenticated\n'
        "  using ((storage.foldername(name))[1] = auth.uid()::text\n"
        "    and storage.extension(name) in ('png', 'jpg'));"
    )

    assert Policy.objects.get().using == (
        "(storage.foldername(name))[1] = auth.uid()::text\n"
        "    and storage.extension(name) in ('png', 'jpg')"
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("(storage.foldername(name))[1:2] = 'a'",
         "array slices are not supported in policy expressions"),
        ("(storage.foldername(name))[] = 'a'", "syntax error in policy expression"),
        ("storage.foldername(name)[1 = 'a'", "syntax error in policy expression"),
        ("storage.foldername(name, '/') is null",
         "function storage.foldername(text, unknown) does not exist"),
        ("storage.filename() = 'a'", "function storage.filename() does not exist"),
        ("storage.extension(id) = 'a'",
         "function storage.extension(integer) does not exist"),
        ("storage.object_size(name) > 1", "function storage.object_size() does not exist"),
        ("name[1] = 'a'", "cannot subscript type text"),
    ],
)  # fmt: skip
@pytest.mark.usefixtures("drop_user_tables")
@pytest.mark.django_db(transaction=True)
def test_create_policy_with_a_malformed_helper_or_subscript_creates_nothing(
    expression: str, message: str
) -> None:
    from rls.models import Policy, TableSecurity

    with pytest.raises(SqlScriptError) as error:
        run_sql(
            "create table docs (id integer primary key, name text);\n"
            "alter table docs enable row level security;\n"
            f'create policy "own folder" on docs using ({expression});'
        )

    assert str(error.value).startswith("statement 3 (line 3): ")
    assert message in str(error.value)
    assert Policy.objects.count() == 0
    assert TableSecurity.objects.count() == 0
    with pytest.raises(SqlScriptError):
        run_sql("select * from docs")
