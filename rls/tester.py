"""Explain row-level security for one caller: which rows each policy lets
through, and whether a proposed row passes each `with check`.

The Studio's policy tester runs this. Every policy is compiled by
`rls.expr.compile_expression` and combined by `PolicyCatalog.predicate`, the
code requests run through, so "allowed" here is what `/rest/v1` would do; the
per-policy verdicts only explain it. Nothing is written: the rows are read in
autocommit and a proposed row is a one-row derived table of bound values
and, for the columns it leaves out, their declared defaults. For an update,
as in Postgres, `with check` sees the new row: each stored row the `using`
policies let through, with the proposed columns applied.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from accounts.keys import Auth
from database import coerce
from database.errors import ColumnNotFound, QueryFailed, TableNotFound
from database.executor import bind, catalog, raw_connection
from database.schema import TableInfo
from database.sql import Sql, quote_ident
from database.timelimit import deadline
from koyalite.errors import KoyaError
from rls.catalog import PolicyCatalog
from rls.types import PolicyDef, PredicateKind, RequestCommand

ROW_LIMIT = 200
TIME_LIMIT_SECONDS = 2.0
ALIAS = "t0"
# The stored row of an update; ALIAS is then the new row built from it.
STORED = "t1"


class TesterTimeout(KoyaError):
    """The policies took longer than the tester allows to evaluate."""

    status = 400
    code = "KL901"


@dataclass(frozen=True, slots=True)
class CheckVerdict:
    """A proposed row against the `with check` expressions."""

    values: dict[str, object]
    # Columns not given: for an insert their default, else NULL; for an
    # update the stored row's value.
    omitted: tuple[str, ...]
    allowed: bool
    verdicts: tuple[bool, ...]  # one per `Explanation.check_policies`


@dataclass(frozen=True, slots=True)
class RowVerdict:
    """One stored row: its values, the outcome and each policy's verdict."""

    values: dict[str, object]
    allowed: bool
    verdicts: tuple[bool, ...]  # one per `Explanation.using_policies`
    # An update with a proposed row: the new row against `with check`, for a
    # row the `using` policies let the caller update (None otherwise).
    check: CheckVerdict | None = None


@dataclass(frozen=True, slots=True)
class Explanation:
    table: str
    command: RequestCommand
    role: str
    rls_enabled: bool
    bypasses_rls: bool
    policies: tuple[PolicyDef, ...]  # every policy of the table
    using_policies: tuple[PolicyDef, ...]  # those filtering rows for this caller
    check_policies: tuple[PolicyDef, ...]  # those checking new rows
    rows: tuple[RowVerdict, ...]
    truncated: bool
    check: CheckVerdict | None


_USING_COMMANDS = ("select", "update", "delete")
_CHECK_COMMANDS = ("insert", "update")


def explain_access(
    table: str,
    command: RequestCommand,
    auth: Auth,
    row: dict[str, Any] | None = None,
    limit: int = ROW_LIMIT,
) -> Explanation:
    """Evaluate `table`'s policies for `auth` doing `command`.

    select/update/delete read up to `limit` rows with each one's verdict;
    insert evaluates `row` (a decoded JSON object) against the checks, update
    each row it may change with `row`'s columns applied.
    """
    schema, policies = catalog()
    info = schema.policy_table(table)
    if info is None or info.is_view:
        raise TableNotFound(table)
    applicable_using = _applicable(policies, info.name, command, auth, "using")
    applicable_check = _applicable(policies, info.name, command, auth, "check")
    rows: tuple[RowVerdict, ...] = ()
    truncated = False
    check = None
    if command == "update" and row is not None:
        rows, truncated = _updated_rows(
            info, auth, policies, applicable_using, applicable_check, row, limit
        )
    elif command in _USING_COMMANDS:
        rows, truncated = _rows(info, command, auth, policies, applicable_using, limit)
    if command == "insert" and row is not None:
        check = _check_row(info, command, auth, policies, applicable_check, row)
    return Explanation(
        table=info.name,
        command=command,
        role=auth.role,
        rls_enabled=policies.is_enabled(info.name),
        bypasses_rls=auth.bypasses_rls,
        policies=policies.policies(info.name),
        using_policies=applicable_using if command in _USING_COMMANDS else (),
        check_policies=applicable_check if command in _CHECK_COMMANDS else (),
        rows=rows,
        truncated=truncated,
        check=check,
    )


def _applicable(
    policies: PolicyCatalog,
    table: str,
    command: RequestCommand,
    auth: Auth,
    kind: PredicateKind,
) -> tuple[PolicyDef, ...]:
    """The policies that take part in `kind` for this caller, as the catalog
    picks them (a policy without an expression for `kind` adds nothing)."""
    if auth.bypasses_rls or not policies.is_enabled(table):
        return ()
    return tuple(
        policy
        for policy in policies.policies(table)
        if policy.applies_to(command, auth.role) and policy.expression(kind) is not None
    )


def _verdict(predicate: Sql | None) -> Sql:
    """1 when the predicate holds; NULL counts as no, as in Postgres."""
    if predicate is None:
        return Sql("1")
    return predicate.wrap("((", ") IS TRUE)")


def _policy_predicate(
    policies: PolicyCatalog, policy: PolicyDef, kind: PredicateKind
) -> Sql:
    return policies.policy_predicate(policy, kind, ALIAS)


def _rows(
    info: TableInfo,
    command: RequestCommand,
    auth: Auth,
    policies: PolicyCatalog,
    applicable: tuple[PolicyDef, ...],
    limit: int,
) -> tuple[tuple[RowVerdict, ...], bool]:
    names = list(info.columns)
    combined = policies.predicate(info.name, command, auth.role, ALIAS, "using")
    selected = [Sql(f"{ALIAS}.{quote_ident(name)}") for name in names]
    selected.append(_verdict(combined))
    selected.extend(
        _verdict(_policy_predicate(policies, policy, "using")) for policy in applicable
    )
    order = ", ".join(f"{ALIAS}.{quote_ident(name)}" for name in info.primary_key)
    query = (
        Sql("SELECT ")
        + Sql.join(selected, ", ")
        + Sql(f" FROM {quote_ident(info.name)} AS {ALIAS}")
        + Sql(f" ORDER BY {order or f'{ALIAS}.rowid'} LIMIT ?", (limit + 1,))
    )
    found = _fetch(query, auth)
    verdicts = []
    for record in found[:limit]:
        values = dict(zip(names, (_shown(v) for v in record[: len(names)])))
        flags = record[len(names) :]
        verdicts.append(
            RowVerdict(values, bool(flags[0]), tuple(bool(f) for f in flags[1:]))
        )
    return tuple(verdicts), len(found) > limit


def _updated_rows(
    info: TableInfo,
    auth: Auth,
    policies: PolicyCatalog,
    using_policies: tuple[PolicyDef, ...],
    check_policies: tuple[PolicyDef, ...],
    row: dict[str, Any],
    limit: int,
) -> tuple[tuple[RowVerdict, ...], bool]:
    """Stored rows with their `using` verdicts, and for each the new row (the
    stored one with `row`'s columns applied) with its `with check` verdicts.

    The stored rows are read as STORED inside a derived table whose columns
    are the new row's, named as the table's, so `with check` compiles against
    ALIAS exactly as for a request.
    """
    given = _given_values(info, row)
    names = list(info.columns)
    hidden = _hidden_names(names, len(names) + 1 + len(using_policies))
    stored = [Sql(f"{STORED}.{quote_ident(name)}") for name in names]
    flags = [
        _verdict(policies.predicate(info.name, "update", auth.role, STORED, "using"))
    ]
    flags.extend(
        _verdict(policies.policy_predicate(policy, "using", STORED))
        for policy in using_policies
    )
    new_row = [
        (Sql("?", (given[name],)) if name in given else value)
        + Sql(f" AS {quote_ident(name)}")
        for name, value in zip(names, stored)
    ]
    carried = [
        part + Sql(f" AS {quote_ident(alias)}")
        for part, alias in zip([*stored, *flags], hidden)
    ]
    order = ", ".join(f"{STORED}.{quote_ident(name)}" for name in info.primary_key)
    inner = (
        Sql("SELECT ")
        + Sql.join([*new_row, *carried], ", ")
        + Sql(f" FROM {quote_ident(info.name)} AS {STORED}")
        + Sql(f" ORDER BY {order or f'{STORED}.rowid'} LIMIT ?", (limit + 1,))
    )
    checks = [
        _verdict(policies.predicate(info.name, "update", auth.role, ALIAS, "check"))
    ]
    checks.extend(
        _verdict(_policy_predicate(policies, policy, "check"))
        for policy in check_policies
    )
    selected = [Sql(f"{ALIAS}.{quote_ident(alias)}") for alias in hidden]
    selected.extend(Sql(f"{ALIAS}.{quote_ident(name)}") for name in names)
    selected.extend(checks)
    query = (
        Sql("SELECT ")
        + Sql.join(selected, ", ")
        + inner.wrap(" FROM (", f") AS {ALIAS}")
    )
    found = _fetch(query, auth)
    count = len(names)
    omitted = tuple(name for name in names if name not in given)
    verdicts = []
    for record in found[:limit]:
        values = dict(zip(names, (_shown(v) for v in record[:count])))
        using = record[count : len(hidden)]
        merged = record[len(hidden) : len(hidden) + count]
        check = record[len(hidden) + count :]
        allowed = bool(using[0])
        verdicts.append(
            RowVerdict(
                values,
                allowed,
                tuple(bool(f) for f in using[1:]),
                CheckVerdict(
                    values=dict(zip(names, (_shown(v) for v in merged))),
                    omitted=omitted,
                    allowed=bool(check[0]),
                    verdicts=tuple(bool(f) for f in check[1:]),
                )
                if allowed
                else None,
            )
        )
    return tuple(verdicts), len(found) > limit


def _hidden_names(names: list[str], count: int) -> list[str]:
    """`count` column names for a derived table that no column of it takes."""
    taken = {name.casefold() for name in names}
    prefix = "koyalite_"
    while any(name.startswith(prefix) for name in taken):
        prefix += "_"
    return [f"{prefix}{n}" for n in range(count)]


def _given_values(info: TableInfo, row: dict[str, Any]) -> dict[str, object]:
    """A proposed row's values, each coerced to its column's type."""
    values = {}
    for name, value in row.items():
        column = info.column(name)
        if column is None:
            raise ColumnNotFound(info.name, name)
        values[name] = coerce.body_value(column, value)
    return values


def _check_row(
    info: TableInfo,
    command: RequestCommand,
    auth: Auth,
    policies: PolicyCatalog,
    applicable: tuple[PolicyDef, ...],
    row: dict[str, Any],
) -> CheckVerdict:
    given = _given_values(info, row)
    parts = []
    for name, column in info.columns.items():
        if name in given:
            value = Sql("?", (given[name],))
        elif column.default is not None:
            # The default as SQLite stores it: text from the database itself,
            # evaluated as an insert would evaluate it.
            value = Sql(f"({column.default})")
        else:
            value = Sql("NULL")
        parts.append(value + Sql(f" AS {quote_ident(name)}"))
    source = Sql.join(parts, ", ").wrap("(SELECT ", f") AS {ALIAS}")
    names = list(info.columns)
    combined = policies.predicate(info.name, command, auth.role, ALIAS, "check")
    selected = [Sql(f"{ALIAS}.{quote_ident(name)}") for name in names]
    selected.append(_verdict(combined))
    selected.extend(
        _verdict(_policy_predicate(policies, policy, "check")) for policy in applicable
    )
    query = Sql("SELECT ") + Sql.join(selected, ", ") + Sql(" FROM ") + source
    record = _fetch(query, auth)[0]
    flags = record[len(names) :]
    return CheckVerdict(
        values={name: _shown(value) for name, value in zip(names, record)},
        omitted=tuple(name for name in info.columns if name not in row),
        allowed=bool(flags[0]),
        verdicts=tuple(bool(f) for f in flags[1:]),
    )


def _shown(value: object) -> object:
    """A stored value as JSON can carry it."""
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    return value


def _fetch(query: Sql, auth: Auth) -> list[tuple]:
    raw = raw_connection()
    with deadline(int(TIME_LIMIT_SECONDS * 1000), raw):
        try:
            return raw.execute(query.text, bind(query, auth)).fetchall()
        except sqlite3.OperationalError as error:
            if str(error) == "interrupted":
                raise TesterTimeout(
                    f"evaluating the policies took longer than "
                    f"{TIME_LIMIT_SECONDS:g} s; simplify the policy or its subqueries"
                ) from None
            raise QueryFailed(str(error)) from None
