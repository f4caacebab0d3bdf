"""Cron jobs run by a real worker: on their schedule, one run at a time,
their outcome recorded; `select cron.…` in SQL makes, replaces and removes
them, and refuses what pg_cron would refuse, naming the statement and line."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.conftest import (
    create_operator,
    new_project,
    run_cli,
    start_server,
    stop_server,
)
from tests.studio_http import app_user_headers, csrf, operator_client

SQL_LIMIT_MS = 1500
# A query that never ends on its own: only the time limit stops it.
ENDLESS = (
    "with recursive r(n) as (select 1 union all select n + 1 from r) "
    "select count(*) from r"
)


@pytest.fixture(scope="module")
def cron_live(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("cron"))
    create_operator(project)
    server = start_server(
        project,
        {
            "KOYALITE_CRON_SQL_TIME_LIMIT_MS": str(SQL_LIMIT_MS),
            "KOYALITE_CRON_HTTP_TIMEOUT_MS": "3000",
            # The URL jobs' receiver listens on 127.0.0.1.
            "KOYALITE_WEBHOOKS_ALLOW_PRIVATE": "true",
        },
        worker=True,
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def operator(cron_live):
    client = operator_client(cron_live)
    yield client
    client.close()


def sql(server, text: str, check: bool = True):
    return run_cli(server.project, "sql", "-f", "-", stdin=text, check=check)


def job_named(operator, name: str) -> dict | None:
    jobs = operator.get("/studio/api/cron/").json()["jobs"]
    return next((job for job in jobs if job["name"] == name), None)


def schedule(server, operator, name: str, when: str, command: str) -> dict:
    out = sql(server, f"select cron.schedule('{name}', '{when}', $$ {command} $$);")
    job = job_named(operator, name)
    assert job is not None
    assert re.search(rf"^{job['id']}\s*$", out.stdout, re.MULTILINE)
    return job


def wait_for_runs(
    operator,
    job_id: int,
    done: Callable[[list[dict]], bool],
    seen: list[list[dict]] | None = None,
    timeout: float = 30,
) -> list[dict]:
    """Poll the job's history (oldest first) until `done` says so."""
    deadline = time.monotonic() + timeout
    while True:
        runs = operator.get(f"/studio/api/cron/{job_id}/").json()["runs"][::-1]
        if seen is not None:
            seen.append(runs)
        if done(runs):
            return runs
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} runs never got there: {runs}")
        time.sleep(0.2)


def finished(count: int, status: str = "") -> Callable[[list[dict]], bool]:
    def check(runs: list[dict]) -> bool:
        ended = [r for r in runs if r["status"] in ("succeeded", "failed")]
        return len([r for r in ended if not status or r["status"] == status]) >= count

    return check


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_interval_job_runs_repeatedly_and_records_history(cron_live, operator):
    sql(cron_live, "create table beats (id integer primary key, at text);")
    job = schedule(
        cron_live, operator, "beat", "1 seconds", "insert into beats (at) values (1)"
    )

    runs = wait_for_runs(operator, job["id"], finished(3, "succeeded"))
    done = [r for r in runs if r["status"] == "succeeded"][:3]
    count = sql(cron_live, "select count(*) as n from beats;").stdout
    sql(cron_live, "select cron.unschedule('beat');")

    assert [r["output"] for r in done] == ["INSERT 1"] * 3
    assert all(r["error"] == "" and r["duration_ms"] is not None for r in done)
    slots = [moment(r["scheduled_for"]) for r in done]
    assert all(b - a >= timedelta(seconds=1) for a, b in zip(slots, slots[1:]))
    assert int(re.findall(r"^(\d+)\s*$", count, re.MULTILINE)[-1]) >= 3


def test_slow_job_never_overlaps_its_previous_run(cron_live, operator):
    job = schedule(cron_live, operator, "slow", "1 seconds", ENDLESS)
    seen: list[list[dict]] = []

    runs = wait_for_runs(operator, job["id"], finished(3), seen)
    sql(cron_live, "select cron.unschedule('slow');")

    ended = [r for r in runs if r["status"] == "failed"][:3]
    assert len(ended) == 3
    for run in ended:
        assert "took too long" in run["error"]
        assert f"stopped after {SQL_LIMIT_MS} ms" in run["error"]
    for earlier, later in zip(ended, ended[1:]):
        assert moment(later["started_at"]) >= moment(earlier["finished_at"])
    in_flight = [
        len([r for r in history if r["status"] in ("starting", "running")])
        for history in seen
    ]
    assert max(in_flight) == 1


def test_failing_job_is_recorded_with_its_error(cron_live, operator):
    job = schedule(
        cron_live,
        operator,
        "broken",
        "1 seconds",
        "insert into no_such_table values (1)",
    )

    runs = wait_for_runs(operator, job["id"], finished(1))
    sql(cron_live, "select cron.unschedule('broken');")

    run = runs[0]
    assert run["status"] == "failed"
    assert run["error"] == "statement 1 (line 1): no such table: no_such_table"
    assert run["output"] == ""


def test_unschedule_stops_the_job(cron_live, operator):
    sql(cron_live, "create table stops (id integer primary key);")
    job = schedule(
        cron_live, operator, "stopper", "1 seconds", "insert into stops default values"
    )
    wait_for_runs(operator, job["id"], finished(1, "succeeded"))

    out = sql(cron_live, "select cron.unschedule('stopper');").stdout
    time.sleep(1.5)  # a run in flight at that moment may still finish
    before = sql(cron_live, "select count(*) from stops;").stdout
    time.sleep(3)  # three slots of a 1-second job: nothing may run in them
    after = sql(cron_live, "select count(*) from stops;").stdout

    assert "True" in out
    assert operator.get(f"/studio/api/cron/{job['id']}/").status_code == 404
    assert before == after


def test_same_name_replaces_the_job_as_pg_cron(cron_live, operator):
    first = schedule(cron_live, operator, "nightly", "0 3 * * *", "select 1")
    second = schedule(cron_live, operator, "nightly", "30 4 * * *", "select 2")

    jobs = [
        j
        for j in operator.get("/studio/api/cron/").json()["jobs"]
        if j["name"] == "nightly"
    ]
    sql(cron_live, "select cron.unschedule('nightly');")

    assert second["id"] == first["id"]
    assert len(jobs) == 1
    assert jobs[0]["schedule"] == "30 4 * * *"
    assert jobs[0]["command"] == " select 2 "
    assert moment(jobs[0]["next_run_at"]).strftime("%H:%M") == "04:30"


def test_unnamed_job_and_unschedule_by_id(cron_live, operator):
    out = sql(cron_live, "select cron.schedule('*/10 * * * *', 'select 1');").stdout
    job_id = int(re.findall(r"^(\d+)\s*$", out, re.MULTILINE)[-1])

    listed = operator.get(f"/studio/api/cron/{job_id}/").json()
    removed = sql(cron_live, f"select cron.unschedule({job_id});").stdout

    assert listed["name"] is None
    assert listed["schedule"] == "*/10 * * * *"
    assert "True" in removed
    assert operator.get(f"/studio/api/cron/{job_id}/").status_code == 404


def test_alter_job_pauses_with_named_arguments(cron_live, operator):
    job = schedule(cron_live, operator, "altered", "0 * * * *", "select 1")

    sql(
        cron_live,
        f"select cron.alter_job(job_id := {job['id']}, schedule := '15 * * * *', "
        "active := false);",
    )
    changed = operator.get(f"/studio/api/cron/{job['id']}/").json()
    sql(cron_live, "select cron.unschedule('altered');")

    assert changed["active"] is False
    assert changed["schedule"] == "15 * * * *"
    assert changed["command"] == " select 1 "


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            "select cron.schedule('bad', '61 * * * *', 'select 1');",
            "statement 1 (line 1): invalid schedule: '61 * * * *'",
        ),
        (
            "select 1;\n\nselect cron.schedule('bad', '* * * *', 'select 1');",
            "statement 2 (line 3): invalid schedule: '* * * *': "
            "a cron schedule has 5 fields, this has 4",
        ),
        (
            "select cron.schedule('bad', '90 seconds', 'select 1');",
            "statement 1 (line 1): invalid schedule: '90 seconds': "
            "an interval takes 1 to 59 seconds",
        ),
        (
            "select cron.unschedule('nope');",
            "statement 1 (line 1): could not find valid entry for job 'nope'",
        ),
        (
            "select cron.unschedule(987654);",
            "statement 1 (line 1): could not find valid entry for job 987654",
        ),
        (
            "select cron.schedule('bad', '* * * * *', (select 1));",
            "statement 1 (line 1): cron.schedule takes literal arguments; "
            "(select 1) is not one",
        ),
        (
            "select cron.schedule('bad', 5, 'select 1');",
            "statement 1 (line 1): cron.schedule: schedule must be text, not 5",
        ),
        (
            "select cron.schedule_in_database('bad', '* * * * *', 'select 1', 'db');",
            "statement 1 (line 1): function cron.schedule_in_database is not supported",
        ),
        (
            "select cron.schedule('bad', '* * * * *', $$ do $b$ begin end $b$ $$);",
            "statement 1 (line 1): the job's SQL cannot run: statement 1 (line 1): "
            "do blocks are not supported",
        ),
        (
            "select cron.schedule('bad', '* * * * *') + 1;",
            "statement 1 (line 1): select cron.schedule(…) must be the whole statement",
        ),
        (
            "select cron.alter_job(1, database := 'other');",
            "statement 1 (line 1): cron.alter_job: database is not supported",
        ),
    ],
)
def test_bad_cron_statements_are_refused_naming_statement_and_line(
    cron_live, operator, script, message
):
    result = sql(cron_live, script, check=False)

    assert result.returncode == 1
    assert result.stderr.startswith(f"koyalite: {message}")
    assert job_named(operator, "bad") is None


def test_failed_script_leaves_no_job_behind(cron_live, operator):
    result = sql(
        cron_live,
        "select cron.schedule('rolled-back', '* * * * *', 'select 1');\n"
        "select * from missing_table;",
        check=False,
    )

    assert result.returncode == 1
    assert "statement 2 (line 2)" in result.stderr
    assert job_named(operator, "rolled-back") is None


class Receiver(BaseHTTPRequestHandler):
    bodies: list[bytes] = []
    delay = 0.0

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["content-length"]))
        type(self).bodies.append(body)
        time.sleep(type(self).delay)
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.end_headers()
        self.wfile.write(b"pong")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.bodies, Receiver.delay = [], 0.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_url_job_posts_and_records_the_answer(cron_live, operator, receiver):
    made = operator.post(
        "/studio/api/cron/",
        json={
            "name": "ping",
            "schedule": "1 seconds",
            "kind": "url",
            "command": receiver,
        },
        headers=csrf(operator),
    )
    job = made.json()

    runs = wait_for_runs(operator, job["id"], finished(1, "succeeded"))
    operator.delete(f"/studio/api/cron/{job['id']}/", headers=csrf(operator))

    assert made.status_code == 201
    assert runs[0]["output"] == "HTTP 200\npong"
    sent = json.loads(Receiver.bodies[0])
    assert sent["job_id"] == job["id"]
    assert sent["job_name"] == "ping"
    assert moment(sent["scheduled_for"]) == moment(runs[0]["scheduled_for"])


def test_slow_url_job_runs_one_at_a_time(cron_live, operator, receiver):
    Receiver.delay = 1.6  # longer than the 1-second interval
    job = operator.post(
        "/studio/api/cron/",
        json={
            "name": "slowping",
            "schedule": "1 seconds",
            "kind": "url",
            "command": receiver,
        },
        headers=csrf(operator),
    ).json()
    seen: list[list[dict]] = []

    runs = wait_for_runs(operator, job["id"], finished(2, "succeeded"), seen)
    operator.delete(f"/studio/api/cron/{job['id']}/", headers=csrf(operator))

    first, second = [r for r in runs if r["status"] == "succeeded"][:2]
    assert moment(second["started_at"]) >= moment(first["finished_at"])
    assert (
        max(len([r for r in h if r["status"] in ("starting", "running")]) for h in seen)
        == 1
    )


ECHO_FUNCTION = """
Deno.serve(async (req) => {
  const job = await req.json();
  const service = req.headers.get("authorization") === "Bearer " + Deno.env.get("SUPABASE_SERVICE_ROLE_KEY");
  return Response.json({ job: job.job_name, service }, { status: job.job_name === "fn-teapot" ? 418 : 200 });
});
"""


def test_function_jobs_call_the_function_as_the_service_role(cron_live, operator):
    """A function job goes through the functions' own relay: the function gets
    the job's body as the service role, its answer is the run's outcome."""
    folder = cron_live.project / "functions" / "cron-echo"
    folder.mkdir(parents=True)
    (folder / "index.ts").write_text(ECHO_FUNCTION)
    outcomes = {}
    for name, command in (("fn-ok", "cron-echo"), ("fn-teapot", "cron-echo"),
                          ("fn-missing", "no-such-function")):  # fmt: skip
        job = operator.post(
            "/studio/api/cron/",
            json={"name": name, "schedule": "0 0 1 1 *", "kind": "function",
                  "command": command, "active": False},
            headers=csrf(operator),
        ).json()  # fmt: skip
        started = operator.post(
            f"/studio/api/cron/{job['id']}/run", headers=csrf(operator)
        )
        assert started.status_code == 202
        outcomes[name] = wait_for_runs(operator, job["id"], finished(1))[0]
        operator.delete(f"/studio/api/cron/{job['id']}/", headers=csrf(operator))

    ok, teapot, missing = (
        outcomes["fn-ok"],
        outcomes["fn-teapot"],
        outcomes["fn-missing"],
    )
    assert ok["status"] == "succeeded", ok
    assert ok["output"] == 'HTTP 200\n{"job":"fn-ok","service":true}'
    assert (teapot["status"], teapot["error"]) == ("failed", "the answer was HTTP 418")
    assert missing["status"] == "failed"
    assert "no-such-function" in missing["error"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "x", "schedule": "* * *", "command": "select 1"}, "invalid schedule"),
        (
            {
                "name": "x",
                "schedule": "* * * * *",
                "command": "a b",
                "kind": "function",
            },
            "function name 'a b' is not valid",
        ),
        (
            {"name": "x", "schedule": "* * * * *", "command": "ftp://x", "kind": "url"},
            "is not an http or https URL",
        ),
        (
            {
                "name": "x",
                "schedule": "* * * * *",
                "command": "select 1",
                "timezone": "Nowhere/City",
            },
            "unknown time zone 'Nowhere/City'",
        ),
        ({"name": "x", "schedule": "* * * * *"}, "command is required"),
        (
            {
                "name": "x",
                "schedule": "* * * * *",
                "command": "select 1",
                "owner": "me",
            },
            "unknown field 'owner'",
        ),
    ],
)
def test_studio_api_refuses_bad_jobs(cron_live, operator, body, message):
    response = operator.post("/studio/api/cron/", json=body, headers=csrf(operator))

    assert response.status_code == 400
    assert message in response.json()["message"]
    assert job_named(operator, "x") is None


ENDPOINTS = [
    ("get", "/studio/api/cron/"),
    ("post", "/studio/api/cron/"),
    ("get", "/studio/api/cron/{id}/"),
    ("patch", "/studio/api/cron/{id}/"),
    ("delete", "/studio/api/cron/{id}/"),
    ("post", "/studio/api/cron/{id}/run"),
]
CALLERS = [
    (caller, method, path)
    for caller in ("no session", "app user", "service key", "no csrf")
    for method, path in ENDPOINTS
    # An operator's reads need no CSRF token.
    if not (caller == "no csrf" and method == "get")
]


@pytest.fixture(scope="module")
def guarded(cron_live, operator):
    made = operator.post(
        "/studio/api/cron/",
        json={"name": "guarded", "schedule": "0 5 * * *", "command": "select 1"},
        headers=csrf(operator),
    )
    assert made.status_code == 201
    return made.json()


@pytest.mark.parametrize(("caller", "method", "path"), CALLERS)
def test_cron_api_refuses_all_but_operators_with_csrf(
    cron_live, operator, guarded, caller, method, path
):
    url = path.format(id=guarded["id"])
    body = {
        "name": "intruder",
        "schedule": "* * * * *",
        "command": "select 1",
        "active": False,
    }
    if caller == "no csrf":
        response = operator.request(method, url, json=body)
    else:
        headers = {
            "no session": {},
            "app user": app_user_headers(cron_live),
            "service key": cron_live.headers(key=cron_live.service_key),
        }[caller]
        response = httpx.request(
            method, cron_live.url + url, json=body, headers=headers
        )

    after = operator.get(f"/studio/api/cron/{guarded['id']}/").json()

    assert response.status_code == 403
    assert "jobs" not in response.text and "guarded" not in response.text
    assert {k: after[k] for k in guarded} == guarded
    assert after["runs"] == []
    assert job_named(operator, "intruder") is None


def test_cron_tables_read_in_sql_as_pg_cron_names_them(cron_live, operator):
    job = schedule(
        cron_live, operator, "listed", "1 seconds", "select 41 + 1 as answer"
    )
    wait_for_runs(operator, job["id"], finished(1, "succeeded"))

    jobs = sql(
        cron_live,
        f"select jobid, jobname, schedule, active from cron.job where jobid = {job['id']};",
    ).stdout
    details = sql(
        cron_live,
        "select status, return_message from cron.job_run_details "
        f"where jobid = {job['id']} and status = 'succeeded' limit 1;",
    ).stdout
    written = sql(cron_live, "delete from cron.job;", check=False)
    sql(cron_live, "select cron.unschedule('listed');")

    assert re.search(rf"^{job['id']}\s*\| listed\s*\| 1 seconds \| True", jobs, re.M)
    assert 'succeeded | SELECT 1\n{"answer":42}' in details
    assert written.returncode == 1
    assert "change it through cron.schedule" in written.stderr
