"""`/functions/v1` end to end: supabase-py's `functions.invoke` against a live
server running the functions of tests/fixtures/functions on real Deno."""

from __future__ import annotations

import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from supabase import create_client
from supabase_functions.errors import FunctionsHttpError, FunctionsRelayError

from tests.conftest import (
    ALICE,
    FIXTURES,
    new_project,
    run_cli,
    start_server,
    stop_server,
)

FUNCTIONS = FIXTURES / "functions"


def install_functions(project: Path) -> None:
    shutil.copytree(FUNCTIONS, project / "functions", dirs_exist_ok=True)
    shutil.copy(FIXTURES / "functions_config.toml", project / "config.toml")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("functions"))
    install_functions(project)
    run_cli(project, "secrets", "set", "GREETING=hello from a secret")
    live = start_server(project)
    yield live
    stop_server(live)


@pytest.fixture(scope="module")
def anon(server):
    return create_client(server.url, server.anon_key)


def invocations(
    server, function: str, count: int, path: str = "", timeout: float = 10.0
) -> list:
    """The newest `count` log rows of `function` (and `path`, if given); the
    log is written each second."""
    lookup = f"function={function!r}" + (f", path={path!r}" if path else "")
    code = (
        "import json\n"
        "from edge_functions.models import Invocation\n"
        f"rows = Invocation.objects.filter({lookup})[:{count}]\n"
        "print(json.dumps([dict(status=r.status, error=r.error, output=r.output,"
        " cold_start=r.cold_start, memory_kb=r.memory_kb, method=r.method,"
        " path=r.path) for r in rows]))\n"
    )
    import json

    deadline = time.monotonic() + timeout
    while True:
        output = run_cli(server.project, "shell", "-c", code).stdout
        rows = json.loads(output.strip().splitlines()[-1])
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.3)


def test_json_body_reaches_the_function_and_json_comes_back(anon, server):
    data = anon.functions.invoke(
        "echo", {"body": {"name": "Ada"}, "responseType": "json"}
    )

    assert data["method"] == "POST"
    assert data["path"] == "/echo"
    assert data["contentType"] == "application/json"
    assert data["body"] == '{"name":"Ada"}'


def test_text_body_and_text_response(anon):
    data = anon.functions.invoke("text", {"body": "Grace"})

    assert data == b"Hello, Grace!"


def test_binary_body_and_binary_response(anon):
    payload = bytes(range(256)) * 4

    data = anon.functions.invoke("binary", {"body": payload})

    assert data == payload[::-1]


def test_get_with_query_and_custom_headers(anon):
    data = anon.functions.invoke(
        "echo/items?limit=5&q=a%20b",
        {"method": "GET", "headers": {"x-custom": "yes"}, "responseType": "json"},
    )

    assert data["method"] == "GET"
    assert data["path"] == "/echo/items"
    assert data["query"] == {"limit": "5", "q": "a b"}
    assert data["custom"] == "yes"
    assert data["body"] == ""


def test_function_sees_the_anon_key_as_bearer_by_default(anon, server):
    data = anon.functions.invoke("echo", {"responseType": "json"})

    assert data["authorization"] == f"Bearer {server.anon_key}"


def test_function_sees_the_users_token(server):
    client = create_client(server.url, server.anon_key)
    token = server.token(ALICE)
    client.functions.set_auth(token)

    data = client.functions.invoke("echo", {"responseType": "json"})

    assert data["authorization"] == f"Bearer {token}"


def test_environment_has_the_projects_url_keys_and_secrets(anon, server):
    data = anon.functions.invoke("echo", {"responseType": "json"})

    assert data["env"] == {
        "SUPABASE_URL": server.url,
        "SUPABASE_ANON_KEY": server.anon_key,
        "SUPABASE_SERVICE_ROLE_KEY": server.service_key,
        "GREETING": "hello from a secret",
    }


def test_streaming_response_arrives_event_by_event(server):
    arrivals = []
    started = time.monotonic()
    with httpx.stream(
        "POST",
        f"{server.url}/functions/v1/stream",
        headers={"Authorization": f"Bearer {server.anon_key}"},
        timeout=10,
    ) as response:
        assert response.headers["content-type"] == "text/event-stream"
        for line in response.iter_lines():
            if line:
                arrivals.append((line, time.monotonic() - started))

    assert [line for line, _ in arrivals] == [
        "data: event 1",
        "data: event 2",
        "data: event 3",
    ]
    # Events are 300 ms apart at the source; buffering would bunch them up.
    assert arrivals[2][1] - arrivals[0][1] > 0.45


def test_error_status_reaches_the_client_with_the_functions_body(anon):
    with pytest.raises(FunctionsHttpError) as raised:
        anon.functions.invoke("teapot")

    assert raised.value.status == 418
    assert raised.value.message == "I'm a teapot"


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Error: Missing authorization header"),
        ("Basic abc", "Error: Auth header is not 'Bearer {token}'"),
        ("Bearer not-a-jwt", "Invalid JWT"),
    ],
)
def test_jwt_is_verified_before_the_function_runs(server, authorization, message):
    headers = {"apikey": server.anon_key}
    if authorization:
        headers["Authorization"] = authorization

    response = httpx.post(f"{server.url}/functions/v1/echo", headers=headers)

    assert response.status_code == 401
    assert response.json() == {"msg": message}
    assert "x-relay-error" not in response.headers


def test_token_signed_with_another_secret_is_refused(server):
    import jwt

    forged = jwt.encode({"role": "service_role"}, "x" * 40, algorithm="HS256")

    response = httpx.post(
        f"{server.url}/functions/v1/echo",
        headers={"Authorization": f"Bearer {forged}"},
    )

    assert response.status_code == 401
    assert response.json() == {"msg": "Invalid JWT"}


def test_function_without_verify_jwt_needs_no_token(server):
    response = httpx.get(f"{server.url}/functions/v1/public")

    assert response.status_code == 200
    assert response.text == "public"


def test_unknown_function_is_404(anon):
    with pytest.raises(FunctionsHttpError) as raised:
        anon.functions.invoke("no-such-function")

    assert raised.value.status == 404


def test_preflight_reaches_the_function_without_a_token(server):
    response = httpx.options(
        f"{server.url}/functions/v1/echo",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, x-client-info",
        },
    )

    assert response.status_code == 200
    assert response.json()["method"] == "OPTIONS"
    assert response.headers["access-control-allow-origin"] == "*"


def test_every_set_cookie_header_reaches_the_client(server):
    response = httpx.get(
        f"{server.url}/functions/v1/cookies", headers=server.headers(), timeout=30
    )

    assert response.status_code == 200
    assert response.headers.get_list("set-cookie") == [
        "session=abc; Path=/; HttpOnly; Secure; SameSite=Lax",
        "theme=dark; Max-Age=3600; Partitioned",
        "empty=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ]
    assert response.headers.get_list("x-multi") == ["one, two"]
    assert response.text == "cookies"


def test_cpu_runaway_is_killed_and_the_next_call_cold_starts(anon, server):
    started = time.monotonic()
    with pytest.raises(FunctionsRelayError) as raised:
        anon.functions.invoke("runaway")
    elapsed = time.monotonic() - started

    assert raised.value.status == 504
    # Two seconds of wall clock, then a one-second probe the loop cannot answer.
    assert 2 < elapsed < 6
    assert anon.functions.invoke("runaway?ok", {"method": "GET"}) == b"ok"
    newest, timed_out = invocations(server, "runaway", 2)
    assert timed_out["error"] == "IDLE_TIMEOUT"
    assert (newest["status"], newest["cold_start"]) == (200, True)


def test_a_call_past_its_time_is_cut_alone_and_the_process_stays(server):
    url = f"{server.url}/functions/v1/sleepy"
    headers = server.headers()
    pid = httpx.get(url, headers=headers, timeout=30).json()["pid"]

    def sleep_long() -> tuple[httpx.Response, float]:
        started = time.monotonic()
        response = httpx.get(f"{url}?ms=10000", headers=headers, timeout=30)
        return response, time.monotonic() - started

    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(sleep_long)
        quick = httpx.get(f"{url}?ms=1000", headers=headers, timeout=30)
        timed_out, elapsed = slow.result()
    after = httpx.get(url, headers=headers, timeout=30)

    assert timed_out.status_code == 504
    assert timed_out.headers["x-relay-error"] == "true"
    assert timed_out.headers["sb-error-code"] == "IDLE_TIMEOUT"
    assert 2 <= elapsed < 4
    assert (quick.status_code, quick.json()["pid"]) == (200, pid)
    assert (after.status_code, after.json()["pid"]) == (200, pid)
    rows = invocations(server, "sleepy", 4)
    assert [row["cold_start"] for row in rows[:3]] == [False, False, False]
    [cut] = [row for row in rows if row["error"] == "IDLE_TIMEOUT"]
    # Its connection was closed, so the function's req.signal aborted.
    assert "sleepy: request aborted" in cut["output"]


def test_a_stream_that_keeps_sending_ends_at_the_wall_clock_limit(server):
    url = f"{server.url}/functions/v1/sleepy"
    headers = server.headers()
    pid = httpx.get(url, headers=headers, timeout=30).json()["pid"]
    started = time.monotonic()
    with httpx.stream("GET", f"{url}?stream", headers=headers, timeout=30) as events:
        ticks = [line for line in events.iter_lines() if line == "data: tick"]
    elapsed = time.monotonic() - started

    assert events.status_code == 200
    assert 2 <= elapsed < 4
    assert 5 <= len(ticks) <= 10
    assert httpx.get(url, headers=headers, timeout=30).json()["pid"] == pid


def test_crashed_function_is_a_relay_error(anon):
    with pytest.raises(FunctionsRelayError) as raised:
        anon.functions.invoke("crash")

    assert raised.value.status == 500


def test_function_failing_at_start_up_is_a_boot_error(anon, server):
    with pytest.raises(FunctionsRelayError) as raised:
        anon.functions.invoke("broken")

    assert raised.value.status == 503
    [row] = invocations(server, "broken", 1)
    assert row["error"] == "BOOT_ERROR"
    assert "broken at start-up" in row["output"]


def test_function_cannot_read_files_env_or_hosts_it_was_not_granted(anon):
    data = anon.functions.invoke("snoop", {"responseType": "json"})

    assert data == {
        "readProjectEnv": "NotCapable",
        "readEtc": "NotCapable",
        "readOwn": "allowed: granted\n",
        "envSecret": "NotCapable",
        "envHome": "NotCapable",
        "envAll": "NotCapable",
        "write": "NotCapable",
        "run": "NotCapable",
        "netOther": "NotCapable",
    }


def test_invocations_are_logged_with_status_memory_and_output(anon, server):
    anon.functions.invoke("echo/logged", {"method": "PUT", "body": "x"})

    rows = invocations(server, "echo", 1, path="/echo/logged")

    row = rows[0]
    assert (row["method"], row["path"], row["status"]) == ("PUT", "/echo/logged", 200)
    assert row["output"] == "echo PUT /echo/logged"
    assert row["memory_kb"] > 1000
    assert row["error"] == ""


def test_secret_change_restarts_the_function_with_the_new_value(server, anon):
    run_cli(server.project, "secrets", "set", "GREETING=changed")
    try:
        data = anon.functions.invoke("echo", {"responseType": "json"})
        assert data["env"]["GREETING"] == "changed"
    finally:
        run_cli(server.project, "secrets", "set", "GREETING=hello from a secret")


def descendants(pid: int) -> list[str]:
    """The command lines of every process below `pid`."""
    table = subprocess.run(
        ["ps", "-e", "-o", "pid=,ppid=,args="], capture_output=True, text=True
    ).stdout
    children: dict[int, list[tuple[int, str]]] = {}
    for line in table.splitlines():
        child, parent, args = line.strip().split(None, 2)
        children.setdefault(int(parent), []).append((int(child), args))
    found, stack = [], [pid]
    while stack:
        for child, args in children.get(stack.pop(), []):
            found.append(args)
            stack.append(child)
    return found


def test_server_without_functions_starts_no_deno(tmp_path):
    project = new_project(tmp_path)
    live = start_server(project)
    try:
        response = httpx.get(
            f"{live.url}/functions/v1/hello",
            headers={"Authorization": f"Bearer {live.anon_key}"},
        )
        assert response.status_code == 404
        assert response.text == "Function not found"
        processes = descendants(live.process.pid)
        assert processes, "the server has worker processes"
        assert not [args for args in processes if "deno" in args]
    finally:
        stop_server(live)


def test_function_over_its_memory_limit_is_stopped(anon, server):
    with pytest.raises(FunctionsRelayError) as raised:
        anon.functions.invoke("hog")

    assert raised.value.status == 546
    [row] = invocations(server, "hog", 1)
    assert row["error"] == "WORKER_LIMIT"


def test_large_request_body_streams_to_the_function(server):
    payload = bytes(range(256)) * (12 * 1024)  # 3 MiB

    def chunks():
        for start in range(0, len(payload), 65536):
            yield payload[start : start + 65536]

    response = httpx.post(
        f"{server.url}/functions/v1/binary",
        headers={
            "Authorization": f"Bearer {server.anon_key}",
            "Content-Length": str(len(payload)),
        },
        content=chunks(),
        timeout=30,
    )

    assert response.status_code == 200
    assert response.content == payload[::-1]


def test_python_invoke_is_the_path_jobs_take(server):
    code = (
        "import edge_functions\n"
        "result = edge_functions.invoke('echo', 'PUT', {'x-custom': 'job'}, b'payload')\n"
        "import json\n"
        "body = json.loads(result.body)\n"
        "print(json.dumps([result.status, body['method'], body['custom'],"
        " body['body'], body['authorization']]))\n"
    )

    output = run_cli(server.project, "shell", "-c", code).stdout

    assert output.strip().splitlines()[-1] == (
        f'[200, "PUT", "job", "payload", "Bearer {server.service_key}"]'
    )


def test_concurrency_limit_makes_calls_wait_their_turn(server):
    from concurrent.futures import ThreadPoolExecutor

    def call(_: int) -> tuple[int, float]:
        started = time.monotonic()
        response = httpx.post(
            f"{server.url}/functions/v1/slow",
            headers={"Authorization": f"Bearer {server.anon_key}"},
            timeout=30,
        )
        return response.status_code, time.monotonic() - started

    httpx.post(  # the cold start is not part of the measure
        f"{server.url}/functions/v1/slow",
        headers={"Authorization": f"Bearer {server.anon_key}"},
        timeout=30,
    )
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(call, range(2)))

    assert [status for status, _ in results] == [200, 200]
    # One at a time: the second call waited for the first one's 1.5 s.
    assert max(elapsed for _, elapsed in results) > 2.9


def test_server_log_holds_no_secret_key_or_token(anon, server):
    token = server.token(ALICE)
    client = create_client(server.url, server.anon_key)
    client.functions.set_auth(token)
    client.functions.invoke("echo", {"responseType": "json"})
    with pytest.raises(FunctionsRelayError):
        anon.functions.invoke("broken")

    log = server.log.read_text()

    assert "hello from a secret" not in log
    assert token not in log
    assert server.anon_key not in log
    assert server.service_key not in log
    assert "function.boot_failed" in log
