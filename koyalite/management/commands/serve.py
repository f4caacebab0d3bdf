"""`koyalite serve`: check settings, migrate, warn about open tables and views,
serve."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command

from koyalite.commands import KoyaCommand, run_checks_or_fail
from koyalite.logging import get_logger

log = get_logger("koyalite.serve")


class Command(KoyaCommand):
    help = "Apply migrations and serve KoyaLite's HTTP API."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="server processes (KOYALITE_WORKERS)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="threads per process (KOYALITE_THREADS)",
        )
        parser.add_argument(
            "--dev",
            action="store_true",
            help="restart a function's Deno when one of its files changes",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="do not start a background worker (run `koyalite worker` elsewhere)",
        )

    def handle(self, *args, host: str, port: int, **options):
        from studio.checks import check_static_files_built

        run_checks_or_fail()
        check_static_files_built()
        call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
        self._warn_about_tables_without_rls()
        self._warn_about_views_bypassing_rls()
        workers = options["workers"] or settings.SERVE_WORKERS
        threads = options["threads"] or settings.SERVE_THREADS
        # Worker processes import settings afresh: pin them to this project.
        os.environ["KOYALITE_PROJECT_DIR"] = str(settings.PROJECT_DIR)
        if options["dev"]:
            # Workers may be forked with these settings or import them afresh.
            os.environ["KOYALITE_FUNCTIONS_HOT_RELOAD"] = "true"
            settings.FUNCTIONS_HOT_RELOAD = True
        log.info(
            "server.starting", host=host, port=port, workers=workers, threads=threads
        )
        self.stdout.write(
            f"KoyaLite is serving on http://{host}:{port}\n"
            f"Studio: http://{host}:{port}/studio/\n" + self._operator_hint(),
            ending="\n",
        )
        self.stdout.flush()

        from granian import Granian
        from granian.constants import Interfaces

        worker = None if options["no_worker"] else self._start_worker()
        try:
            Granian(
                "koyalite.wsgi:application",
                address=host,
                port=port,
                interface=Interfaces.WSGI,
                workers=workers,
                blocking_threads=threads,
                log_access=False,
                respawn_failed_workers=True,
            ).serve()
        finally:
            if worker is not None:
                worker.terminate()
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()

    def _start_worker(self) -> subprocess.Popen:
        """`koyalite worker` beside the server, ended with it (it also ends
        itself when this process is gone, killed without a chance to say so)."""
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "koyalite",
                "worker",
                "--parent-pid",
                str(os.getpid()),
            ]
        )

    def _operator_hint(self) -> str:
        from studio.models import Operator

        if Operator.objects.exists():
            return ""
        return "No operator can sign in yet: run `koyalite createsuperuser`.\n"

    def _warn_about_tables_without_rls(self) -> None:
        from django.db import connection

        from database.schema import get_schema
        from rls.services import tables_without_rls

        with connection.cursor() as cursor:
            schema = get_schema(cursor)
        for table in tables_without_rls(schema):
            log.warning(
                "table.rls_disabled",
                table=table,
                message=(
                    f"table '{table}' has no row-level security: anyone with the anon key "
                    f"can read and write it. Run: alter table {table} enable row level security;"
                ),
            )

    def _warn_about_views_bypassing_rls(self) -> None:
        from django.db import connection

        from database.schema import get_schema
        from rls.services import views_bypassing_rls

        with connection.cursor() as cursor:
            schema = get_schema(cursor)
        for view, tables in views_bypassing_rls(schema, connection.connection):
            log.warning(
                "view.security_definer",
                view=view,
                tables=tables,
                message=(
                    f"view '{view}' bypasses the row-level security of "
                    f"{', '.join(tables)}: anyone who can read the view sees every "
                    f"row. Run: alter view {view} set (security_invoker = true);"
                ),
            )
