"""The Studio's Webhooks page: endpoints made and changed by operators only,
SQL-declared endpoints left to their migration, the secret only on request,
and the delivery log of a live server whose worker sends to a real receiver."""

from __future__ import annotations

import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import (
    create_operator,
    new_project,
    start_server,
    stop_server,
)
from tests.studio_http import StudioClient, app_user_headers
from tests.webhook_receiver import Receiver

XSS = "<img src=x onerror=alert(1)>"
ENV = {
    "KOYALITE_WEBHOOKS_ALLOW_PRIVATE": "true",
    "KOYALITE_WEBHOOKS_RETRY_SCHEDULE": "1,1,1",
    "KOYALITE_WEBHOOKS_BREAKER_THRESHOLD": "1000",
    "KOYALITE_WORKER_TICK_MS": "50",
}


@pytest.fixture(scope="module")
def studio_live(tmp_path_factory):
    """This module's own server, with its worker: deliveries are really sent.
    (Overrides the shared `studio_live`, so `studio` signs in here.)"""
    project = new_project(tmp_path_factory.mktemp("studio-webhooks"))
    with (project / ".env").open("a") as env:
        env.write("".join(f"\n{k}={v}" for k, v in ENV.items()) + "\n")
    create_operator(project)
    server = start_server(
        project,
        {
            "KOYALITE_EMAIL_URL": "consolemail://",
            "KOYALITE_STUDIO_RATE_LIMIT_SIGN_IN": "100000",
        },
        worker=True,
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def operator(studio_live) -> StudioClient:
    return StudioClient(studio_live.url)


def new_table(server) -> str:
    table = f"t_{uuid.uuid4().hex[:8]}"
    server.sql(f"create table {table} (id integer primary key, title text);")
    return table


def create(operator: StudioClient, **settings) -> dict:
    """An endpoint made through the API; by default it wants deletes only,
    which these tests never make, so it sends nothing."""
    body = {
        "name": f"hook-{uuid.uuid4().hex[:8]}",
        "url": "http://127.0.0.1:9/hook",
        "events": ["DELETE"],
        **settings,
    }
    response = operator.send("POST", "/studio/api/webhooks/endpoints", body)
    assert response.status_code == 201, response.text
    return response.json()


def secret_of(operator: StudioClient, endpoint_id: int) -> str:
    response = operator.send(
        "POST", f"/studio/api/webhooks/endpoints/{endpoint_id}/secret"
    )
    assert response.status_code == 200, response.text
    return response.json()["secret"]


def insert(server, table: str, title: str) -> None:
    response = httpx.post(
        f"{server.url}/rest/v1/{table}",
        headers=server.headers(key=server.service_key),
        json={"title": title},
    )
    assert response.status_code == 201, response.text


def wait_for_status(operator: StudioClient, endpoint_id: int, status: str, count: int):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = operator.get(
            f"/studio/api/webhooks/endpoints/{endpoint_id}/deliveries",
            params={"status": status},
        ).json()
        if found["total"] >= count:
            return found["deliveries"]
        time.sleep(0.1)
    raise AssertionError(f"fewer than {count} {status} deliveries in 30 s")


def api_paths(endpoint_id: int, delivery_id: str) -> list[tuple[str, str]]:
    endpoint = f"/studio/api/webhooks/endpoints/{endpoint_id}"
    delivery = f"/studio/api/webhooks/deliveries/{delivery_id}"
    return [
        ("GET", "/studio/api/webhooks/endpoints"),
        ("POST", "/studio/api/webhooks/endpoints"),
        ("GET", endpoint),
        ("PATCH", endpoint),
        ("DELETE", endpoint),
        ("POST", f"{endpoint}/secret"),
        ("POST", f"{endpoint}/rotate-secret"),
        ("POST", f"{endpoint}/enable"),
        ("POST", f"{endpoint}/replay-failed"),
        ("GET", f"{endpoint}/deliveries"),
        ("GET", "/studio/api/webhooks/deliveries"),
        ("GET", delivery),
        ("POST", f"{delivery}/replay"),
    ]


@pytest.fixture(scope="module")
def delivered(studio_live, operator) -> tuple[dict, dict]:
    """An endpoint with one delivery that succeeded."""
    with Receiver() as receiver:
        table = new_table(studio_live)
        endpoint = create(
            operator, url=receiver.url, table_name=table, events=["INSERT"]
        )
        insert(studio_live, table, "first")
        (delivery,) = wait_for_status(operator, endpoint["id"], "succeeded", 1)
    return endpoint, delivery


def test_every_endpoint_refuses_no_session_app_users_and_the_service_key(
    studio_live, delivered
):
    endpoint, delivery = delivered
    callers = {
        "no session": {},
        "app user": app_user_headers(studio_live),
        "service key": studio_live.headers(key=studio_live.service_key),
    }
    for method, path in api_paths(endpoint["id"], delivery["id"]):
        for caller, headers in callers.items():
            response = httpx.request(
                method, studio_live.url + path, headers=headers, json={}
            )
            assert response.status_code == 403, (caller, method, path)
            assert "whsec_" not in response.text


def test_pages_send_anyone_but_an_operator_to_sign_in(studio_live, delivered):
    endpoint, delivery = delivered
    for path in (
        "/studio/webhooks/",
        "/studio/webhooks/new/",
        f"/studio/webhooks/{endpoint['id']}/",
        f"/studio/webhooks/{endpoint['id']}/edit/",
        "/studio/webhooks/deliveries/",
        f"/studio/webhooks/deliveries/{delivery['id']}/",
    ):
        response = httpx.get(
            studio_live.url + path, headers=app_user_headers(studio_live)
        )
        assert response.status_code == 302, path
        assert response.headers["location"].startswith("/studio/login/"), path


def test_writes_without_csrf_are_refused_and_change_nothing(
    studio_live, operator, delivered
):
    endpoint, delivery = delivered
    before = operator.get(f"/studio/api/webhooks/endpoints/{endpoint['id']}").json()
    secret = secret_of(operator, endpoint["id"])
    writes = [
        (method, path)
        for method, path in api_paths(endpoint["id"], delivery["id"])
        if method != "GET"
    ]
    for method, path in writes:
        body = {"name": "renamed", "url": "http://127.0.0.1:9/x"}
        response = operator.send(method, path, body, csrf=False)
        assert response.status_code == 403, (method, path)
        assert "CSRF" in response.json()["detail"]

    after = operator.get(f"/studio/api/webhooks/endpoints/{endpoint['id']}").json()
    assert after == before
    assert secret_of(operator, endpoint["id"]) == secret
    names = [
        e["name"]
        for e in operator.get("/studio/api/webhooks/endpoints").json()["endpoints"]
    ]
    assert "renamed" not in names
    detail = operator.get(f"/studio/api/webhooks/deliveries/{delivery['id']}").json()
    assert (detail["status"], detail["attempts"]) == ("succeeded", 1)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"url": "ftp://127.0.0.1/hook"}, "is not an http or https URL"),
        ({"url": "http://user:pw@127.0.0.1/"}, "may not carry a user name"),
        ({"url": ""}, "needs a URL"),
        ({"name": ""}, "needs a name"),
        ({"headers": "{not json"}, "headers are not valid JSON"),
        ({"headers": '{"X-Count": 3}'}, "JSON object of strings"),
        ({"headers": '{"Bad Name": "x"}'}, "not a valid header name"),
        ({"headers": {"X-Split": "a\r\nInjected: b"}}, "line break"),
        ({"table_name": "no_such_table"}, "table public.no_such_table does not exist"),
        (
            {"schema_name": "storage", "table_name": "files"},
            "storage.files does not exist",
        ),
        ({"schema_name": "private"}, "schema must be one of public, storage, auth"),
        ({"events": []}, "choose at least one event"),
        ({"events": ["TRUNCATE"]}, "'TRUNCATE' is not an event"),
        ({"method": "TRACE"}, "method must be one of"),
        ({"timeout_ms": 0}, "timeout is whole milliseconds, 1 to 60000"),
        ({"owner_email": "not-an-address"}, "is not an email address"),
        ({"secret": "whsec_mine"}, "unknown endpoint setting 'secret'"),
    ],
)
def test_create_refuses_bad_settings_with_their_reason(operator, settings, message):
    name = f"bad-{uuid.uuid4().hex[:8]}"
    body = {"name": name, "url": "http://127.0.0.1:9/hook", **settings}

    response = operator.send("POST", "/studio/api/webhooks/endpoints", body)

    assert response.status_code == 400, response.text
    assert message in response.json()["message"]
    names = [
        e["name"]
        for e in operator.get("/studio/api/webhooks/endpoints").json()["endpoints"]
    ]
    assert name not in names


def test_edit_changes_what_it_names_and_refuses_bad_settings(studio_live, operator):
    table = new_table(studio_live)
    endpoint = create(operator, table_name=table, headers='{"X-Team": "a"}')
    path = f"/studio/api/webhooks/endpoints/{endpoint['id']}"

    bad = operator.send("PATCH", path, {"table_name": "gone", "url": "http://h/"})
    taken = operator.send("PATCH", path, {"name": create(operator)["name"]})
    good = operator.send(
        "PATCH",
        path,
        {"events": ["delete", "INSERT"], "schema_name": "auth", "table_name": "users"},
    )

    assert bad.status_code == 400
    assert bad.json()["message"] == "table public.gone does not exist"
    assert taken.status_code == 400
    assert "already exists" in taken.json()["message"]
    assert good.status_code == 200, good.text
    changed = operator.get(path).json()
    assert (changed["schema_name"], changed["table_name"]) == ("auth", "users")
    assert changed["events"] == ["INSERT", "DELETE"]
    assert (changed["url"], changed["headers"]) == (endpoint["url"], {"X-Team": "a"})


def test_the_log_is_paged_and_filtered_on_the_server_newest_first(
    studio_live, operator
):
    table = new_table(studio_live)
    # Switched off: its deliveries are made and wait, none is sent.
    endpoint = create(operator, table_name=table, events=["INSERT"], active=False)
    response = httpx.post(
        f"{studio_live.url}/rest/v1/{table}",
        headers=studio_live.headers(key=studio_live.service_key),
        json=[{"title": f"r{i}"} for i in range(60)],
    )
    assert response.status_code == 201
    path = f"/studio/api/webhooks/endpoints/{endpoint['id']}/deliveries"
    wait_for_status(operator, endpoint["id"], "waiting", 60)

    first = operator.get(path).json()
    second = operator.get(path, params={"page": 2}).json()
    succeeded = operator.get(path, params={"status": "succeeded"}).json()
    everywhere = operator.get(
        "/studio/api/webhooks/deliveries", params={"status": "pending"}
    ).json()
    page = operator.get(f"/studio/webhooks/{endpoint['id']}/", params={"page": 2})

    event_ids = [d["event_id"] for d in first["deliveries"] + second["deliveries"]]
    assert (first["total"], first["pages"], len(first["deliveries"])) == (60, 2, 50)
    assert (second["page"], len(second["deliveries"])) == (2, 10)
    assert event_ids == sorted(event_ids, reverse=True)
    assert len(set(event_ids)) == 60
    assert {d["status"] for d in first["deliveries"]} == {"pending"}
    assert succeeded["total"] == 0
    assert everywhere["total"] >= 60
    assert 'rel="prev"' in page.text and 'rel="next"' not in page.text
    assert "60 deliveries, newest first; page 2 of 2." in page.text


def test_a_switched_off_endpoint_is_switched_on_again(operator):
    endpoint = create(operator, active=False)
    path = f"/studio/api/webhooks/endpoints/{endpoint['id']}"

    enabled = operator.send("POST", f"{path}/enable")
    unknown = operator.send("POST", f"{path}/explode")

    assert endpoint["active"] is False
    assert enabled.status_code == 200
    assert enabled.json()["active"] is True
    assert operator.get(path).json()["active"] is True
    assert unknown.status_code == 404


def test_endpoints_declared_in_sql_are_refused_for_edit_and_delete(
    studio_live, operator
):
    table = new_table(studio_live)
    name = f"{table}_hook"
    studio_live.sql(
        f'create trigger "{name}" after insert on "public"."{table}" '
        "for each row execute function supabase_functions.http_request("
        "'http://127.0.0.1:9/hook', 'POST', '{}', '{}', '1000');"
    )
    listed = operator.get("/studio/api/webhooks/endpoints").json()["endpoints"]
    (endpoint,) = [e for e in listed if e["name"] == name]
    path = f"/studio/api/webhooks/endpoints/{endpoint['id']}"

    edited = operator.send("PATCH", path, {"url": "http://127.0.0.1:9/other"})
    deleted = operator.send("DELETE", path)
    edit_page = operator.get(f"/studio/webhooks/{endpoint['id']}/edit/")
    page = operator.get(f"/studio/webhooks/{endpoint['id']}/")

    assert endpoint["from_sql"] is True
    assert edited.status_code == 409
    assert "declared in SQL" in edited.json()["message"]
    assert deleted.status_code == 409
    assert operator.get(path).json() == endpoint
    assert edit_page.status_code == 302
    assert edit_page.headers["location"] == f"/studio/webhooks/{endpoint['id']}/"
    assert "read-only here" in page.text
    assert ">Edit<" not in page.text and ">Delete<" not in page.text
    # The secret is no part of the SQL: it can still be read and rotated.
    assert secret_of(operator, endpoint["id"]).startswith("whsec_")


def test_the_secret_is_never_in_a_pages_html_and_rotates(operator, delivered):
    endpoint, delivery = delivered
    secret = secret_of(operator, endpoint["id"])
    pages = [
        "/studio/webhooks/",
        f"/studio/webhooks/{endpoint['id']}/",
        f"/studio/webhooks/{endpoint['id']}/edit/",
        "/studio/webhooks/deliveries/",
        f"/studio/webhooks/deliveries/{delivery['id']}/",
        "/studio/api/webhooks/endpoints",
        f"/studio/api/webhooks/endpoints/{endpoint['id']}",
        f"/studio/api/webhooks/deliveries/{delivery['id']}",
        f"/admin/webhooks/endpoint/{endpoint['id']}/change/",
    ]
    for path in pages:
        response = operator.get(path)
        assert response.status_code == 200, path
        assert secret not in response.text, path
        assert "whsec_" not in response.text, path

    revealed = operator.send(
        "POST", f"/studio/api/webhooks/endpoints/{endpoint['id']}/secret"
    )
    rotated = operator.send(
        "POST", f"/studio/api/webhooks/endpoints/{endpoint['id']}/rotate-secret"
    )

    assert revealed.headers["cache-control"] == "no-store"
    assert rotated.headers["cache-control"] == "no-store"
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", rotated.json()["secret"])
    assert rotated.json()["secret"] != secret
    assert secret_of(operator, endpoint["id"]) == rotated.json()["secret"]


def test_replay_failed_sends_every_failed_delivery_again(studio_live, operator):
    with Receiver(status=500) as receiver:
        table = new_table(studio_live)
        endpoint = create(
            operator, url=receiver.url, table_name=table, events=["INSERT"]
        )
        insert(studio_live, table, "one")
        insert(studio_live, table, "two")
        failed = wait_for_status(operator, endpoint["id"], "failed", 2)
        receiver.status = 200

        replayed = operator.send(
            "POST", f"/studio/api/webhooks/endpoints/{endpoint['id']}/replay-failed"
        )
        succeeded = wait_for_status(operator, endpoint["id"], "succeeded", 2)

    assert replayed.json() == {"replayed": 2}
    assert [d["attempts"] for d in failed] == [4, 4]
    assert sorted(d["id"] for d in succeeded) == sorted(d["id"] for d in failed)
    assert [d["attempts"] for d in succeeded] == [5, 5]
    assert len({r.message_id for r in receiver.accepted()}) == 2


def test_a_delivery_fails_then_succeeds_on_replay_in_the_browser(studio, studio_live):
    table = new_table(studio_live)
    name = f"orders-{uuid.uuid4().hex[:6]}"
    with Receiver() as receiver:
        page = studio.goto("/studio/")
        nav = page.get_by_role("navigation", name="Studio")
        nav.get_by_role("link", name="Webhooks").click()
        page.get_by_role("link", name="New endpoint").click()
        page.get_by_label("Name").fill(name)
        page.get_by_label("URL", exact=True).fill(receiver.url)
        page.get_by_label("Table").select_option(table)
        page.get_by_role("checkbox", name="UPDATE").uncheck()
        page.get_by_role("checkbox", name="DELETE").uncheck()
        page.get_by_label("Headers").fill("{nope")
        page.get_by_role("button", name="Create endpoint").click()
        expect(page.get_by_role("alert")).to_contain_text("headers are not valid JSON")
        page.get_by_label("Headers").fill('{"X-Team": "orders"}')
        studio.screenshot("webhooks-new")
        page.get_by_role("button", name="Create endpoint").click()
        expect(page.get_by_role("heading", name=name)).to_be_visible()
        expect(page.get_by_text(f"public.{table}")).to_be_visible()

        insert(studio_live, table, "first")
        log = page.get_by_role("table", name="Deliveries")
        expect(log.get_by_text("succeeded")).to_be_visible()

        receiver.status = 500
        receiver.body = f"<b>broken</b>{XSS}".encode()
        insert(studio_live, table, "second")
        expect(log.get_by_text("failed")).to_be_visible(timeout=30_000)
        studio.screenshot("webhooks-endpoint")
        log.get_by_role("row").filter(has_text="failed").get_by_role("link").click()

        attempts = page.get_by_test_id("attempt")
        expect(attempts).to_have_count(4)
        expect(page.get_by_test_id("response-body").first).to_have_text(
            f"<b>broken</b>{XSS}"
        )
        assert page.locator("main img, main b").count() == 0
        attempts.first.get_by_text("Request to").click()
        expect(
            attempts.first.get_by_role("row", name=re.compile("webhook-signature"))
        ).to_contain_text("v1,")
        expect(page.get_by_test_id("payload")).to_contain_text('"title": "second"')

        receiver.status = 200
        page.get_by_role("button", name="Replay").click()
        expect(page.get_by_test_id("delivery-status")).to_have_text(
            "succeeded", timeout=30_000
        )
        expect(attempts).to_have_count(5)
        studio.screenshot("webhooks-delivery")

    titles = [r.payload["record"]["title"] for r in receiver.accepted()]
    assert titles == ["first", "second"]
    assert {r.headers["x-team"] for r in receiver.requests} == {"orders"}
    # The one refused request: the bad headers, before the good ones.
    assert studio.failed_requests == [
        f"400 {studio_live.url}/studio/api/webhooks/endpoints"
    ]


def test_hostile_name_url_and_reason_show_as_text(studio, studio_live, operator):
    endpoint = create(
        operator,
        name=f"{XSS}{uuid.uuid4().hex[:4]}",
        url=f"http://127.0.0.1:9/{XSS}",
    )
    page = studio.goto("/studio/webhooks/")

    row = page.get_by_role("row").filter(has_text=endpoint["name"])
    expect(row.get_by_role("link", name=endpoint["name"])).to_be_visible()
    expect(row).to_contain_text(f"http://127.0.0.1:9/{XSS}")
    assert page.locator("main img").count() == 0
    studio.screenshot("webhooks")
    row.get_by_role("link", name=endpoint["name"]).click()

    expect(page.get_by_role("heading", name=endpoint["name"])).to_be_visible()
    expect(page.get_by_test_id("endpoint-url")).to_have_text(
        f"http://127.0.0.1:9/{XSS}"
    )
    assert page.locator("main img").count() == 0
    page.get_by_role("button", name="Reveal secret").click()
    expect(page.get_by_test_id("secret")).to_have_text(re.compile(r"^whsec_"))
    studio.screenshot("webhooks-secret")
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete endpoint").click()

    expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()
    expect(page.get_by_role("link", name=endpoint["name"])).to_have_count(0)
    gone = operator.get(f"/studio/api/webhooks/endpoints/{endpoint['id']}")
    assert gone.status_code == 404
    assert studio.console_errors == []
