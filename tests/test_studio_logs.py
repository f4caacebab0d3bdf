"""The request log and the Studio's Logs page: API requests recorded off the
hot path, bounded, without keys; filtered through the query string."""

from __future__ import annotations

import time
import uuid
from urllib.parse import quote

import httpx
import pytest

from tests.conftest import (
    ALICE,
    create_operator,
    new_project,
    start_server,
    stop_server,
)
from tests.studio_http import app_user_headers, operator_client

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def operator(studio_live):
    client = operator_client(studio_live)
    yield client
    client.close()


@pytest.fixture(scope="module")
def logs_table(studio_live):
    studio_live.sql(
        "create table if not exists logs_items (id integer primary key, name text);"
        "insert into logs_items (name) values ('one');"
    )


def logged(client: httpx.Client, timeout: float = 10.0, **filters) -> list[dict]:
    """The log's entries for `filters` once the writer has caught up with
    `filters["path"]`: records are inserted in the background within ~2 s."""
    deadline = time.monotonic() + timeout
    while True:
        entries = client.get("/studio/api/logs", params=filters).json()["entries"]
        if entries or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)


def test_logs_page_shows_a_request_and_filters_by_status(
    studio, studio_live, logs_table
):
    marker = f"logs_missing_{uuid.uuid4().hex[:8]}"
    ok = httpx.get(
        f"{studio_live.url}/rest/v1/logs_items?select=id",
        headers={"apikey": studio_live.anon_key},
    )
    missing = httpx.get(
        f"{studio_live.url}/rest/v1/{marker}",
        headers={"apikey": studio_live.anon_key},
    )
    assert (ok.status_code, missing.status_code) == (200, 404)
    page = studio.goto("/studio/logs/?path=/rest/v1/")
    requests = page.get_by_role("table", name="API requests")
    # Written in the background: reload until the writer has caught up.
    deadline = time.monotonic() + 10
    while requests.get_by_text(f"/rest/v1/{marker}").count() == 0:
        assert time.monotonic() < deadline, "the request never reached the log"
        page.reload()
    assert requests.get_by_text("/rest/v1/logs_items").first.is_visible()
    studio.screenshot("logs")

    page.get_by_label("Status").select_option("4xx")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**status=4xx**")

    assert requests.get_by_text(f"/rest/v1/{marker}").is_visible()
    assert requests.get_by_text("/rest/v1/logs_items").count() == 0
    statuses = requests.locator("tbody tr td:nth-child(4)").all_text_contents()
    assert statuses and all(s.strip().startswith("4") for s in statuses)
    assert studio.failed_requests == []


def test_logs_page_shows_a_hostile_path_as_text(studio, studio_live):
    httpx.get(
        f"{studio_live.url}/rest/v1/{quote(XSS)}",
        headers={"apikey": studio_live.anon_key},
    )
    page = studio.goto("/studio/logs/?" + "path=" + quote("onerror"))
    deadline = time.monotonic() + 10
    while page.get_by_text(f"/rest/v1/{XSS}").count() == 0:
        assert time.monotonic() < deadline, "the request never reached the log"
        page.reload()

    assert page.get_by_text(f"/rest/v1/{XSS}").first.is_visible()
    assert page.locator("img").count() == 0


def test_log_records_role_user_and_duration(operator, studio_live, logs_table):
    headers = app_user_headers(studio_live)
    response = httpx.get(
        f"{studio_live.url}/rest/v1/logs_items?id=eq.0", headers=headers
    )
    assert response.status_code == 200

    entries = logged(operator, path="/rest/v1/logs_items", role="authenticated")

    entry = entries[0]
    assert entry["method"] == "GET"
    assert entry["status"] == 200
    assert entry["role"] == "authenticated"
    assert entry["user_id"] == ALICE
    assert entry["duration_ms"] > 0


def test_logged_paths_never_contain_the_apikey_or_query(
    operator, studio_live, logs_table
):
    key = studio_live.anon_key
    response = httpx.get(
        f"{studio_live.url}/rest/v1/logs_items?select=id&apikey={key}&token={key}",
        headers={"apikey": key},
    )
    # PostgREST's grammar has no place for them: refused, and still logged.
    assert response.status_code == 400

    entries = logged(operator, path="/rest/v1/logs_items")

    assert {entry["path"] for entry in entries} == {"/rest/v1/logs_items"}
    everything = operator.get("/studio/api/logs").text
    assert key not in everything
    assert studio_live.service_key not in everything


def test_studio_pages_are_not_logged(operator, studio_live):
    operator.get("/studio/")
    operator.get("/static/studio/studio.css")

    response = operator.get("/studio/api/logs", params={"path": "/studio/"})
    static = operator.get("/studio/api/logs", params={"path": "/static/"})

    assert response.json()["total"] == 0
    assert static.json()["total"] == 0


def test_logs_json_filters_by_method_and_status(operator, studio_live, logs_table):
    marker = f"logs_post_{uuid.uuid4().hex[:8]}"
    httpx.post(
        f"{studio_live.url}/rest/v1/{marker}",
        headers={"apikey": studio_live.anon_key},
        json={"name": "x"},
    )

    posts = logged(operator, method="POST", status="4xx", path=marker)
    gets = operator.get(
        "/studio/api/logs", params={"method": "GET", "path": marker}
    ).json()

    assert [(e["method"], e["path"], e["status"]) for e in posts] == [
        ("POST", f"/rest/v1/{marker}", 404)
    ]
    assert gets["total"] == 0
    assert gets["entries"] == []


def test_logs_endpoint_refuses_anonymous_callers(studio_live):
    response = httpx.get(studio_live.url + "/studio/api/logs")

    assert response.status_code == 403
    assert "entries" not in response.json()


def test_logs_endpoint_refuses_an_app_users_token(studio_live):
    response = httpx.get(
        studio_live.url + "/studio/api/logs", headers=app_user_headers(studio_live)
    )

    assert response.status_code == 403
    assert "entries" not in response.json()


def test_logs_endpoint_refuses_writes_without_csrf_token(operator):
    response = operator.post("/studio/api/logs", json={})

    assert response.status_code == 403


def test_request_log_keeps_only_the_newest_rows(tmp_path):
    project = new_project(tmp_path)
    create_operator(project)
    server = start_server(project, {"KOYALITE_REQUEST_LOG_ROWS": "50"})
    try:
        client = operator_client(server)
        for number in range(120):
            httpx.get(
                f"{server.url}/rest/v1/bounded_{number}",
                headers={"apikey": server.anon_key},
            )

        last = logged(client, path="/rest/v1/bounded_119")
        page = client.get("/studio/api/logs", params={"path": "bounded_"}).json()

        assert [entry["path"] for entry in last] == ["/rest/v1/bounded_119"]
        assert page["total"] == 50
        paths = {entry["path"] for entry in page["entries"]}
        assert paths == {f"/rest/v1/bounded_{number}" for number in range(70, 120)}
        client.close()
    finally:
        stop_server(server)
