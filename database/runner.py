"""Run a SQL script as the service role, every statement in one transaction.

Used by `koyalite sql`, the Studio's SQL editor and `migrations/*.sql`. Each
statement is split off, translated (`database.sqlscript`), then either handed to
`rls` (policy statements) or executed on Django's default connection. The first
failure rolls the whole script back and raises `SqlScriptError` naming the
statement and its line. While user SQL runs, a SQLite authorizer refuses writes
to KoyaLite's own tables, whatever form the statement takes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper

from database import outbox
from database.errors import InternalTableAccess, SqlScriptError, SqlTimeLimitExceeded
from database.executor import write_lock
from database.rebuild import change_column_type
from database.schema import (
    SchemaCache,
    is_internal_table,
    read_schema,
    schema_version,
    system_table_named,
)
from database.sql import quote_ident
from database.sqlscript import (
    ColumnTypeChange,
    Statement,
    Translation,
    changes_column_type,
    split_statements,
    translate_statement,
)
from database.sqlscript.cron import CronCall
from database.sqlscript.view_options import ViewSecurity, with_security_invoker
from database.timelimit import deadline
from database.views import check_security_invoker
from koyalite.errors import KoyaError


@dataclass(frozen=True, slots=True)
class StatementResult:
    number: int
    line: int
    status: str  # "CREATE TABLE", "INSERT 3", "SELECT 2", "GRANT (skipped)", ...
    columns: tuple[str, ...] = ()  # for statements that return rows
    # Values as Django's SQLite connection returns them: columns declared date,
    # time or timestamp arrive as `datetime` objects, everything else as stored.
    rows: tuple[tuple[object, ...], ...] = ()
    skipped: bool = False


def run_sql(text: str, *, time_limit_ms: int | None = None) -> list[StatementResult]:
    """Run a script as the service role in one transaction; all or nothing.

    With `time_limit_ms`, a script still running after that long is stopped and
    rolled back with `SqlTimeLimitExceeded` (the Studio's editor sets one).
    """
    with script_transaction(text) as cursor, time_limit(time_limit_ms):
        return run_statements(cursor, text)


@contextmanager
def time_limit(limit_ms: int | None) -> Iterator[None]:
    """Stop a script still running after `limit_ms`; it fails, and rolls back."""
    if not limit_ms:
        yield
        return
    with deadline(limit_ms) as passed:
        try:
            yield
        except SqlScriptError as error:
            if passed() and "interrupted" in error.cause:
                raise SqlTimeLimitExceeded(
                    error.number, error.line, limit_ms
                ) from error
            raise


@contextmanager
def script_transaction(text: str) -> Iterator[CursorWrapper]:
    """Open the transaction script `text` runs in; a failed commit is a
    SqlScriptError.

    Behind the write lock like every write: inside the server (the Studio's
    editors) a script would otherwise wait in SQLite's busy handler for the
    API's writers, and they for it. A script that changes a column's type
    rebuilds a table (`database.rebuild`) and runs with foreign keys off:
    they cannot change inside a transaction, and dropping the old table would
    fire `on delete` actions. `run_statements` then checks every foreign key
    before the commit.
    """
    with write_lock(), _foreign_keys_off(_rebuilds_tables(text)):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                yield cursor
        except DatabaseError as error:
            # Statements wrap their own errors, so this is the commit: a deferred
            # foreign key checked only then, or the database going away.
            raise SqlScriptError(None, None, str(error)) from error


def _rebuilds_tables(text: str) -> bool:
    return any(changes_column_type(s) for s in split_statements(text))


@contextmanager
def _foreign_keys_off(wanted: bool) -> Iterator[None]:
    """Switch foreign keys off for the block; restored after commit or rollback."""
    if not wanted:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        (before,) = cursor.fetchone()
    if not connection.disable_constraint_checking():
        raise SqlScriptError(
            None,
            None,
            "a column's type cannot change inside an open transaction",
            hint="Run the script on its own, not inside another transaction.",
        )
    try:
        yield
    finally:
        if before:
            connection.enable_constraint_checking()


def run_statements(cursor: CursorWrapper, text: str) -> list[StatementResult]:
    """Run every statement of `text`; the caller owns the transaction."""
    schemas = _SchemaReader(cursor)
    statements = split_statements(text)
    results = []
    for statement in statements:
        results.append(_run_statement(cursor, statement, schemas))
        # A table made or changed by the script records its changes from the
        # script's next statement on.
        outbox.ensure_for(connection.connection, schemas.current)
    if any(r.status.startswith(("ALTER", "DROP")) for r in results if not r.skipped):
        _check_policies(schemas.current())
    if any(changes_column_type(s) for s in statements):
        _check_foreign_keys(cursor)
    return results


def _check_foreign_keys(cursor: CursorWrapper) -> None:
    """Refuse a script run with foreign keys off that leaves one broken.

    Besides the rebuild, the script's other statements ran unchecked too, and
    their `on delete` actions did not fire: a row left pointing nowhere fails
    the script here rather than stay.
    """
    cursor.execute("PRAGMA foreign_key_check")
    broken = cursor.fetchall()
    if not broken:
        return
    table, rowid, parent, _index = broken[0]
    raise SqlScriptError(
        None,
        None,
        f'insert or update on table "{table}" violates a foreign key constraint: '
        f'row {rowid} points at a row of "{parent}" that does not exist'
        + (f" ({len(broken)} rows in all)" if len(broken) > 1 else ""),
        hint="A script that changes a column's type runs with foreign keys off, "
        "so on delete actions do not fire; change the type in a script of its own.",
    )


def _check_policies(schema: SchemaCache) -> None:
    """Refuse a script that leaves a stored policy unable to compile — a
    dropped or renamed column or table it uses. Postgres refuses such a drop
    and carries a rename into the policy; KoyaLite keeps policies as text, so
    the script must alter the policy too (it is one transaction)."""
    from rls.services import broken_policies

    problems = broken_policies(schema)
    if problems:
        raise SqlScriptError(
            None,
            None,
            "; ".join(problems),
            hint="Alter or drop the policy in the same script, "
            "e.g. alter policy … using (…), before or after the change.",
        )


def _run_statement(
    cursor: CursorWrapper, statement: Statement, schemas: _SchemaReader
) -> StatementResult:
    number, line = statement.number, statement.line
    try:
        translation = translate_statement(statement)
    except SqlScriptError:
        raise
    except KoyaError as error:  # a name SQLite could not take, say
        raise SqlScriptError(number, line, error.message) from error
    if translation.skipped:
        status = f"{translation.command} (skipped)"
        return StatementResult(number, line, status, skipped=True)
    if translation.is_policy:
        status = _run_policy_statement(statement, translation, schemas)
        if status is not None:
            return StatementResult(number, line, status)
    if translation.cron_call is not None:
        return _run_cron_call(statement, translation.cron_call)
    if translation.view_security is not None:
        _alter_view(cursor, translation.view_security, schemas, number, line)
        return StatementResult(number, line, translation.command)
    # Imported here: webhooks builds on database, not the other way round.
    from webhooks import sql as webhook_sql

    if translation.webhook is not None:
        webhook_sql.create_from_trigger(
            translation.webhook, schemas.current(), number, line
        )
        return StatementResult(number, line, translation.command)
    if translation.dropped_trigger is not None and webhook_sql.drop(
        translation.dropped_trigger
    ):
        return StatementResult(number, line, translation.command)
    guard = _InternalTableGuard()
    raw = connection.connection
    if translation.command.startswith(("ALTER", "DROP")):
        # SQLite refuses to drop or rename what a trigger names; they are
        # made again for the new schema once the statement ran.
        outbox.drop(raw)
    if translation.column_type is not None:
        _change_column_type(translation.column_type, schemas, guard, number, line)
        return StatementResult(number, line, translation.command)
    try:
        raw.set_authorizer(guard)
        try:
            # No params: Django's cursor then leaves `%` alone.
            cursor.execute(translation.text)
        finally:
            raw.set_authorizer(None)
        columns = tuple(c[0] for c in cursor.description or ())
        rows = tuple(tuple(row) for row in cursor.fetchall()) if columns else ()
    except ValueError as error:
        # Django's connection decodes columns declared date, time or timestamp;
        # text that looks like one but is not (month 13) cannot be returned.
        cause = f"a stored value does not fit its declared type: {error}"
        raise SqlScriptError(number, line, cause) from error
    except DatabaseError as error:
        if guard.denied_table is not None:
            table, reading = guard.denied_table
            raise InternalTableAccess(number, line, table, reading=reading) from error
        cause = guard.denied_reason or str(error)
        raise SqlScriptError(number, line, cause) from error
    if translation.dropped_tables or translation.renamed_tables:
        # RLS keeps policies by table name; Postgres ties them to the table.
        from rls.services import forget_table, rename_table

        for table in translation.dropped_tables:
            forget_table(table)
        for old, new in translation.renamed_tables:
            rename_table(old, new)
    if translation.invoker_view is not None:
        _check_invoker_view(translation.invoker_view, schemas, number, line)
    status = _status(translation.command, cursor, columns, rows)
    return StatementResult(number, line, status, columns, rows)


def _change_column_type(
    change: ColumnTypeChange,
    schemas: _SchemaReader,
    guard: _InternalTableGuard,
    number: int,
    line: int,
) -> None:
    try:
        change_column_type(
            connection.connection, change, schemas.current(), authorizer=guard
        )
    except KoyaError as error:
        raise SqlScriptError(
            number, line, error.message, details=error.details, hint=error.hint
        ) from error
    except sqlite3.Error as error:
        if guard.denied_table is not None:
            table, reading = guard.denied_table
            raise InternalTableAccess(number, line, table, reading=reading) from error
        cause = guard.denied_reason or str(error)
        raise SqlScriptError(number, line, cause) from error


def _alter_view(
    cursor: CursorWrapper,
    change: ViewSecurity,
    schemas: _SchemaReader,
    number: int,
    line: int,
) -> None:
    """Set or reset a view's security_invoker: SQLite cannot alter a view, so
    drop and re-create it, with its triggers, holding the new option."""
    view = schemas.current().find_table(change.view)
    if view is None:
        if change.if_exists:
            return  # Postgres: NOTICE relation does not exist, skipping
        raise SqlScriptError(number, line, f'relation "{change.view}" does not exist')
    if not view.is_view or view.definition is None:
        raise SqlScriptError(number, line, f'"{view.name}" is not a view')
    wanted = change.security_invoker
    if wanted is None or wanted == view.security_invoker:
        return
    try:
        cursor.execute(
            "SELECT sql FROM sqlite_schema WHERE type = 'trigger' "
            "AND tbl_name = %s COLLATE NOCASE ORDER BY rowid",
            [view.name],
        )
        triggers = [sql for (sql,) in cursor.fetchall()]
        cursor.execute(f"DROP VIEW {quote_ident(view.name)}")
        cursor.execute(with_security_invoker(view.definition, wanted))
        for trigger in triggers:
            cursor.execute(trigger)
    except DatabaseError as error:
        raise SqlScriptError(number, line, str(error)) from error
    if wanted:
        _check_invoker_view(view.name, schemas, number, line)


def _check_invoker_view(
    name: str, schemas: _SchemaReader, number: int, line: int
) -> None:
    """Refuse a security_invoker view KoyaLite could not inline (see views)."""
    schema = schemas.current()
    view = schema.find_table(name)
    if view is None or not view.security_invoker:
        return  # `create view if not exists` met an existing relation
    try:
        check_security_invoker(connection.connection, view, schema)
    except KoyaError as error:
        raise SqlScriptError(number, line, error.message, hint=error.hint) from error


def _run_policy_statement(
    statement: Statement, translation: Translation, schemas: _SchemaReader
) -> str | None:
    """Store a policy statement through `rls`; None when rls does not claim it."""
    # Imported here: rls builds on database, not the other way round.
    from rls.grammar import parse_policy_statement
    from rls.services import execute_statement

    try:
        parsed = parse_policy_statement(translation.text)
        if parsed is None:
            return None
        return execute_statement(parsed, schemas.current())
    except SqlScriptError:
        raise
    except DatabaseError as error:
        raise SqlScriptError(statement.number, statement.line, str(error)) from error
    except KoyaError as error:
        raise SqlScriptError(
            statement.number,
            statement.line,
            error.message,
            details=error.details,
            hint=error.hint,
        ) from error


def _run_cron_call(statement: Statement, call: CronCall) -> StatementResult:
    """Call pg_cron's function through the scheduler; one row, as Postgres
    answers `select cron.schedule(…)`."""
    # Imported here: the scheduler builds on database, not the other way round.
    from scheduler.sql import call_cron

    try:
        column, value = call_cron(call)
    except KoyaError as error:
        raise SqlScriptError(
            statement.number, statement.line, error.message, hint=error.hint
        ) from error
    return StatementResult(
        statement.number, statement.line, "SELECT 1", (column,), ((value,),)
    )


def _status(
    command: str,
    cursor: CursorWrapper,
    columns: tuple[str, ...],
    rows: tuple[tuple[object, ...], ...],
) -> str:
    if command in ("INSERT", "UPDATE", "DELETE"):
        count = len(rows) if columns else cursor.rowcount
        if count < 0:
            # Python's sqlite3 counts only statements that start with the
            # command's keyword; `with … insert …` asks SQLite itself.
            count = cursor.connection.execute("SELECT changes()").fetchone()[0]
        return f"{command} {count}"
    if columns:
        return f"{command} {len(rows)}"
    return command


class _SchemaReader:
    """The schema as this transaction sees it, re-read after DDL.

    Read with `read_schema` rather than the process-wide `get_schema`: tables
    created by a script that then fails would otherwise sit in the shared cache
    under a schema_version that a later, different change reuses.
    """

    def __init__(self, cursor: CursorWrapper) -> None:
        self.cursor = cursor
        self.schema: SchemaCache | None = None

    def current(self) -> SchemaCache:
        version = schema_version(self.cursor)
        if self.schema is None or self.schema.version != version:
            self.schema = read_schema(self.cursor, version)
        return self.schema


# Pragmas that take an argument yet only read: `pragma table_info(todos)`.
_READING_PRAGMAS = frozenset(
    {
        "table_info", "table_xinfo", "table_list", "index_list", "index_info",
        "index_xinfo", "foreign_key_list", "foreign_key_check", "integrity_check",
        "quick_check",
    }
)  # fmt: skip
_WRITES: dict[int, int] = {
    # action → which argument names the table
    sqlite3.SQLITE_INSERT: 1,
    sqlite3.SQLITE_UPDATE: 1,
    sqlite3.SQLITE_DELETE: 1,
    sqlite3.SQLITE_DROP_TABLE: 1,
    sqlite3.SQLITE_DROP_TEMP_TABLE: 1,
    sqlite3.SQLITE_CREATE_TABLE: 1,
    sqlite3.SQLITE_CREATE_TEMP_TABLE: 1,
    sqlite3.SQLITE_CREATE_VIEW: 1,
    sqlite3.SQLITE_CREATE_TEMP_VIEW: 1,
    sqlite3.SQLITE_ALTER_TABLE: 2,
    sqlite3.SQLITE_CREATE_INDEX: 2,
    sqlite3.SQLITE_CREATE_TEMP_INDEX: 2,
    sqlite3.SQLITE_DROP_INDEX: 2,
    sqlite3.SQLITE_DROP_TEMP_INDEX: 2,
    sqlite3.SQLITE_CREATE_TRIGGER: 2,
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER: 2,
    sqlite3.SQLITE_DROP_TRIGGER: 2,
    sqlite3.SQLITE_DROP_TEMP_TRIGGER: 2,
}

_TRIGGER_DDL = frozenset(
    {
        sqlite3.SQLITE_CREATE_TRIGGER,
        sqlite3.SQLITE_CREATE_TEMP_TRIGGER,
        sqlite3.SQLITE_DROP_TRIGGER,
        sqlite3.SQLITE_DROP_TEMP_TRIGGER,
    }
)


class _InternalTableGuard:
    """SQLite authorizer for user SQL: KoyaLite's tables stay out of reach.

    `translate` already refuses statements naming them; this catches what it
    cannot see (a comma join, `drop index` of an internal index) and refuses
    `attach`, transaction control and pragma assignments. The refusal is
    remembered so that the error can say what was refused.
    """

    def __init__(self) -> None:
        self.denied_table: tuple[str, bool] | None = None  # (table, reading)
        self.denied_reason: str | None = None

    def __call__(
        self,
        action: int,
        first: str | None,
        second: str | None,
        database: str | None,
        trigger: str | None,
    ) -> int:
        if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
            # An attached file is any file the server can read.
            return self._refuse("attach and detach are not supported")
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            return self._refuse(
                "transaction control is not supported; a script runs as one transaction"
            )
        if action in _TRIGGER_DDL and outbox.is_outbox_trigger(first):
            return self._refuse(
                f"trigger names starting {outbox.TRIGGER_PREFIX} are reserved"
            )
        if (
            action == sqlite3.SQLITE_INSERT
            and outbox.is_outbox_trigger(trigger)
            and (first or "").lower() == outbox.OUTBOX_TABLE
        ):
            return sqlite3.SQLITE_OK  # the change a statement makes, recorded
        if action == sqlite3.SQLITE_PRAGMA:
            if second is None or (first or "").lower() in _READING_PRAGMAS:
                return sqlite3.SQLITE_OK
            return self._refuse(f"pragma {first} cannot be set through SQL")
        if action == sqlite3.SQLITE_READ:
            if system_table_named(trigger or "") is not None:
                return sqlite3.SQLITE_OK  # a system view reading its own tables
            return self._check(first, reading=True)
        position = _WRITES.get(action)
        if position is not None:
            return self._check(first if position == 1 else second, reading=False)
        return sqlite3.SQLITE_OK

    def _refuse(self, reason: str) -> int:
        self.denied_reason = reason
        return sqlite3.SQLITE_DENY

    def _check(self, table: str | None, *, reading: bool) -> int:
        if not table:
            return sqlite3.SQLITE_OK
        lowered = table.lower()
        # SQLite itself writes sqlite_master for every DDL statement.
        if lowered.startswith("sqlite_") or not is_internal_table(table):
            return sqlite3.SQLITE_OK
        system = system_table_named(table)
        if system is not None and (reading or system.sql_writes):
            return sqlite3.SQLITE_OK
        self.denied_table = (table, reading)
        return sqlite3.SQLITE_DENY
