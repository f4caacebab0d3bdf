"""The Studio's Table editor: its JSON endpoints (auth, CSRF, the REST read
and write paths, view-as, export, import) and the page in Chromium."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import (
    ALICE,
    BOB,
    OPERATOR_EMAIL,
    OPERATOR_PASSWORD,
)

XSS = "<img src=x onerror=alert(1)>"


def operator_client(url: str) -> httpx.Client:
    """An httpx client with a signed-in operator session and its CSRF token."""
    client = httpx.Client(base_url=url, timeout=30)
    client.get("/studio/login/")
    response = client.post(
        "/studio/login/",
        data={
            "username": OPERATOR_EMAIL,
            "email": OPERATOR_EMAIL,
            "password": OPERATOR_PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert response.status_code == 302, response.text
    client.headers["X-CSRFToken"] = client.cookies["csrftoken"]
    return client


@pytest.fixture(scope="module")
def operator(studio_live) -> httpx.Client:
    client = operator_client(studio_live.url)
    yield client
    client.close()


def new_table(studio_live, body: str, rows: str = "") -> str:
    """Create a uniquely named table (`body` is its column list) and return its name."""
    name = "te_" + uuid.uuid4().hex[:8]
    studio_live.sql(f"create table {name} ({body});\n{rows.format(name=name)}")
    return name


@pytest.fixture
def items(studio_live) -> str:
    return new_table(
        studio_live,
        "id integer primary key, name text not null unique, qty integer check (qty >= 0),"
        " active boolean not null default true, meta jsonb",
        "insert into {name} (id, name, qty, meta) values"
        " (1, 'apple', 5, '{{\"a\": 1}}'), (2, 'pear', 0, null), (3, 'plum', 9, null);",
    )


@pytest.fixture
def notes(studio_live) -> str:
    """A table with an owner-only select policy: alice owns 2 rows, bob 1."""
    name = new_table(
        studio_live,
        "id integer primary key, owner uuid not null, body text",
        f"insert into {{name}} values (1, '{ALICE}', 'a1'), (2, '{ALICE}', 'a2'),"
        f" (3, '{BOB}', 'b1');\n"
        "alter table {name} enable row level security;\n"
        'create policy "own" on {name} for select using (auth.uid() = owner);',
    )
    return name


# ------------------------------------------------------------------ auth matrix

ENDPOINTS = [
    ("GET", "/studio/api/tables/"),
    ("GET", "/studio/api/tables/{t}/rows"),
    ("POST", "/studio/api/tables/{t}/rows"),
    ("PATCH", "/studio/api/tables/{t}/rows?id=eq.1"),
    ("DELETE", "/studio/api/tables/{t}/rows?id=eq.1"),
    ("GET", "/studio/api/tables/{t}/export.csv"),
    ("POST", "/studio/api/tables/{t}/import"),
    ("GET", "/studio/api/app-users/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_endpoints_refuse_requests_without_an_operator_session(
    studio_live, items, method, path
):
    response = httpx.request(
        method, studio_live.url + path.format(t=items), json={"name": "x"}
    )

    assert response.status_code == 403
    assert "apple" not in response.text


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_endpoints_refuse_an_app_users_token(studio_live, items, method, path):
    response = httpx.request(
        method,
        studio_live.url + path.format(t=items),
        headers=studio_live.headers(ALICE, key=studio_live.service_key),
        json={"name": "x"},
    )

    assert response.status_code == 403
    assert "apple" not in response.text


@pytest.mark.parametrize(("method", "path"), [e for e in ENDPOINTS if e[0] != "GET"])
def test_writes_without_the_csrf_header_are_refused(
    studio_live, operator, items, method, path
):
    response = operator.request(
        method,
        path.format(t=items),
        json={"rows": [{"id": 9, "name": "x"}], "first_line": 2},
        headers={"X-CSRFToken": ""},
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    rows = operator.get(f"/studio/api/tables/{items}/rows").json()["rows"]
    assert [row["id"] for row in rows] == [1, 2, 3]


# ------------------------------------------------------------------ reads


def test_table_list_shows_row_counts(operator, items):
    tables = {
        t["name"]: t for t in operator.get("/studio/api/tables/").json()["tables"]
    }

    assert tables[items] == {"name": items, "is_view": False, "columns": 5, "rows": 3}


def test_rows_use_the_rest_grammar_with_paging_and_exact_count(operator, items):
    response = operator.get(
        f"/studio/api/tables/{items}/rows?qty=gte.1&order=qty.desc&per_page=1&page=2"
    )

    data = response.json()
    assert response.status_code == 200
    assert data["rows"] == [
        {"id": 1, "name": "apple", "qty": 5, "active": True, "meta": {"a": 1}}
    ]
    assert (data["total"], data["page"], data["per_page"]) == (2, 2, 1)
    assert data["primary_key"] == ["id"]
    assert data["columns"][0] == {
        "name": "id",
        "type": "INTEGER",
        "kind": "integer",
        "nullable": False,
        "pk": True,
        "has_default": True,
        "generated": False,
        "fk": None,
    }


def test_foreign_keys_are_described(studio_live, operator, items):
    child = new_table(
        studio_live, f"id integer primary key, item integer references {items}(id)"
    )

    columns = operator.get(f"/studio/api/tables/{child}/rows").json()["columns"]

    assert columns[1]["fk"] == {
        "table": items,
        "column": "id",
        "kind": "integer",
        "display": "name",
    }


def test_the_picker_search_finds_referenced_rows_by_key_or_display_text(
    studio_live, operator, items
):
    """The picker's search is a /rest/v1 `or` filter through the grid's
    own read path; its text is a bound value, never SQL."""
    by_either = operator.get(
        f"/studio/api/tables/{items}/rows",
        params={"or": "(id.eq.2,name.ilike.*pl*)", "order": "id"},
    )
    hostile = operator.get(
        f"/studio/api/tables/{items}/rows",
        params={"or": '(name.ilike."*\' or 1=1 --*")'},
    )

    assert [r["name"] for r in by_either.json()["rows"]] == ["apple", "pear", "plum"]
    assert hostile.status_code == 200
    assert hostile.json()["rows"] == []


def test_display_column_prefers_a_usual_name_then_the_first_text_column(
    studio_live, operator
):
    usual = new_table(studio_live, "code text primary key, note text, title text")
    first = new_table(studio_live, "id integer primary key, n integer, note text")
    none = new_table(studio_live, "id integer primary key, n integer")
    child = new_table(
        studio_live,
        f"id integer primary key, a text references {usual}(code),"
        f" b integer references {first}(id), c integer references {none}(id)",
    )

    columns = operator.get(f"/studio/api/tables/{child}/rows").json()["columns"]

    assert [c["fk"]["display"] for c in columns[1:]] == ["title", "note", None]
    assert [c["fk"]["kind"] for c in columns[1:]] == ["text", "integer", "integer"]


def test_a_bad_filter_gets_the_postgrest_error(operator, items):
    response = operator.get(f"/studio/api/tables/{items}/rows?qty=eq.many")

    assert response.status_code == 400
    assert response.json()["code"] == "22P02"


def test_an_unknown_table_is_404(operator):
    response = operator.get("/studio/api/tables/no_such_table_x/rows")

    assert response.status_code == 404
    assert response.json()["code"] == "PGRST205"


@pytest.mark.parametrize(
    ("viewer", "ids"), [("", [1, 2, 3]), ("anon", []), (ALICE, [1, 2]), (BOB, [3])]
)
def test_view_as_shows_what_rls_lets_each_role_see(operator, notes, viewer, ids):
    query = f"?as={viewer}&order=id.asc" if viewer else "?order=id.asc"

    data = operator.get(f"/studio/api/tables/{notes}/rows{query}").json()

    assert [row["id"] for row in data["rows"]] == ids
    assert data["total"] == len(ids)


def test_view_as_an_unknown_user_is_an_error(operator, notes):
    response = operator.get(f"/studio/api/tables/{notes}/rows?as={uuid.uuid4()}")

    assert response.status_code == 400
    assert response.json()["code"] == "KL801"


def test_app_users_are_searched_by_email(operator):
    users = operator.get("/studio/api/app-users/?search=bob@").json()["users"]

    assert users == [{"id": BOB, "email": "bob@example.com"}]


# ------------------------------------------------------------------ writes


def test_insert_update_delete_go_through_the_rest_write_path(operator, items):
    base = f"/studio/api/tables/{items}/rows"

    inserted = operator.post(base, json={"id": 4, "name": "kiwi", "qty": 2})
    updated = operator.patch(base + "?id=eq.4", json={"qty": 7})
    deleted = operator.delete(base + "?id=in.(1,4)")

    assert inserted.status_code == 200
    assert inserted.json()["rows"] == [
        {"id": 4, "name": "kiwi", "qty": 2, "active": True, "meta": None}
    ]
    assert updated.json()["rows"][0]["qty"] == 7
    assert deleted.json()["affected"] == 2
    rows = operator.get(base + "?order=id").json()["rows"]
    assert [row["id"] for row in rows] == [2, 3]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"id": 9, "name": "apple"}, "23505"),
        ({"id": 9}, "23502"),
        ({"id": 9, "name": "neg", "qty": -1}, "23514"),
    ],
)
def test_constraint_errors_come_back_and_nothing_is_saved(operator, items, body, code):
    response = operator.post(f"/studio/api/tables/{items}/rows", json=body)

    assert response.status_code in (400, 409)
    assert response.json()["code"] == code
    rows = operator.get(f"/studio/api/tables/{items}/rows").json()["rows"]
    assert [row["id"] for row in rows] == [1, 2, 3]


def test_update_without_a_filter_is_refused(operator, items):
    response = operator.patch(f"/studio/api/tables/{items}/rows", json={"qty": 1})

    assert response.status_code == 400
    rows = operator.get(f"/studio/api/tables/{items}/rows?order=id").json()["rows"]
    assert [row["qty"] for row in rows] == [5, 0, 9]


def test_import_keeps_good_rows_and_reports_bad_ones(operator, items):
    rows = [
        {"id": "10", "name": "a10", "qty": "1"},
        {"id": "11", "name": "apple", "qty": "1"},  # duplicate name
        {"id": "12", "name": "a12", "qty": "-3"},  # check constraint
        {"id": "13", "name": "a13", "qty": None},
    ]

    response = operator.post(
        f"/studio/api/tables/{items}/import", json={"rows": rows, "first_line": 2}
    )

    data = response.json()
    assert data["inserted"] == 2
    assert [(e["line"], e["code"]) for e in data["errors"]] == [
        (3, "23505"),
        (4, "23514"),
    ]
    ids = [
        r["id"] for r in operator.get(f"/studio/api/tables/{items}/rows").json()["rows"]
    ]
    assert ids == [1, 2, 3, 10, 13]


# ------------------------------------------------------------------ export


def test_export_streams_csv_with_filters_and_view_as(operator, notes):
    response = operator.get(
        f"/studio/api/tables/{notes}/export.csv?as={ALICE}&order=id.desc"
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines() == [
        "id,owner,body",
        f"2,{ALICE},a2",
        f"1,{ALICE},a1",
    ]


def test_export_json_is_the_filtered_rows(operator, items):
    response = operator.get(f"/studio/api/tables/{items}/export.json?qty=gt.4&order=id")

    assert [row["name"] for row in json.loads(response.text)] == ["apple", "plum"]


# ------------------------------------------------------------------ browser


def open_grid(studio, table: str, query: str = ""):
    page = studio.goto(f"/studio/tables/{table}/{query}")
    page.get_by_role("status").filter(has_text="Rows").or_(
        page.get_by_text("No rows match.")
    ).first.wait_for()
    return page


def test_table_list_filters_by_name(studio, items):
    page = studio.goto("/studio/tables/")

    page.get_by_label("Search tables").fill(items)

    assert page.get_by_role("link", name=items).is_visible()
    assert page.locator("#table-list tbody tr:visible").count() == 1
    row = page.locator("#table-list tbody tr:visible")
    assert row.locator("td").nth(3).inner_text() == "3"
    studio.screenshot("tables")


def test_grid_adds_edits_filters_and_deletes_rows(studio, operator, items):
    page = open_grid(studio, items)
    assert page.get_by_text("Rows 1–3 of 3").is_visible()

    page.get_by_role("button", name="Add row").click()
    dialog = page.get_by_role("dialog", name="Add row")
    dialog.get_by_label("id", exact=True).fill("4")
    dialog.get_by_label("name", exact=True).fill("kiwi")
    dialog.get_by_label("qty", exact=True).fill("4")
    dialog.get_by_role("button", name="Save row").click()
    page.get_by_text("Rows 1–4 of 4").wait_for()

    cell = page.locator('.tabulator-row:has-text("kiwi") [tabulator-field="qty"]')
    cell.dblclick()
    editor = cell.locator("input")
    editor.fill("8")
    editor.press("Enter")
    page.get_by_text("Saved qty").wait_for()
    rows = operator.get(f"/studio/api/tables/{items}/rows?id=eq.4").json()["rows"]
    assert rows[0]["qty"] == 8

    page.get_by_label("Filter column").select_option("qty")
    page.get_by_label("Filter operator").select_option("gte")
    page.get_by_label("Filter value").fill("5")
    page.get_by_role("button", name="Add filter").click()
    page.get_by_text("Rows 1–3 of 3").wait_for()
    assert "qty=gte.5" in page.url
    studio.screenshot("table-grid")

    page.locator('.tabulator-row:has-text("plum") .tabulator-row-header').click()
    page.get_by_role("button", name="Delete selected").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    page.get_by_text("Rows 1–2 of 2").wait_for()
    names = [
        r["name"]
        for r in operator.get(f"/studio/api/tables/{items}/rows").json()["rows"]
    ]
    assert names == ["apple", "pear", "kiwi"]
    assert studio.console_errors == []


def test_a_constraint_error_shows_on_the_row_and_is_undone(studio, operator, items):
    page = open_grid(studio, items, "?order=id")
    # Rows by position: while a cell is edited its text is in an input.
    cell = page.locator('.tabulator-row [tabulator-field="name"]').nth(1)
    assert cell.inner_text() == "pear"

    cell.click()
    page.keyboard.press("Enter")
    cell.locator("input").fill("apple")
    cell.locator("input").press("Enter")

    alert = page.get_by_role("alert")
    alert.filter(has_text="23505").wait_for()
    assert "duplicate" in alert.inner_text() or "unique" in alert.inner_text().lower()
    assert cell.inner_text() == "pear"
    rows = operator.get(f"/studio/api/tables/{items}/rows?id=eq.2").json()["rows"]
    assert rows[0]["name"] == "pear"


def test_keyboard_moves_edits_and_deletes(studio, operator, items):
    page = open_grid(studio, items, "?order=id")
    page.locator('.tabulator-row:has-text("apple") [tabulator-field="name"]').click()

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    editor = page.locator(
        '.tabulator-row:has-text("pear") [tabulator-field="qty"] input'
    )
    editor.fill("3")
    editor.press("Enter")
    page.get_by_text("Saved qty").wait_for()
    page.keyboard.press("Delete")
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    page.get_by_text("Rows 1–2 of 2").wait_for()

    ids = [
        r["id"] for r in operator.get(f"/studio/api/tables/{items}/rows").json()["rows"]
    ]
    assert ids == [1, 3]


def test_csv_import_reports_the_bad_row_and_keeps_the_rest(
    studio, operator, items, tmp_path
):
    csv_file = tmp_path / "rows.csv"
    csv_file.write_text('id,name,qty\n20,"multi\nline",1\n21,apple,2\n22,fig,3\n')
    page = open_grid(studio, items)

    page.locator("#import-file").set_input_files(str(csv_file))

    page.get_by_text("2 imported, 1 failed, of 3 rows").wait_for()
    error_row = page.locator("#import-errors tbody tr")
    assert error_row.locator("td").nth(0).inner_text() == "4"
    assert "23505" in error_row.locator("td").nth(1).inner_text()
    ids = [
        r["id"] for r in operator.get(f"/studio/api/tables/{items}/rows").json()["rows"]
    ]
    assert ids == [1, 2, 3, 20, 22]
    studio.screenshot("table-import")


def test_view_as_alice_and_bob_shrinks_the_grid(studio, notes):
    page = open_grid(studio, notes)
    assert page.get_by_text("Rows 1–3 of 3").is_visible()

    page.get_by_label("or user").fill("alice@example.com")
    page.get_by_text("Rows 1–2 of 2").wait_for()
    assert page.get_by_test_id("view-as-note").is_visible()
    assert page.get_by_role("button", name="Add row").count() == 0
    studio.screenshot("table-view-as")

    page.goto(f"{studio.url}/studio/tables/{notes}/?as={BOB}")
    page.get_by_text("Rows 1–1 of 1").wait_for()
    page.get_by_label("View as").select_option("anon")
    page.get_by_text("No rows match.").wait_for()


def test_xss_in_names_and_cells_shows_as_text(studio, studio_live):
    name = new_table(
        studio_live,
        'id integer primary key, "<b onclick=x>col</b>" text',
        "insert into {name} values (1, '" + XSS + "');",
    )
    page = open_grid(studio, name)

    assert page.get_by_text(XSS).is_visible()
    assert page.locator("#grid").get_by_text("<b onclick=x>col</b>").is_visible()
    assert page.locator("#grid img").count() == 0
    assert page.locator("#grid b").count() == 0
    page.get_by_role("button", name="Add row").click()
    assert page.get_by_role("dialog").get_by_label("<b onclick=x>col</b>").is_visible()


def test_json_cells_are_validated_before_saving(studio, operator, items):
    page = open_grid(studio, items, "?order=id")
    cell = page.locator('.tabulator-row [tabulator-field="meta"]').nth(0)

    cell.click()
    page.keyboard.press("Enter")
    page.get_by_label("meta (JSON)").fill("{bad")
    page.get_by_label("meta (JSON)").press("Control+Enter")
    page.get_by_role("alert").filter(has_text="not valid JSON").wait_for()
    cell.click()
    page.keyboard.press("Enter")
    page.get_by_label("meta (JSON)").fill('{"b": [1, 2]}')
    page.get_by_label("meta (JSON)").press("Control+Enter")
    page.get_by_text("Saved meta").wait_for()

    rows = operator.get(f"/studio/api/tables/{items}/rows?id=eq.1").json()["rows"]
    assert rows[0]["meta"] == {"b": [1, 2]}


def test_foreign_key_picker_lists_the_referenced_rows(
    studio, studio_live, operator, items
):
    child = new_table(
        studio_live,
        f"id integer primary key, item integer references {items}(id)",
        "insert into {name} values (1, 1);",
    )
    page = open_grid(studio, child)
    cell = page.locator('.tabulator-row [tabulator-field="item"]').nth(0)

    cell.click()
    page.keyboard.press("Enter")
    option = page.locator(".tabulator-edit-list-item", has_text="plum")
    option.click()
    page.get_by_text("Saved item").wait_for()

    rows = operator.get(f"/studio/api/tables/{child}/rows").json()["rows"]
    assert rows == [{"id": 1, "item": 3}]


def test_foreign_key_picker_searches_by_display_text_or_key(
    studio, studio_live, operator, items
):
    child = new_table(
        studio_live,
        f"id integer primary key, item integer references {items}(id)",
        "insert into {name} values (1, 1);",
    )
    page = open_grid(studio, child)
    cell = page.locator('.tabulator-row [tabulator-field="item"]').nth(0)
    options = page.locator(".tabulator-edit-list-item")

    cell.click()
    page.keyboard.press("Enter")
    # The editor fills in the current value once it opens; clear it after.
    expect(options).to_have_count(3)
    cell.locator("input").fill("")
    cell.locator("input").press_sequentially("PLU")
    expect(options).to_have_text(["3 · plum"])
    options.first.click()
    page.get_by_text("Saved item").wait_for()
    chosen_by_text = operator.get(f"/studio/api/tables/{child}/rows").json()["rows"]

    cell.click()
    page.keyboard.press("Enter")
    # The editor fills in the current value once it opens; clear it after.
    expect(options).to_have_count(3)
    cell.locator("input").fill("")
    cell.locator("input").press_sequentially("2")
    expect(options).to_have_text(["2 · pear"])
    options.first.click()
    expect(cell).to_have_text("2")
    # The first save's notice may still show: wait for the second save itself.
    deadline = time.monotonic() + 10
    while True:
        chosen_by_key = operator.get(f"/studio/api/tables/{child}/rows").json()["rows"]
        if chosen_by_key != chosen_by_text or time.monotonic() > deadline:
            break
        time.sleep(0.1)

    assert chosen_by_text == [{"id": 1, "item": 3}]
    assert chosen_by_key == [{"id": 1, "item": 2}]
    assert studio.failed_requests == []


@pytest.mark.parametrize(
    ("path", "status"),
    [("/studio/tables/no_such_table_y/", 404), ("/studio/tables/{t}/?as=nobody", 400)],
)
def test_grid_page_rejects_unknown_tables_and_viewers(operator, items, path, status):
    response = operator.get(path.format(t=items))

    assert response.status_code == status


def test_writes_while_viewing_as_someone_are_refused(operator, notes):
    response = operator.patch(
        f"/studio/api/tables/{notes}/rows?as={ALICE}&id=eq.1", json={"body": "x"}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "KL804"
    rows = operator.get(f"/studio/api/tables/{notes}/rows?id=eq.1").json()["rows"]
    assert rows[0]["body"] == "a1"


def test_export_walks_every_row_in_batches(studio_live, operator):
    name = new_table(
        studio_live,
        "id integer primary key, n integer",
        "insert into {name} (n) with recursive s(i) as (select 1 union all"
        " select i + 1 from s where i < 4500) select i from s;",
    )

    response = operator.get(f"/studio/api/tables/{name}/export.csv?n=gt.10")
    ordered = operator.get(f"/studio/api/tables/{name}/export.json?order=n.desc")

    lines = response.text.splitlines()
    assert len(lines) == 1 + 4490
    assert lines[1] == "11,11" and lines[-1] == "4500,4500"
    values = [row["n"] for row in json.loads(ordered.text)]
    assert values == list(range(4500, 0, -1))


def test_header_click_sorts_and_pager_pages_through_the_url(studio, items):
    page = open_grid(studio, items, "?per_page=2")

    page.get_by_role("button", name="Next page").click()
    page.get_by_text("Rows 3–3 of 3").wait_for()
    assert "page=2" in page.url
    page.go_back()
    page.get_by_text("Rows 1–2 of 3").wait_for()
    page.locator('.tabulator-col[tabulator-field="qty"]').click()
    page.wait_for_url("**order=qty.asc**")
    page.get_by_text("Rows 1–2 of 3").wait_for()

    names = page.locator('.tabulator-row [tabulator-field="name"]').all_inner_texts()
    assert names == ["pear", "apple"]


def test_boolean_cells_edit_as_a_tickbox(studio, operator, items):
    page = open_grid(studio, items, "?order=id")
    cell = page.locator('.tabulator-row [tabulator-field="active"]').nth(0)

    cell.click()
    page.keyboard.press("Enter")
    # Tabulator's tickCross editor saves as soon as the box changes.
    cell.get_by_role("checkbox").press("Space")
    page.get_by_text("Saved active").wait_for()

    rows = operator.get(f"/studio/api/tables/{items}/rows?id=eq.1").json()["rows"]
    assert rows[0]["active"] is False


def test_rows_of_a_composite_key_table_are_deleted_by_their_whole_key(
    studio, studio_live
):
    table = new_table(
        studio_live,
        "a integer not null, b text not null, note text, primary key (a, b)",
        "insert into {name} (a, b, note) values (1, 'x', 'keep 1'),"
        " (1, 'y, (z)', 'drop 1'), (2, 'x', 'drop 2'), (2, 'y, (z)', 'keep 2');",
    )
    page = open_grid(studio, table, "?order=a,b")
    page.get_by_text("Rows 1–4 of 4").wait_for()

    page.locator('.tabulator-row:has-text("drop 1") .tabulator-row-header').click()
    page.locator('.tabulator-row:has-text("drop 2") .tabulator-row-header').click(
        modifiers=["Shift"]
    )
    page.get_by_role("button", name="Delete selected").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"Delete 2 rows from {table}?")
    dialog.get_by_role("button", name="Delete").click()
    page.get_by_text("Rows 1–2 of 2").wait_for()

    left = httpx.get(
        f"{studio_live.url}/rest/v1/{table}?select=a,b,note&order=a,b",
        headers=studio_live.headers(key=studio_live.service_key),
    ).json()
    assert left == [
        {"a": 1, "b": "x", "note": "keep 1"},
        {"a": 2, "b": "y, (z)", "note": "keep 2"},
    ]
    assert studio.console_errors == []


@pytest.fixture
def moments(studio_live) -> str:
    return new_table(
        studio_live,
        "id integer primary key, day date, at timestamptz, clock time",
        "insert into {name} (id, day, at, clock) values"
        " (1, '2026-01-01', '2026-01-01T00:00:00Z', '08:00:00');",
    )


def stored_row(studio_live, table: str) -> dict:
    response = httpx.get(
        f"{studio_live.url}/rest/v1/{table}?select=day,at,clock&id=eq.1",
        headers=studio_live.headers(key=studio_live.service_key),
    )
    assert response.status_code == 200, response.text
    return response.json()[0]


def edit_cell(page, field: str, text: str) -> None:
    cell = page.locator(f'.tabulator-row [tabulator-field="{field}"]').first
    cell.dblclick()
    editor = cell.locator("input")
    editor.fill(text)
    editor.press("Enter")


def test_date_timestamptz_and_time_cells_edit_and_store(studio, studio_live, moments):
    page = open_grid(studio, moments)

    edit_cell(page, "day", "2026-02-03")
    page.get_by_text("Saved day").wait_for()
    edit_cell(page, "at", "2026-03-04T05:06:07Z")
    page.get_by_text("Saved at").wait_for()
    edit_cell(page, "clock", "13:45")
    page.get_by_text("Saved clock").wait_for()

    assert stored_row(studio_live, moments) == {
        "day": "2026-02-03",
        "at": "2026-03-04T05:06:07.000000+00:00",
        "clock": "13:45:00",
    }
    assert studio.console_errors == []


def test_a_bad_timestamptz_shows_on_the_row_and_stores_nothing(
    studio, studio_live, moments
):
    page = open_grid(studio, moments)
    before = stored_row(studio_live, moments)

    edit_cell(page, "at", "next tuesday")

    alert = page.get_by_role("alert").filter(has_text="next tuesday")
    expect(alert).to_be_visible()
    expect(page.locator(".tabulator-row.row-error")).to_have_count(1)
    assert stored_row(studio_live, moments) == before
