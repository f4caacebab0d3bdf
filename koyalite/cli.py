"""The `koyalite` console script: Django management commands with friendly errors.

`koyalite <command>` runs the same command as `manage.py <command>`, but a user
mistake prints `koyalite: <message>` on stderr and exits non-zero without a
traceback (add `--traceback` to see one).
"""

from __future__ import annotations

import os
import sys

USAGE = """\
usage: koyalite <command> [options]

commands:
  init DIR            create a project in a new or empty directory
  serve [--dev]       apply migrations and serve the API (127.0.0.1:8000);
                      --dev restarts a function whose files change
  sql -f FILE|-       run SQL as the service role, in one transaction
  migrate             apply KoyaLite's and the project's migrations/*.sql
  worker              run background jobs (serve starts one unless --no-worker)
  keys [--json]       print the API URL and keys
  functions new NAME | deploy [NAME] | list
                      scaffold, type-check and bundle edge functions
  secrets set K=V | list | unset K
                      the secrets functions read as environment variables
  createsuperuser     create a Studio/admin operator (--email, --password-stdin)

Any other Django management command works too (e.g. shell, dbshell).
Run `koyalite <command> --help` for a command's options.
"""


# Commands that never read the project's tables; every other one (Django's
# own included) first brings KoyaLite's tables up to date, so it works on a
# project that has never been served.
COMMANDS_WITHOUT_DATABASE = frozenset(
    {
        "init",
        "migrate",
        "check",
        "makemigrations",
        "showmigrations",
        "sqlmigrate",
        "squashmigrations",
        "collectstatic",
        "findstatic",
        "diffsettings",
        "startapp",
        "startproject",
        "version",
    }
)


def _fail(message: str, code: int) -> int:
    print(f"koyalite: {message}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koyalite.settings")
    if len(argv) < 2 or argv[1] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0 if len(argv) >= 2 else 2
    show_traceback = "--traceback" in argv

    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import get_commands, load_command_class
    from django.core.management.base import CommandError, handle_default_options

    try:
        django.setup()
    except ImproperlyConfigured as error:
        if show_traceback:
            raise
        return _fail(str(error), 2)

    name = argv[1]
    commands = get_commands()
    if name not in commands:
        return _fail(f"unknown command {name!r}; run `koyalite --help`", 2)
    if name not in COMMANDS_WITHOUT_DATABASE:
        from koyalite.commands import bring_database_up_to_date

        try:
            bring_database_up_to_date()
        except Exception as error:
            if show_traceback:
                raise
            return _fail(
                f"could not bring the database up to date ({error}); "
                "run `koyalite migrate` to see why",
                2,
            )
    command = load_command_class(commands[name], name)
    # Django's parser raises CommandError (a traceback here) unless it knows it
    # serves a command line; then argparse prints usage and exits 2.
    command._called_from_command_line = True
    parser = command.create_parser("koyalite", name)
    options = parser.parse_args(argv[2:])
    cmd_options = vars(options)
    args = cmd_options.pop("args", ())
    handle_default_options(options)
    try:
        command.execute(*args, **cmd_options)
    except CommandError as error:
        if show_traceback:
            raise
        return _fail(str(error), error.returncode)
    except ImproperlyConfigured as error:
        if show_traceback:
            raise
        return _fail(str(error), 2)
    except KeyboardInterrupt:
        return 130
    return 0


def entrypoint() -> None:
    sys.exit(main())
