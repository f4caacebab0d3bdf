"""The Studio's SQL editor: runs through `koyalite sql`'s runner with a time
limit, shows results and errors (line:column), keeps history and snippets."""

from __future__ import annotations

import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import ALICE, create_operator
from tests.studio_http import StudioClient

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def client(studio_live) -> StudioClient:
    return StudioClient(studio_live.url)


# ---------------------------------------------------------------- JSON endpoints

ENDPOINTS = [
    ("POST", "/studio/api/sql", {"sql": "select 1"}),
    ("GET", "/studio/api/sql/history", None),
    ("GET", "/studio/api/sql/snippets", None),
    ("POST", "/studio/api/sql/snippets", {"name": "n", "sql": "select 1"}),
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
    assert "rows" not in response.text and "runs" not in response.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [e for e in ENDPOINTS if e[0] != "GET"]
    + [("PATCH", "/studio/api/sql/snippets?id=1", {"name": "x"})]
    + [("DELETE", "/studio/api/sql/snippets?id=1", None)],
)
def test_writes_need_the_csrf_token(client, method, path, body):
    response = client.send(method, path, body, csrf=False)

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_select_returns_columns_and_rows(client):
    response = client.send(
        "POST", "/studio/api/sql", {"sql": "select 1 as a, 'x' as b"}
    )

    assert response.status_code == 200
    data = response.json()
    assert data["columns"] == ["a", "b"]
    assert data["rows"] == [[1, "x"]]
    assert data["row_count"] == 1 and data["truncated"] is False


def test_error_names_line_and_column(client):
    script = "create table sqlt_err (id int);\n\n  selec 1;"
    response = client.send("POST", "/studio/api/sql", {"sql": script})

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["line"], error["column"]) == (3, 3)
    assert script[error["start"] : error["end"]] == "selec 1"
    assert "syntax error" in error["message"]


def test_failing_script_leaves_nothing_written(client, studio_live):
    script = (
        "create table sqlt_atomic (id int primary key);\n"
        "insert into sqlt_atomic values (1);\n"
        "insert into sqlt_atomic values (1);"
    )
    response = client.send("POST", "/studio/api/sql", {"sql": script})

    assert response.status_code == 400
    assert response.json()["error"]["line"] == 3
    check = client.send(
        "POST",
        "/studio/api/sql",
        {"sql": "select count(*) from sqlite_schema where name = 'sqlt_atomic'"},
    )
    assert check.json()["rows"] == [[0]]


def test_runaway_query_stops_at_the_time_limit(client):
    forever = (
        "with recursive r(n) as (select 1 union all select n + 1 from r) "
        "select count(*) from r"
    )
    started = time.monotonic()
    response = client.send("POST", "/studio/api/sql", {"sql": forever})
    elapsed = time.monotonic() - started

    assert response.status_code == 400
    assert "took too long" in response.json()["error"]["message"]
    assert elapsed < 10  # the test server's limit is 2 s
    assert client.send("POST", "/studio/api/sql", {"sql": "select 2"}).json()[
        "rows"
    ] == [[2]]


def test_rows_are_capped(client):
    many = (
        "with recursive r(n) as (select 1 union all select n + 1 from r "
        "where n < 1500) select n from r"
    )
    data = client.send("POST", "/studio/api/sql", {"sql": many}).json()

    assert data["row_count"] == 1500
    assert data["truncated"] is True
    assert len(data["rows"]) == 1000


def test_explain_query_plan(client):
    data = client.send(
        "POST", "/studio/api/sql", {"sql": "select * from todos", "explain": True}
    ).json()

    assert "detail" in data["columns"]
    assert any("todos" in str(row) for row in data["rows"])


def test_internal_tables_stay_out_of_reach(client):
    response = client.send(
        "POST", "/studio/api/sql", {"sql": "select * from koyalite_studio_sql_runs"}
    )

    assert response.status_code == 400
    assert "internal table" in response.json()["error"]["message"]


def test_history_is_newest_first(client):
    client.send("POST", "/studio/api/sql", {"sql": "select 'first-run'"})
    client.send("POST", "/studio/api/sql", {"sql": "select 'second-run'"})

    runs = client.get("/studio/api/sql/history").json()["runs"]

    assert [r["sql"] for r in runs[:2]] == ["select 'second-run'", "select 'first-run'"]


def test_history_and_snippets_belong_to_their_operator(client, studio_live):
    email, password = "sqlt-other@example.com", "sqlt-other-operator-pw"
    create_operator(studio_live.project, email, password)
    other = StudioClient(studio_live.url, email, password)
    client.send("POST", "/studio/api/sql", {"sql": "select 'mine only'"})
    mine = client.send(
        "POST", "/studio/api/sql/snippets", {"name": "sqlt-private", "sql": "select 5"}
    ).json()

    runs = other.get("/studio/api/sql/history").json()["runs"]
    snippets = other.get("/studio/api/sql/snippets").json()["snippets"]
    renamed = other.send(
        "PATCH", f"/studio/api/sql/snippets?id={mine['id']}", {"name": "stolen"}
    )
    deleted = other.send("DELETE", f"/studio/api/sql/snippets?id={mine['id']}")

    assert "select 'mine only'" not in [r["sql"] for r in runs]
    assert snippets == []
    assert (renamed.status_code, deleted.status_code) == (404, 404)
    client.send("DELETE", f"/studio/api/sql/snippets?id={mine['id']}")


def test_only_its_operator_can_overwrite_a_snippets_sql(client, studio_live):
    email, password = "sqlt-overwriter@example.com", "a-second-operators-words"
    create_operator(studio_live.project, email, password)
    other = StudioClient(studio_live.url, email, password)
    mine = client.send(
        "POST",
        "/studio/api/sql/snippets",
        {"name": "sqlt-overwrite", "sql": "select 6"},
    ).json()

    stolen = other.send(
        "PATCH", f"/studio/api/sql/snippets?id={mine['id']}", {"sql": "drop table x"}
    )
    after_other = client.get("/studio/api/sql/snippets").json()["snippets"]
    saved = client.send(
        "PATCH", f"/studio/api/sql/snippets?id={mine['id']}", {"sql": "select 7"}
    )
    after_owner = client.get("/studio/api/sql/snippets").json()["snippets"]

    assert stolen.status_code == 404
    assert [s["sql"] for s in after_other if s["id"] == mine["id"]] == ["select 6"]
    assert saved.status_code == 200
    assert (saved.json()["name"], saved.json()["sql"]) == ("sqlt-overwrite", "select 7")
    assert [s["sql"] for s in after_owner if s["id"] == mine["id"]] == ["select 7"]
    assert other.get("/studio/api/sql/snippets").json()["snippets"] == []
    client.send("DELETE", f"/studio/api/sql/snippets?id={mine['id']}")


def test_snippets_create_rename_delete(client):
    created = client.send(
        "POST", "/studio/api/sql/snippets", {"name": "sqlt-snip", "sql": "select 3"}
    )
    assert created.status_code == 201
    ident = created.json()["id"]
    duplicate = client.send(
        "POST", "/studio/api/sql/snippets", {"name": "sqlt-snip", "sql": "select 4"}
    )
    assert duplicate.status_code == 400

    renamed = client.send(
        "PATCH", f"/studio/api/sql/snippets?id={ident}", {"name": "sqlt-renamed"}
    )
    assert renamed.json()["name"] == "sqlt-renamed"
    names = [
        s["name"] for s in client.get("/studio/api/sql/snippets").json()["snippets"]
    ]
    assert "sqlt-renamed" in names

    deleted = client.send("DELETE", f"/studio/api/sql/snippets?id={ident}")
    assert deleted.status_code == 204
    names = [
        s["name"] for s in client.get("/studio/api/sql/snippets").json()["snippets"]
    ]
    assert "sqlt-renamed" not in names


# ---------------------------------------------------------------- browser


def _type_sql(page, text: str) -> None:
    editor = page.get_by_role("textbox", name="SQL")
    editor.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    editor.fill(text)


def test_run_sql_and_see_results(studio):
    page = studio.goto("/studio/sql/")
    _type_sql(page, "select 40 + 2 as answer, 'hi' as greeting")
    page.get_by_role("textbox", name="SQL").press("ControlOrMeta+Enter")

    grid = page.get_by_test_id("sql-grid")
    grid.get_by_role("cell", name="42").wait_for()
    expect(grid.get_by_role("columnheader", name="answer")).to_be_visible()
    assert page.get_by_test_id("sql-summary").inner_text().startswith("1 row")
    history = page.get_by_role("list", name="History")
    history.get_by_role("button", name="Open run: select 40 + 2").first.wait_for()
    studio.screenshot("sql-editor")
    assert studio.failed_requests == []

    # A run from the history re-opens in the editor, and its URL reloads it.
    _type_sql(page, "select 0")
    history.get_by_role("button", name="Open run: select 40 + 2").first.click()
    editor = page.get_by_role("textbox", name="SQL")
    assert "40 + 2" in editor.inner_text()
    assert "?run=" in page.url
    page.reload()
    assert "40 + 2" in page.get_by_role("textbox", name="SQL").inner_text()


def test_error_shows_line_and_column_and_selects_it(studio):
    page = studio.goto("/studio/sql/")
    _type_sql(page, "select 1;\n  select nope_col from nope_table;")
    page.get_by_role("button", name="Run", exact=True).click()

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text().startswith("Line 2:3")
    selected = page.evaluate("document.getSelection().toString()")
    assert "nope_table" in selected
    studio.screenshot("sql-editor-error")


def test_explain_button(studio):
    page = studio.goto("/studio/sql/")
    _type_sql(page, "select * from todos where owner = 'x'")
    page.get_by_role("button", name="Explain query plan").click()

    grid = page.get_by_test_id("sql-grid")
    grid.get_by_role("columnheader", name="detail").wait_for()
    assert "todos" in grid.inner_text()


def test_snippet_saved_renamed_reopened_deleted(studio):
    page = studio.goto("/studio/sql/")
    _type_sql(page, "select 'from a snippet' as s")
    page.get_by_label("Snippet name").fill("sqlt browser snippet")
    page.get_by_role("button", name="Save as snippet").click()
    snippets = page.get_by_role("list", name="Saved snippets")
    snippets.get_by_role("button", name="Open snippet sqlt browser snippet").wait_for()

    snippets.get_by_role("button", name="Rename snippet sqlt browser snippet").click()
    page.get_by_label("New name for sqlt browser snippet").fill("sqlt renamed")
    page.get_by_role("button", name="Save name").click()
    opener = snippets.get_by_role("button", name="Open snippet sqlt renamed")
    opener.wait_for()

    _type_sql(page, "select 0")
    opener.click()
    assert "from a snippet" in page.get_by_role("textbox", name="SQL").inner_text()
    assert "?snippet=" in page.url
    page.reload()
    assert "from a snippet" in page.get_by_role("textbox", name="SQL").inner_text()

    snippets.get_by_role("button", name="Delete snippet sqlt renamed").click()
    page.get_by_role("button", name="Cancel").click()
    expect(opener).to_be_visible()
    snippets.get_by_role("button", name="Delete snippet sqlt renamed").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    opener.wait_for(state="detached")


def test_save_overwrites_the_opened_snippet_and_save_as_makes_a_new_one(studio):
    page = studio.goto("/studio/sql/")
    snippets = page.get_by_role("list", name="Saved snippets")
    _type_sql(page, "select 'first draft' as s")
    page.get_by_label("Snippet name").fill("sqlt resave")
    page.get_by_role("button", name="Save as snippet").click()
    expect(page.get_by_test_id("opened-snippet")).to_have_text("sqlt resave")
    save = page.get_by_role("button", name="Save", exact=True)
    expect(save).to_be_disabled()
    expect(page.get_by_text("Unsaved changes")).to_be_hidden()

    _type_sql(page, "select 'second draft' as s")
    expect(page.get_by_text("Unsaved changes")).to_be_visible()
    save.click()
    expect(page.get_by_text("Unsaved changes")).to_be_hidden()
    expect(save).to_be_disabled()
    studio.screenshot("sql-snippet-saved")

    page.reload()
    expect(page.get_by_test_id("opened-snippet")).to_have_text("sqlt resave")
    assert "second draft" in page.get_by_role("textbox", name="SQL").inner_text()
    _type_sql(page, "select 'a copy' as s")
    page.get_by_label("Snippet name").fill("sqlt resave copy")
    page.get_by_role("button", name="Save as snippet").click()
    expect(page.get_by_test_id("opened-snippet")).to_have_text("sqlt resave copy")

    saved = {
        s["name"]: s["sql"]
        for s in StudioClient(studio.url)
        .get("/studio/api/sql/snippets")
        .json()["snippets"]
    }
    assert saved["sqlt resave"] == "select 'second draft' as s"
    assert saved["sqlt resave copy"] == "select 'a copy' as s"
    for name in ("sqlt resave", "sqlt resave copy"):
        snippets.get_by_role(
            "button", name=f"Delete snippet {name}", exact=True
        ).click()
        page.get_by_role("dialog").get_by_role("button", name="Delete").click()
        opener = snippets.get_by_role("button", name=f"Open snippet {name}", exact=True)
        expect(opener).to_have_count(0)
    assert studio.failed_requests == []


def test_run_selection_only_and_place_its_error(studio):
    page = studio.goto("/studio/sql/")
    _type_sql(page, "select 'whole' as w;\nselect broken from nowhere_sqlt")
    page.keyboard.press("Home")
    page.keyboard.press("Shift+End")
    page.get_by_role("button", name="Run", exact=True).click()

    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text().startswith("Line 2:1")
    assert "nowhere_sqlt" in alert.inner_text()


def test_result_cells_and_columns_show_markup_as_text(studio, client):
    client.send("POST", "/studio/api/sql/snippets", {"name": XSS, "sql": "select 1"})
    page = studio.goto("/studio/sql/")
    snippets = page.get_by_role("list", name="Saved snippets")
    snippets.get_by_role("button", name=f"Open snippet {XSS}").wait_for()
    _type_sql(page, f"select '{XSS}' as \"{XSS}\"")
    page.get_by_role("button", name="Run", exact=True).click()

    grid = page.get_by_test_id("sql-grid")
    grid.get_by_role("cell", name=XSS).wait_for()
    expect(grid.get_by_role("columnheader", name=XSS)).to_be_visible()
    assert page.locator("main img").count() == 0
