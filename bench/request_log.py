"""What the Studio's request log costs: `/rest/v1` GET throughput with it on
and off, on the same data, concurrency and wrk scenario as bench/run.py.

    python bench/request_log.py [--duration 8] [--runs 3] [--rows-per-user 10000]

One project is seeded once (as run.py seeds KoyaLite) by a server that then
stops; two fresh `koyalite serve` processes share it, one with the log on (the
default 10,000 rows) and one with `KOYALITE_REQUEST_LOG_ROWS=0`. Runs alternate on, off, on, off, ... so drift
hits both alike; only one server is under load at a time. Prints the median
req/s and p50/p99 of each and the on/off ratio (the goal: at most 5 % fewer).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import shutil
import statistics
import sys
from pathlib import Path

import dataset as dataset_module
from run import WORK_ROOT, parse_args, progress, run_scenario
from targets import KoyaLite, Server, _clean_env, free_port

SCENARIO = "get"


def start_twin(seeded: KoyaLite, name: str, log_rows: str, workdir: Path) -> KoyaLite:
    """A fresh server on `seeded`'s project and users, its log set to `log_rows`.

    Both measured servers are started this way after the seeding server has
    stopped: a process that took 20,000 inserts carries a bigger heap, and in
    an A/A run it served ~7 % fewer requests than its fresh twin.
    """
    twin = copy.copy(seeded)
    twin.name = name
    port = free_port()
    twin.base_url = f"http://127.0.0.1:{port}"
    twin.server = Server(
        name,
        [seeded.binary, "serve", "--host", "127.0.0.1", "--port", str(port)]
        + seeded.serve_args,
        cwd=seeded.project,
        env=_clean_env(
            KOYALITE_PROJECT_DIR=str(seeded.project),
            KOYALITE_REQUEST_LOG_ROWS=log_rows,
        ),
        log=workdir / f"{name}.log",
    )
    twin.server.wait_ready(twin.base_url + "/health", deadline_s=120)
    return twin


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows-per-user", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--control",
        action="store_true",
        help="A/A run: the log off on both servers, to see the noise and the "
        "bias of running first",
    )
    own = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    args = parse_args(
        [
            "--targets", "koyalite", "--only", SCENARIO,
            "--duration", str(own.duration), "--runs", str(own.runs),
            "--rows-per-user", str(own.rows_per_user),
            "--connections", str(own.connections),
        ]
    )  # fmt: skip
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir = WORK_ROOT / f"request-log-{stamp}"
    workdir.mkdir(parents=True, exist_ok=True)
    seeder = KoyaLite(args.koyalite_auth)
    seeder.name = "koyalite-seed"
    on_rows = "0" if own.control else "10000"
    servers: list[KoyaLite] = []
    try:
        data = dataset_module.build(args.seed, args.users, args.rows_per_user)
        seeder.start(workdir, progress)
        seeder.seed(data, progress)
        seeder.verify_rules(data)
        seeder.stop()
        servers.append(start_twin(seeder, "koyalite-log-on", on_rows, workdir))
        servers.append(start_twin(seeder, "koyalite-log-off", "0", workdir))
        outcome = run_scenario(SCENARIO, servers, data, args, workdir)
    finally:
        seeder.stop()
        for target in servers:
            target.stop()
    medians = {name: t["median"] for name, t in outcome["targets"].items()}
    # Requests per second of server CPU: the machine is shared, and what other
    # processes take moves req/s far more than the log does.
    per_cpu = {
        name: statistics.median(
            run["rps"] / max(run["cpu"]["server_cores"], 0.01) for run in t["runs"]
        )
        for name, t in outcome["targets"].items()
    }
    print(f"\n/rest/v1 GET one row ({SCENARIO}), {args.connections} connections, "
          f"{args.runs} x {args.duration}s runs each, median:")  # fmt: skip
    for name, median in medians.items():
        print(
            f"  {name:18} {median['rps']:9,.0f} req/s  p50 {median['p50_ms']:.2f} ms"
            f"  p99 {median['p99_ms']:.2f} ms  {per_cpu[name]:7,.0f} req per CPU-s"
        )
    ratio = medians["koyalite-log-on"]["rps"] / medians["koyalite-log-off"]["rps"]
    print(f"  log on / log off: {ratio:.3f} ({(1 - ratio) * 100:+.1f} % drop)")
    cpu_ratio = per_cpu["koyalite-log-on"] / per_cpu["koyalite-log-off"]
    print(
        f"  per CPU-second, on / off: {cpu_ratio:.3f} "
        f"({(1 - cpu_ratio) * 100:+.1f} % drop)"
    )
    # Each "on" run is paired with the "off" run right after it: the median of
    # those ratios follows the log, not the drift of a shared machine.
    pairs = sorted(
        on["rps"] / off["rps"]
        for on, off in zip(
            outcome["targets"]["koyalite-log-on"]["runs"],
            outcome["targets"]["koyalite-log-off"]["runs"],
            strict=True,
        )
    )
    if len(pairs) >= 4:
        low, middle, high = statistics.quantiles(pairs, n=4)
        print(
            f"  paired runs, on / off: median {middle:.3f} "
            f"({(1 - middle) * 100:+.1f} % drop), quartiles {low:.3f}-{high:.3f}"
        )
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
