"""Compiled values, the scopes names resolve in, and the kinds of columns."""

from __future__ import annotations

from dataclasses import dataclass

from database.schema import ColumnInfo, TableInfo
from database.sql import Sql, quote_ident

MAX_EXPRESSION_LENGTH = 10_000

# `now()` in the form database/coerce.py stores a timestamptz. Comparisons with
# dates and timestamps still go through julianday(), which reads every ISO 8601
# spelling (T or space, offset or none) alike.

TEMPORAL = frozenset({"date", "time", "timestamp", "timestamptz"})
PG_TYPE_NAMES = {
    "text": "text",
    "integer": "integer",
    "numeric": "numeric",
    "boolean": "boolean",
    "uuid": "uuid",
    "date": "date",
    "time": "time without time zone",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "json": "jsonb",
    "array": "array",
    "blob": "bytea",
    "unknown": "unknown",
}
TRUE_WORDS = frozenset({"t", "tr", "tru", "true", "y", "ye", "yes", "on", "1"})
FALSE_WORDS = frozenset({"f", "fa", "fal", "fals", "false", "n", "no", "off", "0"})
CALLABLE = (
    "auth.uid(), auth.role(), auth.email(), auth.jwt(), storage.foldername(), "
    "storage.filename(), storage.extension(), coalesce, nullif, lower, upper, "
    "length, char_length, trim, now(), current_timestamp, current_date"
)


@dataclass(frozen=True, slots=True)
class Source:
    """A FROM item visible to the expression."""

    name: str  # how the expression refers to it: its alias, else the table name
    schema: str | None  # "public"/"auth" unless aliased, for `public.todos.id`
    table: TableInfo
    sql_alias: str


@dataclass(frozen=True, slots=True)
class Scope:
    sources: tuple[Source, ...]
    parent: Scope | None


@dataclass(frozen=True, slots=True)
class Value:
    """Compiled SQL and the kind of value it yields ("unknown" when untyped)."""

    sql: Sql
    kind: str
    element: str | None = None  # an array's element kind


def find_column(table: TableInfo, name: str) -> ColumnInfo | None:
    column = table.columns.get(name)
    if column is not None:
        return column
    folded = name.casefold()
    matches = [c for c in table.columns.values() if c.name.casefold() == folded]
    return matches[0] if len(matches) == 1 else None


def column_kind(column: ColumnInfo) -> str:
    # A column declared without a type holds anything: do not guess.
    return column.kind if column.declared_type.strip() else "unknown"


def from_item(source: Source) -> str:
    return f"{quote_ident(source.table.name)} AS {quote_ident(source.sql_alias)}"


def number_kind(number: int | float) -> str:
    return "integer" if isinstance(number, int) else "numeric"


def temporal(left: Value, right: Value) -> tuple[Sql, Sql]:
    """Compare dates and timestamps by value: stored text may be spelt in any
    ISO 8601 form (`T` or space, `Z`/offset or none), which text comparison
    would order wrongly."""
    if left.kind in TEMPORAL or right.kind in TEMPORAL:
        return left.sql.wrap("julianday(", ")"), right.sql.wrap("julianday(", ")")
    return left.sql, right.sql
