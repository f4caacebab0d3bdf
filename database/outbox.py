"""The outbox: every committed change to a row, recorded by its own transaction.

Webhooks (and later realtime and search) read `koyalite_outbox`; they never
see a change that rolled back, nor miss one that committed, because the row is
written by a trigger inside the changing statement. One place records changes
for every path — `/rest/v1`, the Studio, `koyalite sql` and migrations,
storage objects, auth users — since all of them write through SQLite.

The triggers are TEMP triggers, made on each connection KoyaLite opens, not
triggers stored in the file: their bodies render rows with KoyaLite's SQL
functions (`koyalite_real`), which other tools opening the file (the sqlite3
shell, a backup script) do not have, and stored triggers would also show up
in the user's schema and its dumps. A connection keeps its triggers in step
with the schema: `temp.koyalite_outbox_synced` holds the schema version they
were made for, in the same transaction as the triggers themselves, so a
rolled-back change of either is rolled back with the other.

A record is the row as `/rest/v1` renders it (booleans, numbers, JSON), built
by the compiler's `output_value`. `auth.users` records carry only the columns
policies see (`AUTH_USERS`): never a password hash or a token.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import connection
from django.utils import timezone

from database.schema import (
    AUTH_USERS,
    SchemaCache,
    TableInfo,
    get_schema,
    system_table_named,
)
from database.sql import Sql, literal, quote_ident

OUTBOX_TABLE = "koyalite_outbox"
TRIGGER_PREFIX = "koyalite_outbox_"
_SYNCED = "temp.koyalite_outbox_synced"
_OPERATIONS = (
    ("INSERT", "NEW", None),
    ("UPDATE", "NEW", "OLD"),
    ("DELETE", None, "OLD"),
)


@dataclass(frozen=True, slots=True)
class Watched:
    """A table whose changes are recorded, and the name events give it."""

    schema: str
    name: str
    table: TableInfo


def watched_tables(schema: SchemaCache) -> list[Watched]:
    """User tables (not views: a write through one changes its tables), the
    storage tables, and auth users."""
    found = [
        Watched("public", t.name, t) for t in schema.tables.values() if not t.is_view
    ]
    for name, table in sorted(schema.system.items()):
        system = system_table_named(name)
        if system is not None:
            found.append(Watched(system.schema, system.name, table))
    if schema.has_auth_users:
        found.append(Watched("auth", "users", AUTH_USERS))
    return found


def trigger_statements(schema: SchemaCache) -> tuple[str, ...]:
    """The CREATE TEMP TRIGGER statements recording changes under `schema`."""
    statements = []
    for number, watched in enumerate(watched_tables(schema)):
        # Named by schema version too: a trigger on a table another process
        # dropped lingers, and can be neither dropped nor named again until a
        # table of that name is back (see `_drop_triggers`).
        prefix = f"{TRIGGER_PREFIX}{schema.version}_{number}"
        for operation, new, old in _OPERATIONS:
            statements.append(_trigger(prefix, watched, operation, new, old))
    return tuple(statements)


def _trigger(
    prefix: str, watched: Watched, operation: str, new: str | None, old: str | None
) -> str:
    # Imported here: the compiler builds on the schema, as this module does,
    # and is loaded with every connection otherwise.
    from database.compiler import json_object, output_value
    from database.plan import FieldPlan

    def record(alias: str | None) -> str:
        if alias is None:
            return "NULL"
        pairs = [
            (name, output_value(FieldPlan(column), alias))
            for name, column in watched.table.columns.items()
        ]
        sql = json_object(pairs, key=literal)
        assert not sql.params, "a trigger's body cannot take parameters"
        return sql.text

    name = quote_ident(f"{prefix}_{operation.lower()}")
    values = Sql.join(
        [
            Sql("strftime('%Y-%m-%d %H:%M:%f', 'now')"),
            literal(watched.schema),
            literal(watched.name),
            literal(operation),
        ],
        ", ",
    ).text
    return (
        f"CREATE TEMP TRIGGER {name} AFTER {operation} ON main.{quote_ident(watched.table.name)} "
        f"BEGIN INSERT INTO {OUTBOX_TABLE} "
        "(created_at, schema_name, table_name, type, record, old_record) "
        f"VALUES ({values}, {record(new)}, {record(old)}); END"
    )


# ---------------------------------------------------------------- per connection

_statements_lock = threading.Lock()
_statements: dict[tuple[str, int], tuple[str, ...]] = {}


def prepare(raw: sqlite3.Connection) -> None:
    """Make the version marker on a new connection; triggers follow on `ensure`."""
    raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_SYNCED} (version INTEGER)")


def ensure(raw: sqlite3.Connection, database: str) -> None:
    """Bring this connection's triggers up to the schema, if it has moved.

    Run on each new connection and before every write KoyaLite makes
    (`executor.write_lock`): another process may have changed a table since
    this connection last wrote, and a trigger naming a dropped column would
    fail the write.
    """
    version = _stale_version(raw)
    if version is None:
        return
    key = (database, version)
    statements = _statements.get(key)
    if statements is None:
        statements = trigger_statements(get_schema(raw, version, database))
        with _statements_lock:
            _statements.clear()  # older versions are never asked for again
            _statements[key] = statements
    _install(raw, statements, version)


def ensure_for(raw: sqlite3.Connection, current: Callable[[], SchemaCache]) -> None:
    """`ensure` inside a script's transaction, whose tables only it sees yet."""
    if _stale_version(raw) is not None:
        schema = current()
        _install(raw, trigger_statements(schema), schema.version)


def _stale_version(raw: sqlite3.Connection) -> int | None:
    """The schema version, when this connection's triggers were made for another."""
    synced, version = raw.execute(
        f"SELECT (SELECT version FROM {_SYNCED}), schema_version FROM pragma_schema_version"
    ).fetchone()
    return None if synced == version else version


def drop(raw: sqlite3.Connection) -> None:
    """Drop this connection's triggers, before a statement they would stop
    (SQLite refuses to drop a column a trigger names)."""
    _drop_triggers(raw)
    raw.execute(f"DELETE FROM {_SYNCED}")


def _install(
    raw: sqlite3.Connection, statements: tuple[str, ...], version: int
) -> None:
    if not _has_outbox(raw):
        return  # before `migrate` made it: nothing to record into yet
    # One savepoint: a connection never holds half a set of triggers.
    raw.execute("SAVEPOINT koyalite_outbox")
    try:
        _drop_triggers(raw)
        for statement in statements:
            raw.execute(statement)
        raw.execute(f"DELETE FROM {_SYNCED}")
        raw.execute(f"INSERT INTO {_SYNCED} (version) VALUES (?)", (version,))
    except BaseException:
        raw.execute("ROLLBACK TO koyalite_outbox")
        raw.execute("RELEASE koyalite_outbox")
        raise
    raw.execute("RELEASE koyalite_outbox")


def _drop_triggers(raw: sqlite3.Connection) -> None:
    """Drop every outbox trigger of this connection.

    One on a table another process dropped is still listed, yet SQLite says
    "no such trigger" to DROP TRIGGER; left there it breaks every later
    `alter table … rename` ("error in trigger …: no such table"). Such
    leftovers are removed from the temp schema's listing directly.
    """
    names = _listed(raw)
    for name in names:
        raw.execute(f"DROP TRIGGER IF EXISTS temp.{quote_ident(name)}")
    if _listed(raw):
        raw.execute("PRAGMA writable_schema = ON")
        try:
            raw.execute(
                "DELETE FROM sqlite_temp_schema WHERE type = 'trigger' "
                "AND substr(name, 1, ?) = ?",
                (len(TRIGGER_PREFIX), TRIGGER_PREFIX),
            )
        finally:
            raw.execute("PRAGMA writable_schema = OFF")


def _listed(raw: sqlite3.Connection) -> list[str]:
    return [
        name
        for (name,) in raw.execute(
            "SELECT name FROM sqlite_temp_schema WHERE type = 'trigger' "
            "AND substr(name, 1, ?) = ?",
            (len(TRIGGER_PREFIX), TRIGGER_PREFIX),
        ).fetchall()
    ]


def _has_outbox(raw: sqlite3.Connection) -> bool:
    return (
        raw.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?",
            (OUTBOX_TABLE,),
        ).fetchone()
        is not None
    )


def is_outbox_trigger(name: str | None) -> bool:
    """Whether `name` is one of the outbox's triggers (the SQL runner's
    authorizer lets them, and only them, write the outbox)."""
    return bool(name) and name.lower().startswith(TRIGGER_PREFIX)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    schema: str
    table: str
    type: str
    record: str | None  # JSON text
    old_record: str | None

    def payload(self) -> bytes:
        """The body Supabase's database webhooks send, rows kept as written."""
        return b"".join(
            (
                b'{"type":',
                orjson.dumps(self.type),
                b',"table":',
                orjson.dumps(self.table),
                b',"schema":',
                orjson.dumps(self.schema),
                b',"record":',
                (self.record or "null").encode(),
                b',"old_record":',
                (self.old_record or "null").encode(),
                b"}",
            )
        )


def read_after(after: int, limit: int) -> list[Event]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, schema_name, table_name, type, record, old_record "
            f"FROM {OUTBOX_TABLE} WHERE id > %s ORDER BY id LIMIT %s",
            [after, limit],
        )
        return [Event(*row) for row in cursor.fetchall()]


def last_event_id() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {OUTBOX_TABLE}")
        return cursor.fetchone()[0]


def cursor_position(name: str) -> int:
    """Where consumer `name` has read to; a new one starts at the oldest
    event kept, and skips what it does not want itself."""
    from database.models import OutboxCursor

    return OutboxCursor.objects.get_or_create(name=name)[0].last_id


def advance(name: str, last_id: int) -> None:
    """Move consumer `name` on; inside the transaction that used the events."""
    from database.models import OutboxCursor

    OutboxCursor.objects.filter(name=name).update(last_id=last_id)


_PRUNE_EVERY_SECONDS = 60.0
_last_prune = 0.0


def prune_tick() -> None:
    """Delete events every consumer has read once they are older than the
    retention (`KOYALITE_OUTBOX_RETENTION_HOURS`); at most once a minute."""
    global _last_prune
    now = time.monotonic()
    if now - _last_prune < _PRUNE_EVERY_SECONDS:
        return
    _last_prune = now
    prune(timezone.now() - timedelta(hours=settings.OUTBOX_RETENTION_HOURS))


def prune(before) -> int:
    from database.executor import write_lock
    from database.models import OutboxCursor

    read_by_all = OutboxCursor.objects.order_by("last_id").values_list(
        "last_id", flat=True
    )[:1]
    with write_lock(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {OUTBOX_TABLE} WHERE created_at < %s "
            f"AND id <= coalesce(%s, id)",
            [before.strftime("%Y-%m-%d %H:%M:%S.%f"), next(iter(read_by_all), None)],
        )
        return cursor.rowcount
