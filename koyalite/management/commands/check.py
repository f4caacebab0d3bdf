"""`koyalite check`: Django's system checks, the first error as one line, as
`koyalite serve` reports it before serving."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.core.management.commands import check

from koyalite.commands import run_checks_or_fail
from koyalite.errors import KoyaError


class Command(check.Command):
    def handle(self, *app_labels, **options):
        if not options["list_tags"]:
            try:
                run_checks_or_fail()
            except KoyaError as error:
                raise CommandError(str(error), returncode=error.exit_code) from error
        return super().handle(*app_labels, **options)
