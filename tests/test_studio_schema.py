"""The Studio's schema editor: DDL built on the server from validated input,
previewed, run through the SQL runner, saved as a migration `koyalite migrate`
then skips."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import ALICE, run_cli
from tests.studio_http import StudioClient

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def client(studio_live) -> StudioClient:
    return StudioClient(studio_live.url)


def _table(client: StudioClient, name: str) -> dict | None:
    tables = client.get("/studio/api/schema").json()["tables"]
    return next((t for t in tables if t["name"] == name), None)


CREATE = {
    "action": "create_table",
    "name": "schemat_api",
    "columns": [
        {"name": "id", "type": "bigserial", "primary_key": True},
        {
            "name": "owner",
            "type": "uuid",
            "nullable": False,
            "references": {
                "table": "auth.users",
                "column": "id",
                "on_delete": "cascade",
            },
        },
        {
            "name": "title",
            "type": "text",
            "default_value": "it's",
            "check": "length(title) < 100",
        },
        {"name": "done", "type": "bool", "default_value": "false"},
        {"name": "at", "type": "timestamptz", "default_expression": "now()"},
    ],
}

ENDPOINTS = [
    ("GET", "/studio/api/schema", None),
    ("POST", "/studio/api/schema/preview", CREATE),
    ("POST", "/studio/api/schema/run", CREATE),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_endpoints_refuse_without_a_session(studio_live, method, path, body):
    response = httpx.request(method, studio_live.url + path, json=body)

    assert response.status_code == 403


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_endpoints_refuse_an_app_users_jwt(studio_live, method, path, body):
    response = httpx.request(
        method, studio_live.url + path, json=body, headers=studio_live.headers(ALICE)
    )

    assert response.status_code == 403
    assert "tables" not in response.text and "sql" not in response.json()


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS[1:])
def test_writes_need_the_csrf_token(client, method, path, body):
    response = client.send(method, path, body, csrf=False)

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_preview_builds_quoted_ddl(client):
    response = client.send("POST", "/studio/api/schema/preview", CREATE)

    assert response.status_code == 200
    assert response.json()["sql"] == (
        'create table "schemat_api" (\n'
        '  "id" bigserial primary key,\n'
        '  "owner" uuid not null references auth.users ("id") on delete cascade,\n'
        "  \"title\" text default 'it''s' check (length(title) < 100),\n"
        '  "done" bool default false,\n'
        '  "at" timestamptz default now()\n'
        ");\n"
        'alter table "schemat_api" enable row level security;\n'
    )
    assert _table(client, "schemat_api") is None  # a preview runs nothing


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "text; drop table todos"}, "columns"),
        ({"check": "1); drop table todos; select (1"}, "check"),
        ({"type": "int4", "default_value": "1 or 1"}, "default_value"),
    ],
)
def test_preview_refuses_what_is_not_ddl(client, change, field):
    column = {"name": "x", "type": "text", **change}
    body = {"action": "create_table", "name": "schemat_bad", "columns": [column]}

    response = client.send("POST", "/studio/api/schema/preview", body)

    assert response.status_code == 400
    assert field in response.json()


def test_run_creates_then_alters_the_table(client):
    created = client.send("POST", "/studio/api/schema/run", CREATE)
    assert created.status_code == 200, created.text
    table = _table(client, "schemat_api")
    assert [c["name"] for c in table["columns"]] == [
        "id",
        "owner",
        "title",
        "done",
        "at",
    ]
    assert table["rls"] is True

    steps = [
        {
            "action": "add_column",
            "table": "schemat_api",
            "column": {"name": "note", "type": "text"},
        },
        {
            "action": "rename_column",
            "table": "schemat_api",
            "column": "note",
            "new_name": "memo",
        },
        {
            "action": "create_index",
            "table": "schemat_api",
            "columns": ["memo"],
            "unique": True,
        },
        {"action": "set_rls", "table": "schemat_api", "enabled": False},
    ]
    for step in steps:
        response = client.send("POST", "/studio/api/schema/run", step)
        assert response.status_code == 200, response.text
    table = _table(client, "schemat_api")
    assert "memo" in [c["name"] for c in table["columns"]]
    assert [i["name"] for i in table["indexes"]] == ["schemat_api_memo_idx"]
    assert table["rls"] is False

    for step in [
        {"action": "drop_index", "name": "schemat_api_memo_idx"},
        {"action": "drop_column", "table": "schemat_api", "column": "memo"},
        {"action": "rename_table", "table": "schemat_api", "new_name": "schemat_api2"},
        {"action": "drop_table", "table": "schemat_api2"},
    ]:
        response = client.send("POST", "/studio/api/schema/run", step)
        assert response.status_code == 200, response.text
    assert _table(client, "schemat_api2") is None


def test_a_failing_run_changes_nothing(client, studio_live):
    body = {
        "save_migration": True,
        "migration_name": "schemat failing",
        "action": "create_table",
        "name": "schemat_fk",
        "columns": [
            {"name": "id", "type": "int8", "primary_key": True},
            {"name": "x", "type": "int8", "check": "no_such_function(x)"},
        ],
    }
    response = client.send("POST", "/studio/api/schema/run", body)

    assert response.status_code == 400
    assert "no_such_function" in response.json()["error"]["message"]
    assert _table(client, "schemat_fk") is None
    assert list((studio_live.project / "migrations").glob("*schemat_failing*")) == []


def test_a_migration_needs_a_name(client):
    body = {"action": "set_rls", "table": "todos", "enabled": True}
    response = client.send(
        "POST", "/studio/api/schema/run", {**body, "save_migration": True}
    )

    assert response.status_code == 400
    assert "migration_name" in response.json()


# ---------------------------------------------------------------- browser


def test_create_table_preview_run_and_save_migration(studio, studio_live):
    page = studio.goto("/studio/schema/")
    page.get_by_label("Table name").fill("schemat_ui")
    first = page.get_by_role("group", name="Column 1")
    first.get_by_label("Name").fill("id")
    first.get_by_label("Type").select_option("bigserial")
    first.get_by_label("Primary key").check()
    page.get_by_role("button", name="Add another column").click()
    second = page.get_by_role("group", name="Column 2")
    second.get_by_label("Name").fill("title")
    second.get_by_label("Type").select_option("text")
    second.get_by_label("Nullable").uncheck()
    page.get_by_role("button", name="Preview SQL").click()

    sql = page.get_by_test_id("preview-sql")
    sql.wait_for()
    expected = (
        'create table "schemat_ui" (\n  "id" bigserial primary key,\n'
        '  "title" text not null\n);\n'
        'alter table "schemat_ui" enable row level security;\n'
    )
    assert sql.inner_text() == expected.rstrip("\n") or sql.inner_text() == expected
    studio.screenshot("schema-preview")
    page.get_by_label("Save as a migration file").check()
    page.get_by_label("Migration name").fill("create schemat ui")
    page.get_by_role("button", name="Run SQL").click()

    page.get_by_role("heading", name="schemat_ui").wait_for()
    expect(page.get_by_role("cell", name="title", exact=True)).to_be_visible()
    files = sorted((studio_live.project / "migrations").glob("*_create_schemat_ui.sql"))
    assert len(files) == 1
    assert files[0].read_text().endswith(expected)
    migrate = run_cli(studio_live.project, "migrate")
    assert "No SQL migrations to apply." in migrate.stdout
    studio.screenshot("schema-table")

    # Add a column to the table just made.
    column = page.get_by_role("group", name="Column 1")
    column.get_by_label("Name").fill("note")
    column.get_by_label("Type").select_option("text")
    page.get_by_role("region", name="Add column").get_by_role(
        "button", name="Preview SQL"
    ).click()
    sql.wait_for()
    assert (
        sql.inner_text().strip() == 'alter table "schemat_ui" add column "note" text;'
    )
    page.get_by_role("button", name="Run SQL").click()
    page.get_by_role("cell", name="note", exact=True).wait_for()
    assert studio.failed_requests == []


def test_drop_column_asks_first(studio, client):
    client.send(
        "POST", "/studio/api/sql", {"sql": "create table schemat_drop (a int, b int)"}
    )
    page = studio.goto("/studio/schema/?table=schemat_drop")
    page.get_by_role("button", name="Drop column b").click()
    page.get_by_test_id("preview-sql").wait_for()
    page.get_by_role("button", name="Run SQL").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    assert [c["name"] for c in _table(client, "schemat_drop")["columns"]] == ["a", "b"]

    page.get_by_role("button", name="Run SQL").click()
    page.get_by_role("dialog").get_by_role("button", name="Run").click()
    page.get_by_text("Done: ALTER TABLE").wait_for()
    expect(page.get_by_role("cell", name="a", exact=True)).to_be_visible()
    assert page.get_by_role("cell", name="b", exact=True).count() == 0


def test_markup_in_names_shows_as_text(studio, client):
    quoted = XSS.replace('"', '""')
    response = client.send(
        "POST",
        "/studio/api/sql",
        {"sql": f'create table "{quoted}" ("{quoted}" text)'},
    )
    assert response.status_code == 200, response.text
    page = studio.goto("/studio/schema/")
    page.get_by_role("link", name=XSS).click()
    page.get_by_role("heading", name=XSS).wait_for()

    expect(page.get_by_role("cell", name=XSS, exact=True)).to_be_visible()
    assert page.locator("main img").count() == 0
    studio.screenshot("schema-xss")


# ---------------------------------------------------------------- column types


def _sql(client: StudioClient, sql: str) -> None:
    response = client.send("POST", "/studio/api/sql", {"sql": sql})
    assert response.status_code == 200, response.text


def _column_type(client: StudioClient, table: str, column: str) -> str:
    found = _table(client, table)
    assert found is not None
    return next(c["type"] for c in found["columns"] if c["name"] == column)


def _change(table: str, **extra) -> dict:
    return {
        "action": "change_column_type",
        "table": table,
        "column": "priority",
        "type": "int8",
        **extra,
    }


@pytest.fixture(scope="module")
def retype_table(client) -> str:
    _sql(
        client,
        "create table schemat_retype (id integer primary key, priority text);\n"
        "insert into schemat_retype (priority) values ('3'), ('abc');",
    )
    return "schemat_retype"


def test_change_type_preview_builds_alter_column(client, retype_table):
    body = _change(retype_table, using="nullif(priority, 'abc')::int")

    response = client.send("POST", "/studio/api/schema/preview", body)

    assert response.status_code == 200, response.text
    assert response.json()["sql"] == (
        'alter table "schemat_retype" alter column "priority" type int8 '
        "using nullif(priority, 'abc')::int;\n"
    )
    assert _column_type(client, retype_table, "priority") == "TEXT"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"column": "nope"}, "column"),
        ({"table": "schemat_missing"}, "table"),
        ({"type": "int8; drop table todos"}, "type"),
        ({"type": "bigserial"}, "type"),
        ({"using": "1; drop table todos"}, "using"),
        ({"using": "(priority"}, "using"),
    ],
)
def test_change_type_refuses_bad_input(client, retype_table, change, field):
    body = {**_change(retype_table), **change}

    response = client.send("POST", "/studio/api/schema/preview", body)

    assert response.status_code == 400
    assert field in response.json()


def test_change_type_needs_an_operator_and_the_csrf_token(
    client, studio_live, retype_table
):
    body = _change(retype_table, using="null")
    as_app_user = httpx.post(
        studio_live.url + "/studio/api/schema/run",
        json=body,
        headers=studio_live.headers(ALICE),
    )
    without_csrf = client.send("POST", "/studio/api/schema/run", body, csrf=False)

    assert as_app_user.status_code == 403
    assert without_csrf.status_code == 403
    assert _column_type(client, retype_table, "priority") == "TEXT"


def test_change_type_runs_and_a_failing_conversion_changes_nothing(client):
    _sql(
        client,
        "create table schemat_retype_run (id integer primary key, priority text);\n"
        "insert into schemat_retype_run (priority) values ('3'), ('x');",
    )

    failed = client.send(
        "POST", "/studio/api/schema/run", _change("schemat_retype_run")
    )
    fixed = client.send(
        "POST",
        "/studio/api/schema/run",
        _change("schemat_retype_run", using="nullif(priority, 'x')"),
    )

    assert failed.status_code == 400
    assert failed.json()["error"]["message"] == (
        'statement 1 (line 1): invalid input syntax for type bigint: "x" '
        '(column "priority", row id = 2)'
    )
    assert fixed.status_code == 200, fixed.text
    assert _column_type(client, "schemat_retype_run", "priority") == "int8"
    rows = client.send(
        "POST", "/studio/api/sql", {"sql": "select priority from schemat_retype_run"}
    ).json()
    assert rows["rows"] == [[3], [None]]


def test_change_type_in_the_browser_shows_errors_then_runs(studio, studio_live, client):
    _sql(
        client,
        "create table schemat_retype_ui (id integer primary key, priority text);\n"
        "insert into schemat_retype_ui (priority) values ('7'), ('soon');",
    )
    page = studio.goto("/studio/schema/?table=schemat_retype_ui")
    page.get_by_label("New type for column priority").select_option("int8")
    page.get_by_role("button", name="Change type of column priority").click()

    sql = page.get_by_test_id("preview-sql")
    expect(sql).to_have_text(
        'alter table "schemat_retype_ui" alter column "priority" type int8;'
    )
    page.get_by_role("button", name="Run SQL").click()
    expect(page.get_by_role("alert")).to_contain_text(
        'invalid input syntax for type bigint: "soon"'
    )
    studio.screenshot("schema-change-type-error")
    assert _column_type(client, "schemat_retype_ui", "priority") == "TEXT"

    page.get_by_label("Using expression for column priority").fill(
        "case when priority glob '[0-9]*' then priority end"
    )
    page.get_by_role("button", name="Change type of column priority").click()
    expect(sql).to_contain_text("using case when priority glob '[0-9]*'")
    page.get_by_label("Save as a migration file").check()
    page.get_by_label("Migration name").fill("retype priority")
    page.get_by_role("button", name="Run SQL").click()

    expect(page.get_by_text("Done: ALTER TABLE")).to_be_visible()
    expect(page.get_by_role("cell", name="int8", exact=True)).to_be_visible()
    expect(page.get_by_label("New type for column priority")).to_have_value("int8")
    studio.screenshot("schema-change-type")
    assert _column_type(client, "schemat_retype_ui", "priority") == "int8"
    # The one refused run: the conversion that failed.
    assert studio.failed_requests == [f"400 {studio_live.url}/studio/api/schema/run"]
