"""Read and write user tables: plan, compile and execute one request.

The entry points REST (and later GraphQL, the Studio and storage) call. They
return the response body as bytes built by SQLite, plus the counts the wire
formats need.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import orjson
from django.conf import settings

from accounts.keys import Auth
from database import compiler
from database.errors import InsufficientPrivilege, MaxAffectedExceeded, SingularResponse
from database.executor import catalog, execute_all, fetch_one, write_transaction
from database.plan import (
    WritePlan,
    plan_connection,
    plan_read,
    plan_record,
    plan_write,
)
from database.schema import SchemaCache
from database.sql import Sql
from database.types import Condition, Connection, ReadRequest, SelectItem, WriteRequest
from rls.services import PolicyCatalog


@dataclass(frozen=True, slots=True)
class ReadResult:
    total: int | None
    count: int
    body: bytes


@dataclass(frozen=True, slots=True)
class WriteResult:
    affected: int
    count: int  # rows in `body`, or `affected` when there is no body
    body: bytes | None
    location: str | None = None
    inserted: int = 0  # rows an insert or upsert added, as opposed to updated


def prepare_read(
    request: ReadRequest,
    auth: Auth,
    schema: SchemaCache,
    policies: PolicyCatalog,
    slots: bool = False,
) -> Sql:
    """Compile a read; with `slots`, filter values marked as slots stay open."""
    plan = plan_read(request, schema, policies, auth, slots)
    return compiler.compile_read(plan, settings.MAX_ROWS)


def run_read(sql: Sql, auth: Auth, values: tuple[str, ...] = ()) -> ReadResult:
    total, count, body = fetch_one(sql, auth, values)
    return ReadResult(total, count, body.encode())


def read(request: ReadRequest, auth: Auth) -> ReadResult:
    schema, policies = catalog()
    return run_read(prepare_read(request, auth, schema, policies), auth)


def prepare_connection(
    request: Connection, auth: Auth, schema: SchemaCache, policies: PolicyCatalog
) -> Sql:
    """Compile a GraphQL collection; the statement depends on the caller's
    role only (auth values are bound when it runs)."""
    plan = plan_connection(
        request, schema, policies, auth, page_size=settings.GRAPHQL_MAX_ROWS
    )
    return compiler.compile_connection(plan)


def run_json(sql: Sql, auth: Auth) -> str | None:
    """Run a statement returning one JSON text (or NULL)."""
    return fetch_one(sql, auth)[0]


def read_connection(request: Connection, auth: Auth) -> str:
    """A GraphQL collection as JSON text, from one statement."""
    schema, policies = catalog()
    return run_json(prepare_connection(request, auth, schema, policies), auth)


def read_record(
    table: str,
    select: tuple[SelectItem, ...],
    filters: tuple[Condition, ...],
    auth: Auth,
) -> str | None:
    """The first row of `table` matching `filters` as JSON text, or None."""
    schema, policies = catalog()
    node = plan_record(
        table,
        select,
        filters,
        schema,
        policies,
        auth,
        page_size=settings.GRAPHQL_MAX_ROWS,
    )
    return fetch_one(compiler.compile_record(node), auth)[0]


def _row_violation(
    table: str, auth: Auth, expression: str = ""
) -> InsufficientPrivilege:
    error = InsufficientPrivilege(
        f'new row violates row-level security policy {expression}for table "{table}"'
    )
    if auth.role == "anon":
        error.status = 401
    return error


def _insert_groups(plan: WritePlan) -> list[tuple[list[int], list[list[object]]]]:
    """Rows grouped by the columns they carry.

    With `Prefer: missing=default`, a key absent from a row must take the
    column's default, which only leaving the column out of the INSERT achieves;
    otherwise every row carries every column and an absent key is NULL.
    """
    everything = list(range(len(plan.columns)))
    if not plan.use_defaults:
        return [(everything, plan.rows)]
    groups: dict[tuple[bool, ...], list[list[object]]] = {}
    for row, missing in zip(plan.rows, plan.missing):
        groups.setdefault(tuple(missing), []).append(row)
    result = []
    for missing, rows in groups.items():
        present = [i for i in everything if not missing[i]]
        result.append((present, [[row[i] for i in present] for row in rows]))
    return result


def _insert(
    raw: sqlite3.Connection, plan: WritePlan, auth: Auth
) -> tuple[list[tuple], int]:
    """Run an insert or upsert: (rowid, passes check) per written row, and
    how many of the rows are new rather than updated."""
    table = plan.table.name
    returned: list[tuple] = []
    existing: set[int] = set()
    for columns, rows in _insert_groups(plan):
        if not columns:
            for _ in rows:
                returned += execute_all(
                    raw, compiler.compile_insert(plan, [], ""), auth, table
                )
            continue
        rows_json = orjson.dumps(rows).decode()
        if plan.merge and plan.conflict:
            conflicting = compiler.compile_conflicting(plan, columns, rows_json)
            if conflicting is not None:
                existing.update(
                    row[0] for row in execute_all(raw, conflicting, auth, table)
                )
        sql = compiler.compile_insert(plan, columns, rows_json)
        returned += execute_all(raw, sql, auth, table)
    return returned, len({row[0] for row in returned} - existing)


def _read_back(plan: WritePlan, rowids: str, auth: Auth) -> tuple[int, int, str]:
    """The representation of the rows of `rowids`: (rows the caller may read,
    rows returned, JSON text)."""
    assert plan.representation is not None
    sql = compiler.compile_read_back(plan.representation, rowids)
    visible, count, text = fetch_one(sql, auth)
    return visible, count, text


def _delete(
    raw: sqlite3.Connection, plan: WritePlan, auth: Auth
) -> tuple[list[tuple], tuple[int, int, str] | None]:
    """Run a delete: its rowids, and the representation when one is asked."""
    table = plan.table.name
    if plan.representation is None:
        return execute_all(raw, compiler.compile_delete(plan), auth, table), None
    # Read what is returned before deleting, so that rows and their embeds
    # show as they were, as the snapshot of a Postgres CTE does.
    targets = execute_all(raw, compiler.compile_target(plan), auth, table)
    rowids = orjson.dumps([row[0] for row in targets]).decode()
    representation = _read_back(plan, rowids, auth)
    sql = compiler.compile_delete(plan, rowids)
    return execute_all(raw, sql, auth, table), representation


def write(
    request: WriteRequest, auth: Auth, safe_updates: bool | None = None
) -> WriteResult:
    """Run a write in one transaction; `safe_updates` defaults to the setting
    (GraphQL's `atMost` guards its writes instead)."""
    schema, policies = catalog()
    plan = plan_write(
        request,
        schema,
        policies,
        auth,
        safe_updates=settings.API_SAFE_UPDATES
        if safe_updates is None
        else safe_updates,
        page_size=settings.GRAPHQL_MAX_ROWS,
    )
    table = plan.table.name
    with write_transaction() as tx:
        raw = tx.raw
        returned: list[tuple] = []
        inserted = 0
        representation: tuple[int, int, str] | None = None
        if plan.method in ("insert", "upsert"):
            returned, inserted = _insert(raw, plan, auth)
        elif plan.method == "delete":
            returned, representation = _delete(raw, plan, auth)
        elif plan.columns and plan.rows:
            returned = execute_all(raw, compiler.compile_update(plan), auth, table)

        if plan.method != "delete" and any(not ok for _, ok in returned):
            raise _row_violation(table, auth)
        affected = len(returned)
        if (
            plan.method == "insert"
            and plan.merge
            and plan.write_policy is not None
            and affected < len(plan.rows)
        ):
            # A merge-duplicates row met a stored row the caller may not
            # update: Postgres refuses the whole insert rather than skip it.
            raise _row_violation(table, auth, "(USING expression) ")
        if plan.method == "upsert" and affected != 1:
            # The key matched the body (plan checked it), so the row exists
            # and the caller may not update it: Postgres raises here too.
            raise _row_violation(table, auth)
        if request.max_affected is not None and affected > request.max_affected:
            raise MaxAffectedExceeded(
                f"Query result exceeds max-affected preference constraint ({affected} > {request.max_affected})"
            )
        body, count = None, affected
        if plan.representation is not None:
            if representation is None:
                rowids = orjson.dumps([row[0] for row in returned]).decode()
                representation = _read_back(plan, rowids, auth)
            visible, count, text = representation
            if visible < affected:
                # Postgres refuses to return a written row its caller may not read.
                raise _row_violation(table, auth)
            body = text.encode()
        if request.format == "object" and count != 1:
            # Checked on what the write affected, whatever it returns, and
            # raised inside the transaction so that nothing is written.
            raise SingularResponse(count)
        location = None
        if (
            request.returning == "headers-only"
            and plan.method == "insert"
            and affected == 1
            and plan.table.primary_key
            and not plan.table.is_view  # a view's rows have no rowid to find
        ):
            location = _location(plan, returned[0][0])
        if request.rollback:
            tx.rollback_only = True
    return WriteResult(affected, count, body, location, inserted)


def _location(plan: WritePlan, rowid: int) -> str:
    from urllib.parse import quote

    from database.compiler import q
    from database.executor import raw_connection

    keys = plan.table.primary_key
    row = (
        raw_connection()
        .execute(
            f"SELECT {', '.join(q(k) for k in keys)} FROM {q(plan.table.name)} WHERE rowid = ?",
            (rowid,),
        )
        .fetchone()
    )
    if row is None:
        return f"/{plan.table.name}"
    query = "&".join(f"{quote(k)}=eq.{quote(str(v))}" for k, v in zip(keys, row))
    return f"/{quote(plan.table.name)}?{query}"
