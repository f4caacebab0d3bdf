"""The base of KoyaLite's management commands.

User mistakes surface as `CommandError` carrying the error's exit code, so that
`manage.py <cmd>` prints one line and `koyalite <cmd>` (koyalite/cli.py) prints
`koyalite: <message>`; neither shows a traceback unless asked to.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from koyalite.errors import KoyaError


class KoyaCommand(BaseCommand):
    requires_system_checks: list = []  # commands that serve run them explicitly

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except KoyaError as error:
            raise CommandError(str(error), returncode=error.exit_code) from error


def bring_database_up_to_date() -> None:
    """Apply KoyaLite's own (Django) migrations quietly.

    Every command that touches the database calls this first, so `koyalite sql`
    works on a project that has never been served.
    """
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command(
            "migrate", verbosity=0, interactive=False, skip_sql=True, skip_checks=True
        )


def run_checks_or_fail() -> None:
    """Run the system checks; the first error stops start-up with one line."""
    from django.core import checks

    from koyalite.errors import ConfigurationError

    errors = [m for m in checks.run_checks() if m.is_serious() and not m.is_silenced()]
    if errors:
        first = errors[0]
        message = first.msg + (f" {first.hint}" if first.hint else "")
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more problem(s))"
        raise ConfigurationError(message)
