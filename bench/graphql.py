"""GraphQL vs REST: the same read through /graphql/v1 and /rest/v1.

A KoyaLite project with `lists` (50 rows) and `items` (5 per list, a foreign
key to lists); both requests return the 50 lists with their items, one
statement each:

- GraphQL: `{ listsCollection(first: 50) { edges { node { id name
  itemsCollection { edges { node { id label } } } } } } }`
- REST: `GET /rest/v1/lists?select=id,name,items(id,label)&limit=50`

wrk drives each in turn (`--runs` times) with `--connections` connections for
`--duration` seconds; prints median req/s, p50 and p99 and the GraphQL/REST
ratio of req/s.

    .venv/bin/python bench/graphql.py                    # 10 s x 2 runs each
    .venv/bin/python bench/graphql.py --duration 3 --runs 1
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import run_cli, start_server, stop_server  # noqa: E402

SCHEMA = """
create table lists (id integer primary key, name text not null);
create table items (
  id integer primary key,
  list_id integer not null references lists(id),
  label text not null
);
create index items_list on items (list_id);
insert into lists (id, name)
  with recursive n(v) as (select 1 union all select v + 1 from n where v < 50)
  select v, 'list ' || v from n;
insert into items (list_id, label)
  with recursive n(v) as (select 1 union all select v + 1 from n where v < 50)
  select l.v, 'item ' || i.v from n l, n i where i.v <= 5;
"""

QUERY = (
    "{ listsCollection(first: 50) { edges { node { id name"
    " itemsCollection { edges { node { id label } } } } } } }"
)
REST_PATH = "/rest/v1/lists?select=id,name,items(id,label)&limit=50"

_LATENCY = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, headers: dict[str, str], body: str | None, args) -> dict:
    script = Path(tempfile.mkdtemp()) / "request.lua"
    lines = [f'wrk.method = "{"POST" if body else "GET"}"']
    for name, value in headers.items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    if body:
        lines.append("wrk.body = " + json.dumps(body))
    script.write_text("\n".join(lines) + "\n")
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latency = {p: _ms(v, u) for p, v, u in _LATENCY.findall(output)}
    if len(latency) != 2:
        raise SystemExit(f"could not read wrk's latency distribution:\n{output}")
    if "Non-2xx" in output:
        raise SystemExit(f"wrk saw errors:\n{output}")
    return {
        "rps": float(_RPS.search(output).group(1)),
        "p50": latency["50"],
        "p99": latency["99"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (make bench installs it)")

    work = Path(tempfile.mkdtemp(prefix="koyalite-bench-graphql-"))
    project = work / "app"
    run_cli(project, "init", str(project))
    run_cli(project, "sql", "-f", "-", stdin=SCHEMA)
    server = start_server(project, env_extra={"KOYALITE_GRAPHQL_MAX_ROWS": "50"})
    try:
        headers = {
            "apikey": server.service_key,
            "Authorization": f"Bearer {server.service_key}",
            "Content-Type": "application/json",
        }
        body = json.dumps({"query": QUERY})
        graphql = httpx.post(
            f"{server.url}/graphql/v1", content=body, headers=headers
        ).json()
        rest = httpx.get(server.url + REST_PATH, headers=headers).json()
        edges = graphql["data"]["listsCollection"]["edges"]
        assert len(edges) == len(rest) == 50
        assert [len(e["node"]["itemsCollection"]["edges"]) for e in edges] == [
            len(r["items"]) for r in rest
        ]
        results: dict[str, list[dict]] = {"graphql": [], "rest": []}
        for run in range(args.runs):
            for name in ("graphql", "rest"):
                progress(f"run {run + 1}/{args.runs}: {name}")
                if name == "graphql":
                    results[name].append(
                        wrk(f"{server.url}/graphql/v1", headers, body, args)
                    )
                else:
                    results[name].append(
                        wrk(server.url + REST_PATH, headers, None, args)
                    )
                time.sleep(0.5)
    finally:
        stop_server(server)
        shutil.rmtree(work, ignore_errors=True)

    summary = {
        name: {
            key: statistics.median(r[key] for r in runs)
            for key in ("rps", "p50", "p99")
        }
        for name, runs in results.items()
    }
    print(f"{'':8} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for name, row in summary.items():
        print(f"{name:8} {row['rps']:9.0f} {row['p50']:8.2f} {row['p99']:8.2f}")
    print(
        f"GraphQL/REST req/s: {summary['graphql']['rps'] / summary['rest']['rps']:.2f}x"
    )


if __name__ == "__main__":
    main()
