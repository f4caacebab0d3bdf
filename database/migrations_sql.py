"""The project's `migrations/*.sql`: apply each file once, in name order.

Each file runs in its own transaction together with its `SqlMigration` row, so
a file is either applied and recorded or neither. A recorded file whose contents
changed stops everything before anything runs: the database no longer matches
the history, and the fix is a new migration.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from database.errors import SqlMigrationEdited, SqlMigrationFailed, SqlScriptError
from database.models import SqlMigration
from database.runner import run_statements, script_transaction


def sql_migration_files(directory: Path) -> list[Path]:
    """The `*.sql` files directly in `directory`, in name order."""
    if not directory.is_dir():
        return []
    return sorted(
        (path for path in directory.glob("*.sql") if path.is_file()),
        key=lambda path: path.name,
    )


def checksum(content: bytes) -> str:
    """sha256 hex of a migration, line endings normalised.

    A checkout that turns LF into CRLF (git's autocrlf) did not edit the file.
    """
    return hashlib.sha256(content.replace(b"\r\n", b"\n")).hexdigest()


def pending_sql_migrations(directory: Path) -> list[str]:
    """Names of the files in `directory` not applied yet, in the order they run."""
    applied = set(SqlMigration.objects.values_list("name", flat=True))
    return [p.name for p in sql_migration_files(directory) if p.name not in applied]


def apply_sql_migrations(
    directory: Path, *, on_progress: Callable[[str], None] | None = None
) -> list[str]:
    """Apply the pending files of `directory` in name order; return their names.

    `on_progress(name)` is called before each file runs. A failing file is rolled
    back and raises `SqlMigrationFailed`; the files before it stay applied and
    the ones after it are not tried.
    """
    files = [(path, path.read_bytes()) for path in sql_migration_files(directory)]
    applied = dict(SqlMigration.objects.values_list("name", "checksum"))
    for path, content in files:
        recorded = applied.get(path.name)
        if recorded is not None and recorded != checksum(content):
            raise SqlMigrationEdited(path.name)
    names: list[str] = []
    for path, content in files:
        if path.name in applied:
            continue
        if on_progress is not None:
            on_progress(path.name)
        if _apply(path.name, content):
            names.append(path.name)
    return names


def _apply(name: str, content: bytes) -> bool:
    """Run one file and record it; False when another process got there first."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SqlMigrationFailed(
            name, f"not valid UTF-8 (byte {error.start})"
        ) from error
    digest = checksum(content)
    try:
        with script_transaction(text) as cursor:
            # Checked inside the write transaction: two servers starting at once
            # must not both run the file.
            recorded = (
                SqlMigration.objects.filter(name=name)
                .values_list("checksum", flat=True)
                .first()
            )
            if recorded is not None:
                if recorded != digest:
                    raise SqlMigrationEdited(name)
                return False
            run_statements(cursor, text)
            SqlMigration.objects.create(name=name, checksum=digest)
    except SqlScriptError as error:
        raise SqlMigrationFailed(name, str(error)) from error
    return True
