"""Run compiled statements: connections, transactions, the write lock, and the
translation of SQLite's errors into Postgres' SQLSTATEs.

Reads run in autocommit on the thread's connection. Writes run in one
`BEGIN IMMEDIATE` transaction each, behind a process lock and a file lock, so
concurrent writers queue in order instead of sleeping in SQLite's busy handler
(which showed p99 latencies above 150 ms under load).
"""

from __future__ import annotations

import fcntl
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from accounts.keys import Auth
from database import coerce, outbox
from database.errors import (
    CheckViolation,
    ForeignKeyViolation,
    InvalidValue,
    NotNullViolation,
    QueryFailed,
    StatementTooComplex,
    UniqueViolation,
)
from database.schema import SchemaCache, get_schema
from database.sql import AuthValue, Slot, Sql
from database.sqlite import functions
from koyalite.errors import KoyaError
from rls.expr import resolve_auth_value
from rls.services import PolicyCatalog, catalog_version_sql, load_catalog


class DatabaseUnavailable(KoyaError):
    status = 503
    code = "PGRST000"


class ConflictTargetMissing(KoyaError):
    status = 400
    code = "42P10"


# ---------------------------------------------------------------- catalog

_catalog_lock = threading.Lock()
_catalogs: dict[tuple[str, int, int], tuple[SchemaCache, PolicyCatalog]] = {}


def _thread_connection() -> BaseDatabaseWrapper:
    """This thread's Django connection.

    Each attribute read through `django.db.connection` looks the thread's
    connection up again in asgiref's `Local` (about a microsecond); the hot
    paths look it up once.
    """
    return connections[DEFAULT_DB_ALIAS]


def _raw(wrapper: BaseDatabaseWrapper) -> sqlite3.Connection:
    raw = wrapper.connection
    if raw is None or wrapper.closed_in_transaction:
        wrapper.ensure_connection()  # connects, or raises as Django does
        raw = wrapper.connection
    return raw


def raw_connection() -> sqlite3.Connection:
    return _raw(_thread_connection())


@cache
def _versions_sql() -> str:
    return f"SELECT schema_version, {catalog_version_sql()} FROM pragma_schema_version"


def catalog() -> tuple[SchemaCache, PolicyCatalog]:
    """The schema cache and policies, reloaded when either changed anywhere.

    One query reads both versions: it runs on every request.
    """
    wrapper = _thread_connection()
    raw = _raw(wrapper)
    version, policies = raw.execute(_versions_sql()).fetchone()
    name = wrapper.settings_dict["NAME"]
    key = (name, version, policies or 0)
    found = _catalogs.get(key)
    if found is not None:
        return found
    with _catalog_lock:
        found = _catalogs.get(key)
        if found is None:
            schema = get_schema(raw, version, name)
            found = (schema, load_catalog(schema))
            _catalogs.clear()  # older versions are never asked for again
            _catalogs[key] = found
    return found


# ---------------------------------------------------------------- params


def bind(sql: Sql, auth: Auth, values: tuple[str, ...] = ()) -> tuple[object, ...]:
    """The statement's parameters, with auth values and slots filled in."""
    params = []
    for p in sql.params:
        if isinstance(p, AuthValue):
            p = resolve_auth_value(p, uid=auth.uid, role=auth.role, claims=auth.claims)
        elif isinstance(p, Slot):
            p = coerce.slot_value(p.column, values[p.index])
        params.append(p)
    return tuple(params)


# ---------------------------------------------------------------- errors

_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)")
_NOT_NULL = re.compile(r"NOT NULL constraint failed: (\S+)\.(\S+)")
_CHECK = re.compile(r"CHECK constraint failed: (.+)")


def translate_error(error: sqlite3.Error, table: str) -> KoyaError:
    """Map SQLite's error onto the SQLSTATE a Postgres client would see."""
    message = str(error)
    if message == "user-defined function raised exception":
        raised = functions.take_error()
        if raised is not None:
            return raised
    if match := _UNIQUE.match(message):
        columns = [c.split(".", 1)[-1] for c in match.group(1).split(", ")]
        constraint = f"{table}_{'_'.join(columns)}_key"
        return UniqueViolation(
            f'duplicate key value violates unique constraint "{constraint}"',
            details=f"Key ({', '.join(columns)}) already exists.",
        )
    if message.startswith("FOREIGN KEY constraint failed"):
        return ForeignKeyViolation(
            f'insert or update on table "{table}" violates a foreign key constraint',
            details="A referenced row is missing, or rows still reference this one.",
        )
    if match := _NOT_NULL.match(message):
        return NotNullViolation(
            f'null value in column "{match.group(2)}" of relation "{match.group(1)}" violates not-null constraint'
        )
    if match := _CHECK.match(message):
        return CheckViolation(
            f'new row for relation "{table}" violates check constraint "{match.group(1)}"'
        )
    if "ON CONFLICT clause does not match" in message:
        return ConflictTargetMissing(
            "there is no unique or exclusion constraint matching the ON CONFLICT specification"
        )
    if "datatype mismatch" in message:
        return InvalidValue(
            "a value does not match its column's type (datatype mismatch)"
        )
    if "database is locked" in message or "unable to open" in message:
        return DatabaseUnavailable("the database is busy or unavailable; try again")
    if message == "parser stack overflow":
        return StatementTooComplex()
    if "malformed JSON" in message:
        return InvalidValue("a stored value is not valid JSON")
    return QueryFailed(message)


# ---------------------------------------------------------------- running


def fetch_one(sql: Sql, auth: Auth, values: tuple[str, ...] = ()) -> tuple:
    params = bind(sql, auth, values)
    raw = raw_connection()
    try:
        return raw.execute(sql.text, params).fetchone()
    except sqlite3.Error as error:
        raise translate_error(error, "") from None


_write_lock = threading.RLock()
_lock_files: dict[str, Any] = {}
_held = threading.local()


@contextmanager
def write_lock() -> Iterator[None]:
    """Serialise writers across threads and processes, in arrival order.

    SQLite has one writer; left to its busy handler, concurrent writers sleep
    and retry, which gave p99 latencies above 150 ms. A blocked flock() wakes
    as soon as the holder lets go. Re-entrant within a thread.
    """
    depth = getattr(_held, "depth", 0)
    if depth:
        _held.depth = depth + 1
        try:
            yield
        finally:
            _held.depth = depth
        return
    name = _thread_connection().settings_dict["NAME"]
    with _write_lock:
        handle = _lock_files.get(name)
        if handle is None:
            handle = open(f"{name}.write-lock", "a+b")  # noqa: SIM115 (kept open)
            _lock_files[name] = handle
        fcntl.flock(handle, fcntl.LOCK_EX)
        _held.depth = 1
        try:
            # Under the lock no KoyaLite process changes a table: the triggers
            # made now stay right for this write.
            outbox.ensure(_raw(_thread_connection()), name)
            yield
        finally:
            _held.depth = 0
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def locked_atomic() -> Iterator[None]:
    """Django's `transaction.atomic()` behind the write lock, for services
    that write through the ORM (sign-in, refresh)."""
    with write_lock(), transaction.atomic():
        yield


class WriteTransaction:
    """The open write transaction: its connection, and whether to keep it."""

    __slots__ = ("raw", "rollback_only")

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self.rollback_only = False  # Prefer: tx=rollback


@contextmanager
def write_transaction() -> Iterator[WriteTransaction]:
    """One IMMEDIATE transaction behind the write lock.

    Inside a caller's `transaction.atomic()` block this becomes a savepoint of
    that transaction. Otherwise it drives SQLite directly: Django's atomic()
    bookkeeping cost more than the statement it wrapped on the hot write path.
    """
    with write_lock():
        wrapper = _thread_connection()
        raw = _raw(wrapper)
        if wrapper.in_atomic_block:
            with transaction.atomic():
                tx = WriteTransaction(raw)
                yield tx
                if tx.rollback_only:
                    transaction.set_rollback(True)
            return
        _run_transaction_statement(raw, "BEGIN IMMEDIATE")
        tx = WriteTransaction(raw)
        try:
            yield tx
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        if tx.rollback_only:
            raw.execute("ROLLBACK")
            return
        try:
            raw.execute("COMMIT")
        except sqlite3.Error as error:
            # A failed COMMIT (a deferred foreign key, say) leaves the
            # transaction open: end it so the connection stays usable.
            raw.execute("ROLLBACK")
            raise translate_error(error, "") from None


def _run_transaction_statement(raw: sqlite3.Connection, statement: str) -> None:
    try:
        raw.execute(statement)
    except sqlite3.Error as error:
        raise translate_error(error, "") from None


def execute_all(
    raw: sqlite3.Connection, sql: Sql, auth: Auth, table: str
) -> list[tuple]:
    try:
        return raw.execute(sql.text, bind(sql, auth)).fetchall()
    except sqlite3.Error as error:
        raise translate_error(error, table) from None
