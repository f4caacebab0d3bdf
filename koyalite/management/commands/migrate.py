"""`koyalite migrate`: Django's migrations, then the project's migrations/*.sql.

Replaces Django's `migrate` (this app is listed first in INSTALLED_APPS) so that
one command brings both KoyaLite's own tables and the user's schema up to date.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import migrate as django_migrate

from koyalite.errors import KoyaError


class Command(django_migrate.Command):
    help = "Apply KoyaLite's migrations and then the project's migrations/*.sql files."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--skip-sql",
            action="store_true",
            help="apply only KoyaLite's own migrations, not migrations/*.sql",
        )

    def handle(self, *args, **options):
        from database.migrations_sql import apply_sql_migrations
        from studio.upgrade import detach_apps_from_app_users

        detach_apps_from_app_users()
        super().handle(*args, **options)
        if options.get("skip_sql"):
            return
        directory = settings.PROJECT_DIR / "migrations"
        if not directory.is_dir():
            return
        verbosity = options["verbosity"]

        def progress(name: str) -> None:
            if verbosity:
                self.stdout.write(f"  Applying {name}...")

        try:
            applied = apply_sql_migrations(directory, on_progress=progress)
        except KoyaError as error:
            raise CommandError(str(error), returncode=error.exit_code) from error
        if verbosity:
            if applied:
                self.stdout.write(f"Applied {len(applied)} SQL migration(s).")
            else:
                self.stdout.write("No SQL migrations to apply.")
