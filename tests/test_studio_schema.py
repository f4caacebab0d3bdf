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
