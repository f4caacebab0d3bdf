"""The Studio's Overview: API URL and anon key shown, the service_role key only
on request through a CSRF-checked endpoint, tables with row counts, and user
data shown as text."""

from __future__ import annotations

import httpx
import pytest

from tests.studio_http import app_user_headers, csrf_headers, operator_client

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def operator(studio_live):
    client = operator_client(studio_live)
    yield client
    client.close()


@pytest.fixture(scope="module")
def overview_tables(studio_live):
    """Tables of this module's own: a plain one and one with a hostile name."""
    studio_live.sql(
        "create table if not exists overview_items (id integer primary key, name text);"
        "insert into overview_items (name) values ('a'), ('b'), ('c');"
        'create table if not exists "<img src=x onerror=alert(1)>" (id integer primary key);'
    )


def test_overview_shows_anon_key_and_reveals_service_key_on_request(
    studio, studio_live, overview_tables
):
    page = studio.goto("/studio/")

    assert page.get_by_test_id("anon-key").text_content() == studio_live.anon_key
    assert page.get_by_test_id("api-url").text_content() == studio_live.url
    assert studio_live.service_key not in page.content()
    studio.screenshot("overview")

    page.get_by_role("button", name="Reveal service key").click()

    key = page.get_by_test_id("service-key")
    key.wait_for(state="visible")
    assert key.text_content() == studio_live.service_key
    page.get_by_role("button", name="Hide service key").click()
    key.wait_for(state="hidden")
    assert studio.failed_requests == []


def test_overview_counts_rows_of_each_table(studio, overview_tables):
    page = studio.goto("/studio/")

    row = page.get_by_role("row").filter(
        has=page.get_by_text("overview_items", exact=True)
    )
    assert row.get_by_role("cell").nth(1).text_content().strip() == "3"


def test_overview_shows_a_hostile_table_name_as_text(studio, overview_tables):
    page = studio.goto("/studio/")

    assert page.get_by_role("cell", name=XSS, exact=True).is_visible()
    assert page.locator("img").count() == 0


def test_overview_json_has_counts_users_and_database_files(
    operator, studio_live, overview_tables
):
    response = operator.get("/studio/api/overview")
    users = httpx.get(
        f"{studio_live.url}/auth/v1/admin/users?per_page=1000",
        headers={
            "apikey": studio_live.service_key,
            "Authorization": f"Bearer {studio_live.service_key}",
        },
    ).json()["users"]

    assert response.status_code == 200
    data = response.json()
    assert data["anon_key"] == studio_live.anon_key
    assert data["api_url"] == studio_live.url
    assert studio_live.service_key not in response.text
    tables = {table["name"]: table for table in data["tables"]}
    assert tables["overview_items"] == {
        "name": "overview_items",
        "is_view": False,
        "rows": 3,
    }
    # Other Studio tests on this server add users too.
    assert data["user_count"] == len(users)
    assert data["database"]["path"].endswith(".sqlite3")
    assert data["database"]["size_bytes"] > 0


def test_overview_json_lists_recent_api_errors(operator, studio_live):
    missing = httpx.get(
        f"{studio_live.url}/rest/v1/overview_no_such_table",
        headers={"apikey": studio_live.anon_key},
    )
    assert missing.status_code == 404

    def latest_error_paths() -> list[str]:
        data = operator.get("/studio/api/overview").json()
        return [entry["path"] for entry in data["recent_errors"]]

    assert _eventually(
        lambda: "/rest/v1/overview_no_such_table" in latest_error_paths()
    )


def test_service_key_endpoint_gives_the_key_to_an_operator(operator, studio_live):
    response = operator.post(
        "/studio/api/keys/service", headers=csrf_headers(operator, studio_live)
    )

    assert response.status_code == 200
    assert response.json() == {"service_role_key": studio_live.service_key}
    assert response.headers["Cache-Control"] == "no-store"


def test_service_key_endpoint_refuses_a_session_without_csrf_token(
    operator, studio_live
):
    response = operator.post("/studio/api/keys/service")

    assert response.status_code == 403
    assert studio_live.service_key not in response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/studio/api/keys/service"), ("GET", "/studio/api/overview")],
)
def test_overview_endpoints_refuse_anonymous_callers(studio_live, method, path):
    response = httpx.request(method, studio_live.url + path)

    assert response.status_code == 403
    assert studio_live.service_key not in response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/studio/api/keys/service"), ("GET", "/studio/api/overview")],
)
def test_overview_endpoints_refuse_an_app_users_token(studio_live, method, path):
    response = httpx.request(
        method, studio_live.url + path, headers=app_user_headers(studio_live)
    )

    assert response.status_code == 403
    assert studio_live.service_key not in response.text
    assert studio_live.anon_key not in response.text


def _eventually(check, timeout: float = 10.0) -> bool:
    """Poll `check` until it holds: the request log is written in the
    background, within about half a second."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def test_time_limit_stops_a_runaway_count_and_frees_the_connection():
    """Row counts run under `time_limit`: a query past it raises QueryTooSlow
    and the connection is usable again, without the handler, afterwards."""
    import sqlite3

    from database.timelimit import QueryTooSlow, time_limit

    raw = sqlite3.connect(":memory:")
    endless = (
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
        "SELECT count(*) FROM n"
    )

    with pytest.raises(QueryTooSlow, match="more than 50 ms"), time_limit(50, raw=raw):
        raw.execute(endless).fetchone()

    assert raw.execute("SELECT count(*) FROM (VALUES (1), (2))").fetchone() == (2,)
