"""`koyalite init DIR`: scaffold a new project."""

from __future__ import annotations

import secrets
from pathlib import Path

from koyalite.commands import KoyaCommand
from koyalite.errors import ProjectError

ENV_TEMPLATE = """\
# KoyaLite project settings. Keep this file secret: it holds the key that signs
# every API key and access token. See the README for all settings.
KOYALITE_JWT_SECRET={secret}
# DATABASE_URL=sqlite:///koyalite.sqlite3
# KOYALITE_API_URL=http://127.0.0.1:8000
# KOYALITE_LOG_LEVEL=info
"""

GITIGNORE = """\
.env
*.sqlite3
*.sqlite3-*
*.sqlite3.write-lock
/cache/
"""


class Command(KoyaCommand):
    help = "Create a KoyaLite project in DIR (new or empty)."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="where to create the project")

    def handle(self, *args, directory: str, **options):
        target = Path(directory)
        if target.exists() and not target.is_dir():
            raise ProjectError(f"{directory} exists and is not a directory")
        if target.is_dir() and any(target.iterdir()):
            raise ProjectError(
                f"{directory} is not empty; choose a new or empty directory"
            )
        target.mkdir(parents=True, exist_ok=True)
        (target / "migrations").mkdir()
        (target / "functions").mkdir()
        (target / "migrations" / ".gitkeep").touch()
        (target / "functions" / ".gitkeep").touch()
        env_file = target / ".env"
        env_file.write_text(ENV_TEMPLATE.format(secret=secrets.token_hex(32)))
        env_file.chmod(0o600)
        (target / ".gitignore").write_text(GITIGNORE)
        self.stdout.write(
            f"Created a KoyaLite project in {target}.\n"
            f"Next: cd {directory} && koyalite sql -f schema.sql && koyalite serve\n"
            "Create a Studio operator: koyalite createsuperuser\n"
            "The Studio: http://127.0.0.1:8000/studio/ once served"
        )
