"""Views read under their caller's policies: analysis, inlining, checks.

`create view … with (security_invoker = true)` is kept in the view's own SQL
(see `database/sqlscript/view_options.py`) and read back by the schema cache
into `TableInfo.security_invoker`, so every process sees it.

A security_invoker view reads under its caller's policies, as in Postgres 15.
SQLite always reads a view as itself, so the planner inlines it: `analyse`
finds every table reference in the view's SELECT (sqlglot parses it) and
`plan_view` pairs each with that table's select policy for the caller;
`database/compiler.py` writes the view's own text with each such reference
replaced by a subquery filtered by the policy. `check_security_invoker` runs
when the option is set and refuses a view whose references, so found, are not
every table SQLite reads for it. `tables_read` tells `koyalite serve` which
tables a view without the option reads past their policies.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from database.errors import InsufficientPrivilege, InvalidView, ViewNotWritable
from database.schema import SchemaCache, TableInfo, is_internal_table
from database.sql import Sql, quote_ident
from database.sqlscript.view_options import query_start

# Views reading views reading views: deeper than this is refused, not inlined.
MAX_DEPTH = 16


# ---------------------------------------------------------------- analysis


@dataclass(frozen=True, slots=True)
class TableReference:
    """A table named in a view's query: `name` spans [start, end) of the query."""

    start: int
    end: int
    name: str
    has_alias: bool


@dataclass(frozen=True, slots=True)
class ViewQuery:
    """The SELECT of a view and the tables it names, in text order."""

    text: str
    references: tuple[TableReference, ...]
    cte_names: frozenset[str]  # casefolded


def analyse(view: TableInfo) -> ViewQuery:
    """Parse a view's query and find the tables it names."""
    try:
        return _analyse(view.definition or "")
    except InvalidView as error:
        raise InvalidView(
            f'view "{view.name}" cannot be read under its caller\'s policies: '
            f"{error.message}",
            hint="Simplify the view's query, or drop security_invoker and "
            "protect it another way.",
        ) from None


@lru_cache(maxsize=256)
def _analyse(definition: str) -> ViewQuery:
    start = query_start(definition)
    if start < 0:
        raise InvalidView("cannot find its query")
    text = definition[start:]
    tree = _parse(text)
    cte_names = frozenset(
        cte.alias_or_name.casefold() for cte in tree.find_all(exp.CTE)
    )
    references = []
    for table in tree.find_all(exp.Table):
        name = table.this
        if not isinstance(name, exp.Identifier):
            continue  # a table-valued function: json_each(…)
        if table.args.get("catalog") is not None:
            raise InvalidView(f"names a table in another database: {table.sql()}")
        schema = table.args.get("db")
        if schema is not None and schema.name.casefold() != "main":
            raise InvalidView(f"names a table in schema '{schema.name}'")
        if schema is None and name.name.casefold() in cte_names:
            continue
        first = schema if schema is not None else name
        if "start" not in first.meta or "end" not in name.meta:
            raise InvalidView(f"cannot place table '{name.name}' in its query")
        references.append(
            TableReference(
                first.meta["start"],
                name.meta["end"] + 1,
                name.name,
                table.args.get("alias") is not None,
            )
        )
    references.sort(key=lambda r: r.start)
    return ViewQuery(text, tuple(references), cte_names)


def _check_cte_names(view: TableInfo, query: ViewQuery, schema: SchemaCache) -> None:
    for name in query.cte_names:
        if schema.find_table(name) is not None or is_internal_table(name):
            raise InvalidView(
                f'view "{view.name}" names a common table expression "{name}" '
                "after a table; rename it so every table it reads is known",
            )


# ---------------------------------------------------------------- column origins

# A view column's origin: the base table and column it reads unchanged.
Origin = tuple[str, str]


def base_columns(
    view: TableInfo, schema: SchemaCache, depth: int = 0
) -> dict[str, Origin]:
    """The columns of `view` that are plain references to a base-table column,
    renamed or not, and the (table, column) each reads.

    Postgres marks such columns (a target entry's `resorigtbl`) and PostgREST
    infers a view's keys and relationships from them (`SchemaCache.hs
    allViewsKeyDependencies`); so here: through subqueries, CTEs and views
    inside, a bare or qualified column or `*` keeps its origin, any other
    expression (a cast, a function, an aggregate, a set operation) has none.
    An unreadable query has no origins rather than an error: the view still
    reads, it only cannot be embedded.
    """
    if depth > MAX_DEPTH:
        return {}
    try:
        tree = _parse(query_text(view))
    except InvalidView:
        return {}
    ctes = {}
    for cte in tree.find_all(exp.CTE):
        ctes.setdefault(cte.alias_or_name.casefold(), cte.this)
    outputs = _Origins(schema, ctes, depth).outputs(tree, 0)
    if len(outputs) != len(view.columns):
        return {}
    # By position: `create view v (a, b) as …` renames what the query names.
    return {
        name: origin
        for name, (_, origin) in zip(view.columns, outputs)
        if origin is not None
    }


def query_text(view: TableInfo) -> str:
    """The SELECT of a view's `CREATE VIEW` statement."""
    definition = view.definition or ""
    start = query_start(definition)
    if start < 0:
        raise InvalidView("cannot find its query")
    return definition[start:]


@lru_cache(maxsize=256)
def _parse(text: str) -> exp.Expression:
    try:
        return sqlglot.parse_one(text, dialect="sqlite")
    except SqlglotError as error:
        raise InvalidView(f"its query does not parse: {error}") from None


# An output column of a query: its name and its origin, if any.
_Output = tuple[str, Origin | None]


class _Origins:
    """Follow a query's output columns back to the base-table columns."""

    def __init__(
        self,
        schema: SchemaCache,
        ctes: dict[str, exp.Expression],
        depth: int,
    ) -> None:
        self.schema = schema
        self.ctes = ctes
        self.depth = depth

    def outputs(self, query: exp.Expression, level: int) -> list[_Output]:
        if level > MAX_DEPTH:
            return []
        if isinstance(query, exp.Subquery):
            return self.outputs(query.this, level + 1)
        if not isinstance(query, exp.Select):
            # A set operation: Postgres gives its columns no origin.
            names = getattr(query, "named_selects", [])
            return [(name, None) for name in names]
        sources = self.sources(query, level)
        found: list[_Output] = []
        for item in query.expressions:
            target = item.this if isinstance(item, exp.Alias) else item
            if isinstance(target, exp.Star):
                for columns in sources.values():
                    found.extend(columns)
            elif isinstance(target, exp.Column) and isinstance(target.this, exp.Star):
                found.extend(sources.get(target.table.casefold(), []))
            elif isinstance(target, exp.Column):
                found.append((item.alias_or_name, _resolve(target, sources)))
            else:
                found.append((item.alias_or_name, None))
        return found

    def sources(self, query: exp.Select, level: int) -> dict[str, list[_Output]]:
        """Each table or subquery the query reads from, by its alias."""
        found: dict[str, list[_Output]] = {}
        items = []
        start = query.args.get("from_") or query.args.get("from")
        if start is not None:
            items.append(start.this)
        items.extend(join.this for join in query.args.get("joins") or ())
        for item in items:
            alias = item.alias_or_name.casefold()
            if isinstance(item, exp.Subquery):
                found[alias] = self.outputs(item.this, level + 1)
            elif isinstance(item, exp.Table) and isinstance(item.this, exp.Identifier):
                found[alias] = self.table_outputs(item, level)
            else:
                found[alias] = []  # json_each(…), values: no base columns
        return found

    def table_outputs(self, item: exp.Table, level: int) -> list[_Output]:
        name = item.name
        if item.args.get("db") is None and name.casefold() in self.ctes:
            return self.outputs(self.ctes[name.casefold()], level + 1)
        table = self.schema.find_table(name)
        if table is None:
            return []
        if not table.is_view:
            return [(column, (table.name, column)) for column in table.columns]
        inner = base_columns(table, self.schema, self.depth + 1)
        return [(column, inner.get(column)) for column in table.columns]


def _resolve(column: exp.Column, sources: dict[str, list[_Output]]) -> Origin | None:
    """The origin of a column reference: its source's column of that name,
    found as SQLite finds it (names ignore case; unqualified, in exactly one
    source)."""
    wanted = column.name.casefold()
    qualifier = column.table.casefold()
    candidates = [sources.get(qualifier, [])] if qualifier else list(sources.values())
    matches = [
        origin
        for outputs in candidates
        for name, origin in outputs
        if name.casefold() == wanted
    ]
    return matches[0] if len(matches) == 1 else None


# ---------------------------------------------------------------- planning


@dataclass(frozen=True, slots=True)
class FilteredTable:
    """A base table read through a policy: `policy` names the row as `alias`."""

    table: TableInfo
    alias: str
    policy: Sql


@dataclass(frozen=True, slots=True)
class InlinedView:
    """A security_invoker view with the references that must be replaced."""

    view: TableInfo
    query: ViewQuery
    sources: tuple[tuple[TableReference, FilteredTable | InlinedView], ...]


def plan_view(
    view: TableInfo,
    schema: SchemaCache,
    policy: Callable[[str, str], Sql | None],
    next_alias: Callable[[], str],
    depth: int = 0,
) -> InlinedView | None:
    """How to read `view` for a caller whom RLS applies to; None: as it stands.

    `policy(table, alias)` is the caller's select predicate on `table` (None
    when RLS does not filter it). A security_invoker view inside is inlined
    too; any other view reads raw rows, as a Postgres view run by its owner.
    """
    if depth > MAX_DEPTH:
        raise InvalidView(f'view "{view.name}" nests views more than {MAX_DEPTH} deep')
    query = analyse(view)
    _check_cte_names(view, query, schema)
    sources: list[tuple[TableReference, FilteredTable | InlinedView]] = []
    for reference in query.references:
        table = schema.find_table(reference.name)
        if table is None:
            if is_internal_table(reference.name):
                # Postgres grants anon and authenticated nothing on auth.users.
                raise InsufficientPrivilege(
                    f"permission denied for table {reference.name}",
                    details=f'view "{view.name}" is security_invoker and reads it',
                )
            continue
        if table.is_view:
            if table.security_invoker:
                inner = plan_view(table, schema, policy, next_alias, depth + 1)
                if inner is not None:
                    sources.append((reference, inner))
            continue
        alias = next_alias()
        predicate = policy(table.name, alias)
        if predicate is not None:
            sources.append((reference, FilteredTable(table, alias, predicate)))
    if not sources:
        return None
    return InlinedView(view, query, tuple(sources))


def check_writable(table: TableInfo, bypasses_rls: bool) -> None:
    """Refuse a write through a security_invoker view when RLS applies: its
    triggers would write the base tables past their policies."""
    if table.security_invoker and not bypasses_rls:
        raise ViewNotWritable(table.name)


# ---------------------------------------------------------------- checks


@contextmanager
def _reads(raw: sqlite3.Connection) -> Iterator[set[str]]:
    """Collect the tables and views SQLite reads for statements prepared inside."""
    found: set[str] = set()

    def authorizer(action: int, table: str | None, *_: str | None) -> int:
        if action == sqlite3.SQLITE_READ and table:
            found.add(table)
        return sqlite3.SQLITE_OK

    raw.set_authorizer(authorizer)
    try:
        yield found
    finally:
        raw.set_authorizer(None)


def tables_read(raw: sqlite3.Connection, view: TableInfo) -> set[str]:
    """Every table and view SQLite reads to answer `select * from view`; none
    for a view SQLite cannot prepare (one over a dropped table)."""
    try:
        with _reads(raw) as found:
            raw.execute(f"EXPLAIN SELECT * FROM {quote_ident(view.name)}").fetchall()
    except sqlite3.Error:
        return set()
    return found


def check_security_invoker(
    raw: sqlite3.Connection, view: TableInfo, schema: SchemaCache
) -> None:
    """Refuse a view KoyaLite could not read under its caller's policies.

    Every reference `analyse` found is replaced by a row of NULLs, as the
    compiler replaces it by a filtered subquery; if SQLite then still reads
    a user table, a reference went unnoticed (`x in some_table`, say) and the
    view would leak it.
    """
    query = analyse(view)
    _check_cte_names(view, query, schema)
    pieces, position = [], 0
    for reference in query.references:
        table = schema.find_table(reference.name)
        if table is None:
            continue
        nulls = ", ".join(f"NULL AS {quote_ident(c)}" for c in table.columns)
        pieces.append(query.text[position : reference.start] + f"(SELECT {nulls})")
        if not reference.has_alias:
            pieces.append(f" AS {quote_ident(reference.name)}")
        position = reference.end
    pieces.append(query.text[position:])
    try:
        with _reads(raw) as found:
            raw.execute("EXPLAIN " + "".join(pieces)).fetchall()
    except sqlite3.Error as error:
        raise InvalidView(
            f'view "{view.name}" cannot be read under its caller\'s policies: {error}'
        ) from None
    missed = sorted(name for name in found if schema.find_table(name) is not None)
    if missed:
        raise InvalidView(
            f'view "{view.name}" reads {", ".join(missed)} in a way KoyaLite '
            "cannot apply policies to",
            hint="Read tables in from or join clauses: `x in (select … from t)`, "
            "not `x in t`.",
        )
