"""Webhook delivery: outbox-to-receiver latency and deliveries per second.

A KoyaLite project with one table and a webhook (Supabase's trigger SQL) to a
receiver in this process on 127.0.0.1; `koyalite serve` with its worker (ORM
broker on the project's SQLite). Two loads:

- **paced**: `--paced` single-row inserts through `/rest/v1`, `--rate` a
  second, as an app makes them; latency is from the insert's response (the
  change has committed) to the receiver getting its delivery.
- **burst**: one `koyalite sql` statement inserting `--rows` rows at once;
  latency from the statement's start to each delivery, and deliveries/s from
  the statement's start to the last delivery.

    .venv/bin/python bench/webhooks.py                  # 10,000-row burst
    .venv/bin/python bench/webhooks.py --rows 2000      # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

KOYALITE = str(Path(sys.executable).with_name("koyalite"))


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class _Server(ThreadingHTTPServer):
    # The worker opens many connections at once; the default backlog of 5
    # drops SYNs, which come back a second later and would be measured.
    request_queue_size = 256
    daemon_threads = True


class Receiver:
    """Records when each row's delivery arrived, by the row's `seq`."""

    def __init__(self) -> None:
        self.arrived: dict[tuple[str, int], float] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                now = time.monotonic()
                record = json.loads(body)["record"]
                with receiver.lock:
                    receiver.arrived.setdefault((record["load"], record["seq"]), now)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def wait(self, load: str, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = -1
        while time.monotonic() < deadline:
            with self.lock:
                done = sum(1 for key in self.arrived if key[0] == load)
            if done >= count:
                return
            if done // 1000 != last // 1000:
                progress(f"{load}: {done}/{count} delivered")
                last = done
            time.sleep(0.05)
        raise SystemExit(f"bench: {load} deliveries incomplete after {timeout} s")


def run(args: argparse.Namespace, work: Path) -> dict[str, float]:
    project = work / "app"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOYALITE_")}
    env["KOYALITE_PROJECT_DIR"] = str(project)
    subprocess.run([KOYALITE, "init", str(project)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    with (project / ".env").open("a") as dotenv:
        dotenv.write(
            "\nKOYALITE_WEBHOOKS_ALLOW_PRIVATE=true\nKOYALITE_LOG_LEVEL=warning\n"
            f"KOYALITE_WORKER_TICK_MS={args.tick_ms}\n"
        )
    receiver = Receiver()

    def sql(text: str) -> None:
        subprocess.run([KOYALITE, "sql", "-f", "-"], input=text, text=True, env=env,
                       check=True, capture_output=True)  # fmt: skip

    sql(
        "create table events (id integer primary key, load text, seq integer);\n"
        'create trigger "bench" after insert on "public"."events" for each row '
        'execute function "supabase_functions"."http_request"('
        f"'{receiver.url}', 'POST', '{{}}', '{{}}', '5000');"
    )
    keys = json.loads(subprocess.run([KOYALITE, "keys", "--json"], env=env, check=True,
                                     capture_output=True, text=True).stdout)  # fmt: skip
    port = _free_port()
    log = (project / "server.log").open("w")
    server = subprocess.Popen(
        [KOYALITE, "serve", "--port", str(port)], env=env, stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_up(url)
        headers = {
            "apikey": keys["service_role_key"],
            "Authorization": f"Bearer {keys['service_role_key']}",
            "Prefer": "return=minimal",
        }
        progress(f"paced: {args.paced} inserts, {args.rate} a second")
        committed: dict[int, float] = {}
        with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
            # The worker starts beside the server: measure it once it runs.
            for seq in range(10):
                client.post("/rest/v1/events", json={"load": "warm-up", "seq": seq})
            receiver.wait("warm-up", 10, timeout=60)
            started = time.monotonic()
            for seq in range(args.paced):
                time.sleep(max(0.0, started + seq / args.rate - time.monotonic()))
                client.post(
                    "/rest/v1/events", json={"load": "paced", "seq": seq}
                ).raise_for_status()
                committed[seq] = time.monotonic()
        receiver.wait("paced", args.paced, timeout=600)
        paced = sorted(
            (receiver.arrived[("paced", seq)] - at) * 1000
            for seq, at in committed.items()
        )
        progress(f"burst: one statement inserting {args.rows} rows")
        burst_started = time.monotonic()
        sql(
            "with recursive s(v) as (select 0 union all select v + 1 from s "
            f"where v < {args.rows - 1}) "
            "insert into events (load, seq) select 'burst', v from s;"
        )
        committed_at = time.monotonic()
        receiver.wait("burst", args.rows, timeout=900)
        # From the statement's start: its commit is part of the wait.
        burst = sorted(
            (t - burst_started) * 1000
            for (load, _), t in receiver.arrived.items()
            if load == "burst"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    return {
        "paced_p50": statistics.median(paced),
        "paced_p99": _p99(paced),
        "burst_p50": statistics.median(burst),
        "burst_p99": _p99(burst),
        "burst_per_s": args.rows / (burst[-1] / 1000),
        "burst_commit_s": committed_at - burst_started,
    }


def _p99(ordered: list[float]) -> float:
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("bench: koyalite serve did not start")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--paced", type=int, default=1000, help="paced inserts")
    parser.add_argument("--rate", type=float, default=50, help="paced inserts/s")
    parser.add_argument(
        "--tick-ms", type=int, default=200, help="KOYALITE_WORKER_TICK_MS"
    )
    parser.add_argument("--keep-workdir", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-webhooks-"))
    result = run(args, work)
    if not args.keep_workdir:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"webhooks, {args.rows} rows, ORM broker, tick {args.tick_ms} ms\n"
        f"  paced ({args.paced} inserts, {args.rate:g}/s): latency "
        f"p50 {result['paced_p50']:.0f} ms, p99 {result['paced_p99']:.0f} ms\n"
        f"  burst ({args.rows} rows in one statement, committed in "
        f"{result['burst_commit_s']:.1f} s): latency p50 {result['burst_p50']:.0f} ms, "
        f"p99 {result['burst_p99']:.0f} ms; {result['burst_per_s']:.0f} deliveries/s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
