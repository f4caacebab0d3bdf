"""`koyalite worker`: run background jobs (webhook deliveries, ...)."""

from __future__ import annotations

from koyalite.commands import KoyaCommand, run_checks_or_fail


class Command(KoyaCommand):
    help = "Run KoyaLite's background jobs until stopped (SIGTERM or Ctrl-C)."

    def add_arguments(self, parser):
        # Given by `koyalite serve` to the worker it starts: stop with it.
        parser.add_argument("--parent-pid", type=int, default=None, help=None)

    def handle(self, *args, parent_pid: int | None, **options):
        from koyalite import worker

        run_checks_or_fail()
        self.stdout.write("KoyaLite worker running (Ctrl-C to stop)", ending="\n")
        self.stdout.flush()
        worker.run(parent_pid=parent_pid)
