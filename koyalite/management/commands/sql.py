"""`koyalite sql -f FILE|-`: run a SQL script as the service role."""

from __future__ import annotations

import sys
from pathlib import Path

from koyalite.commands import KoyaCommand, bring_database_up_to_date
from koyalite.errors import ProjectError


class Command(KoyaCommand):
    help = (
        "Run SQL (many statements, Postgres-style DDL and policies allowed) as the "
        "service role, in one transaction: any error rolls everything back."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "-f",
            "--file",
            required=True,
            help="a .sql file, or - to read standard input",
        )

    def handle(self, *args, file: str, **options):
        from database.runner import run_sql

        if file == "-":
            text = sys.stdin.read()
        else:
            path = Path(file)
            if not path.is_file():
                raise ProjectError(f"{file}: no such file")
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise ProjectError(f"{file}: not UTF-8 text") from None
        bring_database_up_to_date()
        for result in run_sql(text):
            self.stdout.write(result.status)
            if result.columns:
                self._print_rows(result.columns, result.rows)

    def _print_rows(self, columns, rows) -> None:
        cells = [[("NULL" if v is None else str(v)) for v in row] for row in rows]
        widths = [
            max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)
        ]
        self.stdout.write(" | ".join(c.ljust(w) for c, w in zip(columns, widths)))
        self.stdout.write("-+-".join("-" * w for w in widths))
        for row in cells:
            self.stdout.write(" | ".join(v.ljust(w) for v, w in zip(row, widths)))
        self.stdout.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
