"""Server time of the Studio grid's JSON endpoint on a 1,000,000-row table.

Builds a fresh project, fills `grid_bench` with one `INSERT ... SELECT` from a
recursive CTE through `koyalite sql`, then calls
`/studio/api/tables/grid_bench/rows` in-process (Django's test client, an
operator's session) and prints p50/p99 per scenario: page 1 and a deep page,
sorted by the primary key, by an indexed column and by an unindexed one. Each
response carries the exact count, so every figure includes a `count(*)`.

    .venv/bin/python bench/studio_grid.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KOYALITE = str(Path(sys.executable).parent / "koyalite")
SCHEMA = """
create table grid_bench (id integer primary key, score integer not null,
  label text not null, created_at text not null);
insert into grid_bench (score, label, created_at)
  with recursive n(i) as (select 1 union all select i + 1 from n where i < {rows})
  select (i * 7919) % 100000, 'row ' || ((i * 104729) % {rows}),
         '2026-01-01T00:00:00Z' from n;
create index grid_bench_score on grid_bench (score);
"""


def _env(project: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KOYALITE_", "DJANGO_"))
    }
    env["KOYALITE_PROJECT_DIR"] = str(project)
    return env


def build(project: Path, rows: int) -> float:
    subprocess.run([KOYALITE, "init", str(project)], env=_env(project), check=True,
                   capture_output=True)  # fmt: skip
    started = time.perf_counter()
    subprocess.run(
        [KOYALITE, "sql", "-f", "-"],
        input=SCHEMA.format(rows=rows),
        text=True,
        env=_env(project),
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def measure(client, url: str, repeat: int) -> list[float] | None:
    """Milliseconds per call; None when the grid's time limit stopped it."""
    if client.get(url).status_code == 504:  # also warms the caches
        return None
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content[:300]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    deep = args.rows // 50  # the last page, 50 rows a page

    with tempfile.TemporaryDirectory() as directory:
        project = Path(directory) / "app"
        built = build(project, args.rows)
        print(f"built {args.rows:,} rows in {built:.1f} s")

        os.environ.update(_env(project))
        os.environ["DJANGO_SETTINGS_MODULE"] = "koyalite.settings"
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        os.environ["KOYALITE_LOG_LEVEL"] = "warning"  # one line per request otherwise
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        import django

        django.setup()
        from django.test import Client

        from studio.models import Operator

        operator = Operator.objects.create_user("bench@example.com", "bench-pw-123456")
        client = Client()
        client.force_login(operator)
        base = "/studio/api/tables/grid_bench/rows"
        scenarios = [
            ("page 1, order by id (pk)", f"{base}?order=id.asc", args.repeat),
            (f"page {deep}, order by id (pk)", f"{base}?order=id.asc&page={deep}", args.repeat),
            ("page 1, order by score (indexed)", f"{base}?order=score.desc", args.repeat),
            (f"page {deep}, order by score (indexed)", f"{base}?order=score.desc&page={deep}", args.repeat),
            ("page 1, score=eq.4242 (indexed)", f"{base}?score=eq.4242", args.repeat),
            ("page 1, order by label (no index)", f"{base}?order=label.asc", 5),
            (f"page {deep}, order by label (no index)", f"{base}?order=label.asc&page={deep}", 5),
        ]  # fmt: skip
        print(f"{'scenario':<44} {'n':>3} {'p50 ms':>8} {'p99 ms':>8}")
        for name, url, repeat in scenarios:
            measured = measure(client, url, repeat)
            if measured is None:
                print(f"{name:<44} stopped by the grid's time limit (504, KL504)")
                continue
            times = sorted(measured)
            p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
            print(
                f"{name:<44} {repeat:>3} {statistics.median(times):>8.1f} {p99:>8.1f}"
            )


if __name__ == "__main__":
    main()
