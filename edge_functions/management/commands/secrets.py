"""`koyalite secrets set NAME=value… | list | unset NAME…`: the environment
variables every function gets, stored encrypted."""

from __future__ import annotations

import hashlib

from edge_functions.errors import InvalidSecret
from koyalite.commands import KoyaCommand


class Command(KoyaCommand):
    help = "Set, list and unset the secrets functions read as environment variables."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        set_ = commands.add_parser("set", help="set NAME=value (several at once)")
        set_.add_argument("pairs", nargs="+", metavar="NAME=value")
        commands.add_parser("list", help="print each name and its value's SHA-256")
        unset = commands.add_parser("unset", help="delete secrets")
        unset.add_argument("names", nargs="+", metavar="NAME")

    def handle(self, *args, action: str, **options):
        from edge_functions import secrets

        if action == "set":
            values = {}
            for pair in options["pairs"]:
                name, separator, value = pair.partition("=")
                if not separator:
                    raise InvalidSecret(f"{pair!r} is not NAME=value")
                values[name] = value
            secrets.set_secrets(values)
            self.stdout.write(f"Set {', '.join(values)}.")
        elif action == "unset":
            missing = secrets.unset_secrets(options["names"])
            if missing:
                raise InvalidSecret(f"no secret named {', '.join(missing)}")
            self.stdout.write(f"Unset {', '.join(options['names'])}.")
        else:
            # The digest tells two values apart without showing either.
            for name, value in sorted(secrets.secret_values().items()):
                digest = hashlib.sha256(value.encode()).hexdigest()
                self.stdout.write(f"{name}\t{digest}")
