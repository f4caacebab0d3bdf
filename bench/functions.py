"""Edge functions: the relay's overhead, cold starts and tail latency.

A KoyaLite project with one small function (`Response.json`), served by
`koyalite serve --workers 1 --threads 16`, against the same function on the
same bootstrap in a Deno process this script starts itself (no KoyaLite in
between). Measures:

- **overhead**: sequential calls on one keep-alive connection, median and
  p99 through `/functions/v1/hello` vs direct, and their ratio;
- **cold start**: the first call of a function never called before (a new
  Deno process), over `--cold` fresh functions;
- **concurrency**: `--concurrency` callers at once, p50/p99 and calls/s,
  through KoyaLite and direct.

    .venv/bin/python bench/functions.py
    .venv/bin/python bench/functions.py --calls 300 --cold 3   # a quick look
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
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
KOYALITE = str(Path(sys.executable).with_name("koyalite"))
BOOTSTRAP = ROOT / "edge_functions" / "runtime" / "bootstrap.js"
SOURCE = 'Deno.serve(() => Response.json({ message: "Hello" }));\n'


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not start")


def sequential(url: str, headers: dict[str, str], calls: int) -> list[float]:
    times = []
    with httpx.Client(headers=headers, timeout=30) as client:
        for _ in range(20):
            client.post(url)
        for _ in range(calls):
            started = time.perf_counter()
            response = client.post(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text
    return times


def concurrent(
    url: str, headers: dict[str, str], callers: int, calls: int
) -> tuple[list[float], float]:
    def caller(_: int) -> list[float]:
        times = []
        with httpx.Client(headers=headers, timeout=30) as client:
            for _ in range(calls // callers):
                started = time.perf_counter()
                response = client.post(url)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
        return times

    started = time.perf_counter()
    with ThreadPoolExecutor(callers) as pool:
        results = list(pool.map(caller, range(callers)))
    elapsed = time.perf_counter() - started
    times = [t for result in results for t in result]
    return times, len(times) / elapsed


def summary(times: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(times), 3),
        "p99_ms": round(percentile(times, 0.99), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--cold", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="koyalite-bench-functions-"))
    project = workdir / "app"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KOYALITE_")}
    env["KOYALITE_PROJECT_DIR"] = str(project)
    subprocess.run(
        [KOYALITE, "init", str(project)], check=True, env=env, capture_output=True
    )
    for name in ["hello", *(f"cold{i}" for i in range(args.cold))]:
        (project / "functions" / name).mkdir()
        (project / "functions" / name / "index.ts").write_text(SOURCE)
    port = free_port()
    env["KOYALITE_API_URL"] = f"http://127.0.0.1:{port}"
    # The bench measures the relay, not the log's writes.
    env["KOYALITE_REQUEST_LOG_ROWS"] = "0"
    server = subprocess.Popen(
        [
            KOYALITE,
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            "--threads",
            "16",
            "--no-worker",
        ],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    direct_port = free_port()
    deno = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deno",
            "run",
            "--allow-net",
            f"--allow-read={project}",
            "--no-config",
            str(BOOTSTRAP),
            str(direct_port),
            (project / "functions" / "hello" / "index.ts").as_uri(),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/health", server)
        wait_for(f"http://127.0.0.1:{direct_port}/", deno)
        keys = json.loads(
            subprocess.run(
                [KOYALITE, "keys", "--json"],
                env=env,
                cwd=project,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        headers = {"Authorization": f"Bearer {keys['anon_key']}"}
        relay_url = base + "/functions/v1/hello"
        direct_url = f"http://127.0.0.1:{direct_port}/hello"

        progress("cold starts")
        cold = []
        for i in range(args.cold):
            started = time.perf_counter()
            response = httpx.post(
                f"{base}/functions/v1/cold{i}", headers=headers, timeout=60
            )
            cold.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.text

        progress(f"{args.calls} sequential calls, each way")
        relay = sequential(relay_url, headers, args.calls)
        direct = sequential(direct_url, headers, args.calls)

        progress(f"{args.calls} calls from {args.concurrency} callers, each way")
        relay_c, relay_rps = concurrent(
            relay_url, headers, args.concurrency, args.calls
        )
        direct_c, direct_rps = concurrent(
            direct_url, headers, args.concurrency, args.calls
        )

        result = {
            "sequential": {
                "koyalite": summary(relay),
                "direct": summary(direct),
                "overhead_ms": round(
                    statistics.median(relay) - statistics.median(direct), 3
                ),
                "ratio": round(statistics.median(relay) / statistics.median(direct), 2),
            },
            "cold_start_ms": {
                "median": round(statistics.median(cold), 1),
                "max": round(max(cold), 1),
            },
            f"concurrent_{args.concurrency}": {
                "koyalite": {**summary(relay_c), "calls_per_s": round(relay_rps)},
                "direct": {**summary(direct_c), "calls_per_s": round(direct_rps)},
            },
        }
        print(json.dumps(result, indent=2))
    finally:
        server.terminate()
        deno.terminate()
        server.wait(timeout=20)
        deno.wait(timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
