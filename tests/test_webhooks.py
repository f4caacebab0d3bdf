"""Database webhooks end to end: SQL as Supabase's Studio writes it, a live
server with its worker, and a real receiver on 127.0.0.1 that fails on purpose."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
import uuid
from collections import defaultdict

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from tests.conftest import (
    KOYALITE,
    new_project,
    project_env,
    run_cli,
    start_server,
    stop_server,
)
from tests.webhook_receiver import Receiver

ENV = {
    "KOYALITE_WEBHOOKS_ALLOW_PRIVATE": "true",
    "KOYALITE_WEBHOOKS_RETRY_SCHEDULE": "1,1,1,1,1,1,1,1",
    "KOYALITE_WEBHOOKS_BREAKER_THRESHOLD": "1000",
    "KOYALITE_WORKER_TICK_MS": "50",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("webhooks"))
    with (project / ".env").open("a") as env:
        env.write("".join(f"\n{k}={v}" for k, v in ENV.items()) + "\n")
    live = start_server(project, worker=True)
    yield live
    stop_server(live)


def sql(server, text: str) -> None:
    run_cli(server.project, "sql", "-f", "-", stdin=text)


def hooked_table(server, url: str, events: str = "insert or update or delete") -> str:
    """A new table with a webhook, declared as Supabase's Studio declares it."""
    table = f"t_{uuid.uuid4().hex[:8]}"
    sql(
        server,
        f"create table {table} (id integer primary key, title text, n integer);\n"
        f'create trigger "{table}_hook" after {events} on "public"."{table}" '
        f'for each row execute function "supabase_functions"."http_request"('
        f"'{url}', 'POST', '{{\"Content-Type\":\"application/json\"}}', '{{}}', '5000');",
    )
    return table


def secret(server, table: str) -> str:
    path = server.project / "koyalite.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return db.execute(
            "SELECT secret FROM webhooks_endpoints WHERE name = ?", (f"{table}_hook",)
        ).fetchone()[0]


def rest(server, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {
        **server.headers(key=server.service_key),
        "Prefer": "return=representation",
    }
    response = httpx.request(
        method, f"{server.url}/rest/v1{path}", headers=headers, timeout=10, **kwargs
    )
    assert response.status_code < 300, response.text
    return response


def test_changes_arrive_signed_in_supabase_shape_after_retries(server):
    with Receiver(fail_first=2) as receiver:
        table = hooked_table(server, receiver.url)
        (row,) = rest(server, "POST", f"/{table}", json={"title": "a", "n": 1}).json()
        (changed,) = rest(
            server, "PATCH", f"/{table}?id=eq.{row['id']}", json={"n": 2}
        ).json()
        rest(server, "DELETE", f"/{table}?id=eq.{row['id']}")

        accepted = receiver.wait_for(3)

    assert [r.payload for r in accepted] == [
        {
            "type": "INSERT",
            "table": table,
            "schema": "public",
            "record": row,
            "old_record": None,
        },
        {
            "type": "UPDATE",
            "table": table,
            "schema": "public",
            "record": changed,
            "old_record": row,
        },
        {
            "type": "DELETE",
            "table": table,
            "schema": "public",
            "record": None,
            "old_record": changed,
        },
    ]
    verifier = Webhook(secret(server, table))
    for request in accepted:
        verifier.verify(request.body, request.headers)  # raises when wrong
        assert request.headers["content-type"] == "application/json"
    # The two refused attempts were the first message's, with the same id.
    failed = [r for r in receiver.requests if r.status == 503]
    assert [r.message_id for r in failed] == [accepted[0].message_id] * 2
    assert len({r.message_id for r in accepted}) == 3


def test_a_burst_is_delivered_once_per_event_in_order_per_row(server):
    with Receiver(fail_first=7) as receiver:
        table = hooked_table(server, receiver.url)
        rows = rest(
            server,
            "POST",
            f"/{table}",
            json=[{"title": f"r{i}", "n": 0} for i in range(10)],
        ).json()
        for step in range(1, 4):
            for row in rows:
                rest(server, "PATCH", f"/{table}?id=eq.{row['id']}", json={"n": step})

        accepted = receiver.wait_for(40, timeout=60)

    by_message: dict[str, list] = defaultdict(list)
    for request in accepted:
        by_message[request.message_id].append(request)
    assert len(by_message) == 40
    assert all(len(requests) == 1 for requests in by_message.values())
    seen: dict[int, list[int]] = defaultdict(list)
    for request in accepted:
        record = request.payload["record"]
        seen[record["id"]].append(record["n"])
    assert seen == {row["id"]: [0, 1, 2, 3] for row in rows}


def test_sql_scripts_and_rolled_back_writes(server):
    with Receiver() as receiver:
        table = hooked_table(server, receiver.url, events="insert")
        sql(server, f"insert into {table} (title) values ('from sql');")
        failed = run_cli(
            server.project,
            "sql",
            "-f",
            "-",
            stdin=f"insert into {table} (title) values ('rolled back');\n"
            f"insert into {table} (nope) values (1);",
            check=False,
        )
        assert failed.returncode != 0
        sql(server, f"update {table} set n = 5;")  # not subscribed
        sql(server, f"insert into {table} (title) values ('last');")

        accepted = receiver.wait_for(2)
        time.sleep(1)  # anything else would have arrived by now

    assert [r.payload["record"]["title"] for r in receiver.accepted()] == [
        "from sql",
        "last",
    ]
    assert len(accepted) == 2


def test_dropping_the_trigger_stops_deliveries(server):
    with Receiver() as receiver:
        table = hooked_table(server, receiver.url)
        rest(server, "POST", f"/{table}", json={"title": "before"})
        receiver.wait_for(1)
        sql(server, f'drop trigger "{table}_hook" on "public"."{table}";')
        rest(server, "POST", f"/{table}", json={"title": "after"})
        time.sleep(1.5)

    assert [r.payload["record"]["title"] for r in receiver.accepted()] == ["before"]


def test_a_redirect_is_a_failed_attempt_and_not_followed(server):
    with Receiver(status=200) as target, Receiver(status=302) as receiver:
        receiver.location = target.url
        table = hooked_table(server, receiver.url, events="insert")
        rest(server, "POST", f"/{table}", json={"title": "x"})
        deadline = time.monotonic() + 20
        while len(receiver.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)

    assert len(receiver.requests) >= 2  # retried: a 302 is no success
    assert target.requests == []
    with sqlite3.connect(server.project / "koyalite.sqlite3") as db:
        errors = [
            e
            for (e,) in db.execute(
                "SELECT a.error FROM webhooks_attempts a JOIN webhooks_deliveries d "
                "ON a.delivery_id = d.id JOIN webhooks_endpoints e "
                "ON d.endpoint_id = e.id WHERE e.name = ? ORDER BY a.number",
                (f"{table}_hook",),
            )
        ]
    # Attempts after the receiver closed meet a refused connection instead.
    assert all("redirects are not followed" in e for e in errors[:2])


def test_bad_trigger_sql_is_refused_with_its_reason(server):
    cases = {
        "create trigger x after insert on nowhere for each row execute function "
        "supabase_functions.http_request('http://127.0.0.1/');": "does not exist",
        "create table bad1 (id integer primary key);\n"
        "create trigger x after insert on bad1 for each statement execute function "
        "supabase_functions.http_request('http://127.0.0.1/');": "for each row",
        "create table bad2 (id integer primary key);\n"
        "create trigger x after insert on bad2 for each row execute function "
        "supabase_functions.http_request('ftp://127.0.0.1/');": "http or https",
        "create table bad3 (id integer primary key);\n"
        "create trigger x after insert on bad3 for each row execute function "
        "supabase_functions.http_request('http://127.0.0.1/', 'POST', 'nope');": "JSON",
        "create table bad4 (id integer primary key);\n"
        "create trigger x after update of id on bad4 for each row execute function "
        "supabase_functions.http_request('http://127.0.0.1/');": "update of",
    }
    for statement, reason in cases.items():
        result = run_cli(server.project, "sql", "-f", "-", stdin=statement, check=False)
        assert result.returncode == 1, statement
        assert reason in result.stderr, (statement, result.stderr)
    path = server.project / "koyalite.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        assert db.execute(
            "SELECT count(*) FROM webhooks_endpoints WHERE name = 'x'"
        ).fetchone() == (0,)
        assert db.execute(
            "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'bad%'"
        ).fetchone() == (0,)


def test_no_event_is_lost_when_the_worker_is_killed(tmp_path):
    """kill -9 of every worker process mid-run, then a new worker: each event
    is accepted, under the same webhook-id if it was sent twice."""
    project = new_project(tmp_path)
    with (project / ".env").open("a") as env:
        env.write(
            "".join(f"\n{k}={v}" for k, v in ENV.items())
            # A short job timeout hands a killed worker's deliveries out
            # again soon; cron's limits must stay below it.
            + "\nKOYALITE_WORKER_JOB_TIMEOUT=3"
            + "\nKOYALITE_CRON_SQL_TIME_LIMIT_MS=2000"
            + "\nKOYALITE_CRON_HTTP_TIMEOUT_MS=2000\n"
        )
    live = start_server(project)  # no worker: this test runs its own
    # More than the first worker's jobs hold at once (20 each, 2 processes).
    ROWS = 100  # noqa: N806
    try:
        with Receiver(delay=0.3) as receiver:
            table = hooked_table(live, receiver.url, events="insert")
            rest(
                live,
                "POST",
                f"/{table}",
                json=[{"title": f"r{i}"} for i in range(ROWS)],
            )
            first = _worker(project)
            receiver.wait_for(3, timeout=30)
            _kill_group(first)
            delivered_before = len({r.message_id for r in receiver.accepted()})
            assert delivered_before < ROWS, "the kill came too late to test anything"
            second = _worker(project)
            try:
                accepted = receiver.wait_for(ROWS, timeout=90)
            finally:
                os.kill(second.pid, signal.SIGTERM)
                try:
                    assert second.wait(timeout=30) == 0
                finally:
                    _kill_group(second)
    finally:
        stop_server(live)
    titles = {r.payload["record"]["title"] for r in accepted}
    assert titles == {f"r{i}" for i in range(ROWS)}


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def _worker(project) -> subprocess.Popen:
    return subprocess.Popen(
        [KOYALITE, "worker"],
        cwd=project,
        env=project_env(project),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: killed all at once
    )


def _manage(server, method: str, path: str, key: str | None = None, **kwargs):
    headers = server.headers(key=key) if key else {}
    return httpx.request(
        method, f"{server.url}/webhooks/v1{path}", headers=headers, timeout=10, **kwargs
    )


def test_the_service_role_manages_endpoints_over_http(server):
    """`/webhooks/v1` takes the service_role key only; it creates, reads,
    changes and deletes endpoints with the Studio's rules."""
    table = f"t_{uuid.uuid4().hex[:8]}"
    sql(server, f"create table {table} (id integer primary key, n integer);")
    body = {"name": f"{table}_api", "url": "http://127.0.0.1:9/x",
            "table_name": table, "events": ["INSERT"]}  # fmt: skip
    user = server.headers("00000000-0000-4000-8000-00000000a11c")

    anonymous = _manage(server, "POST", "/endpoints", json=body)
    anon = _manage(server, "POST", "/endpoints", key=server.anon_key, json=body)
    as_user = httpx.post(f"{server.url}/webhooks/v1/endpoints", headers=user, json=body)
    bad_filter = _manage(server, "POST", "/endpoints", key=server.service_key,
                         json={**body, "row_filter": "n=like.5"})  # fmt: skip
    no_column = _manage(server, "POST", "/endpoints", key=server.service_key,
                        json={**body, "row_filter": "m=eq.5"})  # fmt: skip
    created = _manage(server, "POST", "/endpoints", key=server.service_key,
                      json={**body, "row_filter": "n=gt.5"})  # fmt: skip
    endpoint = created.json()
    path = f"/endpoints/{endpoint['id']}"
    secret = _manage(server, "POST", f"{path}/secret", key=server.service_key)
    changed = _manage(server, "PATCH", path, key=server.service_key,
                      json={"row_filter": ""})  # fmt: skip
    deleted = _manage(server, "DELETE", path, key=server.service_key)
    gone = _manage(server, "GET", path, key=server.service_key)

    assert [anonymous.status_code, anon.status_code, as_user.status_code] == [
        401,
        401,
        403,
    ]
    assert (bad_filter.status_code, no_column.status_code) == (400, 400)
    assert "is not column=operator.value" in bad_filter.json()["message"]
    assert (
        no_column.json()["message"] == f"row filter: table '{table}' has no column 'm'"
    )
    assert created.status_code == 201, created.text
    assert endpoint["row_filter"] == "n=gt.5" and "secret" not in endpoint
    assert secret.json()["secret"].startswith("whsec_")
    assert changed.json()["row_filter"] == ""
    assert (deleted.status_code, gone.status_code) == (204, 404)


def test_an_endpoint_with_a_row_filter_gets_only_the_rows_that_match(server):
    table = f"t_{uuid.uuid4().hex[:8]}"
    sql(server, f"create table {table} (id integer primary key, n integer);")
    with Receiver() as receiver:
        created = _manage(
            server, "POST", "/endpoints", key=server.service_key,
            json={"name": f"{table}_filtered", "url": receiver.url, "table_name": table,
                  "row_filter": "n=gt.5"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        rest(server, "POST", f"/{table}", json=[{"id": i, "n": i} for i in range(1, 9)])
        rest(server, "PATCH", f"/{table}?id=eq.7", json={"n": 2})  # new row fails
        rest(server, "PATCH", f"/{table}?id=eq.3", json={"n": 30})  # new row passes
        rest(server, "DELETE", f"/{table}?id=eq.8")  # the old row passes
        rest(server, "DELETE", f"/{table}?id=eq.1")  # the old row fails
        accepted = receiver.wait_for(5, timeout=30)
        time.sleep(1)  # anything more would have come by now
        seen = sorted(
            (r.payload["type"], (r.payload["record"] or r.payload["old_record"])["n"])
            for r in receiver.accepted()
        )
    assert len(accepted) >= 5
    assert seen == [
        ("DELETE", 8),
        ("INSERT", 6),
        ("INSERT", 7),
        ("INSERT", 8),
        ("UPDATE", 30),
    ]
