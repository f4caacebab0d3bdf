"""`koyalite createsuperuser`: create a Studio and admin operator.

Django's command, for the operator table, with two additions for scripts:
`--password-stdin` reads the password from standard input (kept out of the
process list and shell history), and a password given without a prompt
(`--password-stdin` or DJANGO_SUPERUSER_PASSWORD) must pass the same
validators as one typed at the prompt.
"""

from __future__ import annotations

import os
import sys

from django.contrib.auth.management.commands import createsuperuser
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from studio.passwords import validate_operator_password

# The prompt's check calls this module-level name; operators are judged by
# their own validators, not the app users' (AUTH_PASSWORD_VALIDATORS).
createsuperuser.validate_password = validate_operator_password


class Command(createsuperuser.Command):
    help = "Create an operator of the Studio and the admin (not an app user)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from standard input (implies --noinput)",
        )

    def handle(self, *args, **options):
        if options.pop("password_stdin"):
            password = sys.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("no password on standard input")
            os.environ["DJANGO_SUPERUSER_PASSWORD"] = password
            options["interactive"] = False
        if not options["interactive"]:
            self._validate_given_password(options)
        super().handle(*args, **options)
        if options["verbosity"] >= 1 and not options["interactive"]:
            self.stdout.write("Sign in at /studio/ (and /admin/) on the served URL.")

    def _validate_given_password(self, options) -> None:
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        if not password:
            raise CommandError(
                "a password is required: pipe it to --password-stdin or set "
                "DJANGO_SUPERUSER_PASSWORD"
            )
        email = options.get("email") or os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
        operator = self.UserModel(email=email)
        try:
            validate_operator_password(password, operator)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
