"""The Studio's API docs: per table its columns and client snippets carrying
the real URL and the anon key, never the service_role key; names shown as
text."""

from __future__ import annotations

import httpx
import pytest

from tests.studio_http import app_user_headers, operator_client

# Not the Overview tests' hostile table: this one has a hostile column too.
XSS = "<img src=x onerror=alert('docs')>"


@pytest.fixture(scope="module")
def operator(studio_live):
    client = operator_client(studio_live)
    yield client
    client.close()


@pytest.fixture(scope="module")
def docs_tables(studio_live):
    studio_live.sql(
        "create table if not exists docs_authors (id integer primary key, name text);"
        "create table if not exists docs_books ("
        "  id integer primary key,"
        "  title text not null,"
        "  pages integer default 100,"
        "  author_id integer references docs_authors(id));"
        "create table if not exists \"<img src=x onerror=alert('docs')>\" "
        '(id integer primary key, "<img src=y onerror=alert(2)>" text);'
    )


def test_table_docs_show_columns_and_snippets_with_the_anon_key(
    studio, studio_live, docs_tables
):
    page = studio.goto("/studio/docs/docs_books/")

    assert page.get_by_role("heading", name="docs_books").is_visible()
    columns = page.get_by_role("table")
    title_row = columns.get_by_role("row").filter(
        has=page.get_by_text("title", exact=True)
    )
    assert "not null" in title_row.text_content()
    author_row = columns.get_by_role("row").filter(
        has=page.get_by_text("author_id", exact=True)
    )
    assert "→ docs_authors.id" in author_row.text_content()
    js = page.get_by_test_id("snippet-js-select").text_content()
    assert f'createClient("{studio_live.url}", "{studio_live.anon_key}")' in js
    assert '.from("docs_books")' in js
    curl = page.get_by_test_id("snippet-curl-insert").text_content()
    assert f"{studio_live.url}/rest/v1/docs_books" in curl
    assert page.get_by_role("button", name="Copy curl insert a row").is_visible()
    assert studio_live.service_key not in page.content()
    studio.screenshot("docs-table")
    assert studio.failed_requests == []


def test_docs_index_lists_tables_and_auth_snippets(studio, studio_live, docs_tables):
    page = studio.goto("/studio/docs/")

    page.get_by_role("link", name="docs_books").click()
    page.wait_for_url("**/studio/docs/docs_books/")
    page.go_back()
    auth = page.get_by_test_id("snippet-py-auth").text_content()
    assert "supabase.auth.sign_up" in auth
    assert studio_live.anon_key in auth
    assert studio_live.service_key not in page.content()
    studio.screenshot("docs")


def test_docs_show_a_hostile_table_and_column_name_as_text(studio, docs_tables):
    page = studio.goto("/studio/docs/")
    page.get_by_role("link", name=XSS).click()
    page.wait_for_url("**/studio/docs/%3Cimg**")

    assert page.get_by_role("heading", name=XSS).is_visible()
    assert page.get_by_role("cell", name="<img src=y onerror=alert(2)>").is_visible()
    assert page.locator("img").count() == 0


def test_docs_snippets_run_against_the_server(operator, studio_live, docs_tables):
    """The curl select snippet's URL and headers answer 200 as written."""
    snippet = operator.get("/studio/api/docs/docs_books").json()["snippets"]
    select = next(s for s in snippet if s["slug"] == "curl-select")["code"]
    url = select.split("'")[1]

    response = httpx.get(
        url,
        headers={
            "apikey": studio_live.anon_key,
            "Authorization": f"Bearer {studio_live.anon_key}",
        },
    )

    assert response.status_code == 200
    assert response.json() == []


def test_docs_json_describes_columns(operator, studio_live, docs_tables):
    response = operator.get("/studio/api/docs/docs_books")

    assert response.status_code == 200
    data = response.json()
    assert data["name"] == "docs_books"
    assert data["columns"] == [
        {
            "name": "id",
            "type": "INTEGER",
            "nullable": False,
            "default": None,
            "primary_key": True,
            "references": None,
        },
        {
            "name": "title",
            "type": "TEXT",
            "nullable": False,
            "default": None,
            "primary_key": False,
            "references": None,
        },
        {
            "name": "pages",
            "type": "INTEGER",
            "nullable": True,
            "default": "100",
            "primary_key": False,
            "references": None,
        },
        {
            "name": "author_id",
            "type": "INTEGER",
            "nullable": True,
            "default": None,
            "primary_key": False,
            "references": "docs_authors.id",
        },
    ]
    assert studio_live.service_key not in response.text


def test_docs_json_for_an_unknown_table_is_404(operator):
    response = operator.get("/studio/api/docs/docs_no_such_table")

    assert response.status_code == 404


def test_docs_json_for_an_internal_table_is_404(operator):
    response = operator.get("/studio/api/docs/koyalite_operators")

    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/studio/api/docs", "/studio/api/docs/docs_books"])
def test_docs_endpoints_refuse_anonymous_callers(studio_live, docs_tables, path):
    response = httpx.get(studio_live.url + path)

    assert response.status_code == 403
    assert studio_live.anon_key not in response.text


@pytest.mark.parametrize("path", ["/studio/api/docs", "/studio/api/docs/docs_books"])
def test_docs_endpoints_refuse_an_app_users_token(studio_live, docs_tables, path):
    response = httpx.get(studio_live.url + path, headers=app_user_headers(studio_live))

    assert response.status_code == 403
    assert studio_live.anon_key not in response.text
