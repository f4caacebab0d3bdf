"""Change a column's type by rebuilding its table, the way SQLite documents it.

SQLite cannot alter a column's type ("Making Other Kinds Of Table Schema
Changes", https://www.sqlite.org/lang_altertable.html): create the table anew
from the `CREATE TABLE` SQLite keeps, with only that column's type changed, copy
the rows converting the column, drop the old table, rename the new one into its
place, re-create the old table's indexes and triggers.

Dropping a table deletes its rows first, which fires `on delete` actions in
tables that reference it unless foreign keys are off. They can only be switched
off outside a transaction, so the runner does that before the script's
transaction begins and runs `PRAGMA foreign_key_check` before it commits
(`database.runner.script_transaction`).

Rows keep their rowid and primary key. Policies and the RLS flag are kept by
table name (`rls`), and views and other tables' triggers name the table, so all
of them read the new table.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import orjson

from database.coerce import body_value, body_value_of_kind, filter_value
from database.errors import (
    ColumnNotFound,
    InvalidValue,
    QueryFailed,
    StringTooLong,
    TableNotFound,
)
from database.schema import ColumnInfo, SchemaCache, TableInfo, type_kind
from database.sql import quote_ident
from database.sqlscript.ddl import ColumnTypeChange, DdlRewrites
from database.sqlscript.statements import Statement
from database.sqlscript.vocabulary import TABLE_CONSTRAINTS
from koyalite.errors import KoyaError

Authorizer = Callable[[int, str | None, str | None, str | None, str | None], int]
_CONVERT = "koyalite_convert_column"


def change_column_type(
    raw: sqlite3.Connection,
    change: ColumnTypeChange,
    schema: SchemaCache,
    *,
    authorizer: Authorizer | None = None,
) -> bool:
    """Rebuild `change.table` with the column's new type; False when skipped.

    Runs inside the caller's transaction with foreign keys off. Raises
    `KoyaError` for a value that does not convert (naming the column and the
    row) and `sqlite3.Error` for what SQLite refuses. `authorizer` guards the
    copy, the one statement that runs the user's `using` expression.
    """
    table = schema.find_table(change.table)
    if table is None:
        if change.if_exists:
            return False  # Postgres: NOTICE relation does not exist, skipping
        raise TableNotFound(change.table)
    if table.is_view:
        raise QueryFailed(f'"{table.name}" is a view; change the type in its table')
    column = _find_column(table, change.column)
    if column.generated:
        raise QueryFailed(f'cannot alter type of generated column "{column.name}"')
    if raw.execute("PRAGMA foreign_keys").fetchone()[0]:
        # Dropping the old table would fire `on delete cascade` elsewhere.
        raise QueryFailed("a column's type can only change with foreign keys off")
    (create_sql,) = raw.execute(
        "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?",
        (table.name,),
    ).fetchone()
    if create_sql.lstrip()[:14].lower().startswith("create virtual"):
        raise QueryFailed(
            f'cannot alter type of a column of virtual table "{table.name}"'
        )
    target = _declared_type(change.declared_type, column)
    new_column = _with_type(column, target)
    new_name = _free_name(raw, f"{table.name}_new")
    definition = _TableDefinition(create_sql)
    # A key that stops being the rowid would take NULL in SQLite; Postgres never.
    needs_not_null = column.primary_key > 0 and not (
        len(table.primary_key) == 1 and target.lower() == "integer"
    )
    new_sql = definition.rewritten(new_name, column.name, target, needs_not_null)
    dependents = raw.execute(
        "SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type IN "
        "('index', 'trigger') AND sql IS NOT NULL ORDER BY type, rowid",
        (table.name,),
    ).fetchall()

    raw.execute(new_sql)
    _copy_rows(
        raw, table, column, new_column, new_name, change.using, definition, authorizer
    )
    raw.execute(f"DROP TABLE {quote_ident(table.name)}")
    with _legacy_rename(raw):
        raw.execute(
            f"ALTER TABLE {quote_ident(new_name)} RENAME TO {quote_ident(table.name)}"
        )
    for (sql,) in dependents:
        raw.execute(sql)
    return True


def _find_column(table: TableInfo, name: str) -> ColumnInfo:
    found = table.column(name)
    if found is None:
        folded = name.casefold()
        found = next(
            (c for c in table.columns.values() if c.name.casefold() == folded), None
        )
    if found is None:
        raise ColumnNotFound(table.name, name)
    return found


def _declared_type(declared: str, column: ColumnInfo) -> str:
    """The type to declare: `integer` stays for the rowid alias.

    Only `integer` keeps a primary key SQLite's rowid, which fills itself in as
    identity columns do; SQLite's integers are 64-bit, so bigint loses nothing.
    """
    if column.is_rowid_alias and type_kind(declared)[0] == "integer":
        return "integer"
    return declared


def _with_type(column: ColumnInfo, declared: str) -> ColumnInfo:
    kind, element = type_kind(declared.strip('"'))
    return replace(
        column, declared_type=declared.strip('"'), kind=kind, element_kind=element
    )


def _free_name(raw: sqlite3.Connection, name: str) -> str:
    candidate, n = name, 1
    while raw.execute(
        "SELECT 1 FROM sqlite_schema WHERE name = ? COLLATE NOCASE", (candidate,)
    ).fetchone():
        n += 1
        candidate = f"{name}{n}"
    return candidate


@contextmanager
def _legacy_rename(raw: sqlite3.Connection) -> Iterator[None]:
    """Rename without re-parsing the schema's views and triggers.

    Since SQLite 3.26 a rename checks every view and trigger, and those naming
    the table just dropped fail ("error in view v: no such table"). The legacy
    rename leaves them alone, and they name the table the rename brings back.
    """
    (before,) = raw.execute("PRAGMA legacy_alter_table").fetchone()
    raw.execute("PRAGMA legacy_alter_table = ON")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA legacy_alter_table = {'ON' if before else 'OFF'}")


class _TableDefinition(DdlRewrites):
    """A stored `CREATE TABLE`, edited by token as the translator edits."""

    def __init__(self, sql: str) -> None:
        super().__init__(Statement(1, 1, sql))

    def rewritten(
        self, name: str, column: str, declared: str, needs_not_null: bool
    ) -> str:
        k = 2 + (3 if self.is_words(2, "if", "not", "exists") else 0)
        table = self.qualified(k)
        if table is None or self.symbol(table.end) != "(":
            raise QueryFailed("cannot read the table's definition")
        opening = table.end
        closing = self.group_end(opening) - 1
        self.replace(table.start, table.end, quote_ident(name))
        folded = column.casefold()
        for start, end in self.elements(opening + 1, closing):
            if self.word(start) in TABLE_CONSTRAINTS:
                continue
            if (self.name(start) or "").casefold() != folded:
                continue
            type_end = self.type_end(start + 1, end)
            if type_end > start + 1:
                self.replace(start + 1, type_end, declared)
            else:
                self.replace(start, start + 1, f"{self.tokens[start].text} {declared}")
            if needs_not_null and not any(
                self.is_words(k, "not", "null") for k in range(start, end)
            ):
                self.prefix(end, " not null")
            return self.output()
        raise QueryFailed(f'cannot find column "{column}" in the table\'s definition')

    def has_rowid(self) -> bool:
        return not any(
            self.is_words(k, "without", "rowid") for k in range(len(self.tokens))
        )


def _copy_rows(
    raw: sqlite3.Connection,
    table: TableInfo,
    column: ColumnInfo,
    new_column: ColumnInfo,
    new_name: str,
    using: str | None,
    definition: _TableDefinition,
    authorizer: Authorizer | None,
) -> None:
    """Copy every row, converting the column as `using` says or by its type."""
    names = [c.name for c in table.columns.values() if not c.generated]
    keys = table.primary_key or ()
    key = keys[0] if len(keys) == 1 else None
    source = quote_ident(column.name) if using is None else f"({using})"
    selected = [
        f"{_CONVERT}({source}, {quote_ident(key) if key else 'rowid'})"
        if n == column.name
        else quote_ident(n)
        for n in names
    ]
    targets = [quote_ident(n) for n in names]
    new_is_alias = bool(
        key
        and (new_column if key == column.name else table.columns[key]).is_rowid_alias
    )
    if definition.has_rowid() and not new_is_alias:
        free = next(
            (r for r in ("rowid", "_rowid_", "oid") if r not in table.columns), None
        )
        if free is not None:
            targets.insert(0, free)
            selected.insert(0, free)
    failure: list[KoyaError] = []

    def convert(value: object, row: object) -> object:
        try:
            return converted(value, column if using is None else None, new_column)
        except KoyaError as error:
            where = f'column "{column.name}", row {key or "rowid"} = {row}'
            failure.append(
                type(error)(
                    f"{error.message} ({where})",
                    hint=(
                        "Fix the value first, or say how to convert it: "
                        f"alter column {quote_ident(column.name)} type "
                        f"{new_column.declared_type} using <expression>."
                    ),
                )
            )
            raise

    raw.create_function(_CONVERT, 2, convert)
    if authorizer is not None:
        raw.set_authorizer(authorizer)
    try:
        raw.execute(
            f"INSERT INTO {quote_ident(new_name)} ({', '.join(targets)}) "
            f"SELECT {', '.join(selected)} FROM {quote_ident(table.name)}"
        )
    except sqlite3.Error:
        if failure:
            raise failure[0] from None
        raise
    finally:
        if authorizer is not None:
            raw.set_authorizer(None)
        raw.create_function(_CONVERT, 2, None)


def converted(value: object, source: ColumnInfo | None, target: ColumnInfo) -> object:
    """A stored value as `target` stores it; `KoyaError` when it does not convert.

    As Postgres casts: through the value's text, so 'abc' is no integer (SQLite's
    CAST would make it 0); booleans read as true/false, numbers round to integers.
    `source` is the column the value came from, None for a `using` expression.
    """
    if value is None:
        return None
    if isinstance(value, bytes):
        if target.kind == "blob":
            return value
        try:
            value = value.decode()
        except UnicodeDecodeError:
            raise InvalidValue(
                f"a blob is not valid text for type {target.declared_type}"
            ) from None
    was_boolean = source is not None and source.kind == "boolean"
    if was_boolean and isinstance(value, int) and target.kind != "boolean":
        if target.kind in ("text", "blob"):
            value = "true" if value else "false"
    if target.kind == "boolean" and isinstance(value, int | float):
        return 1 if value else 0
    if target.kind == "integer" and isinstance(value, float):
        rounded = Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        value = int(rounded)
    if isinstance(value, int):
        if target.kind in ("integer", "numeric"):
            return body_value_of_kind(target.kind, value, target.number_type)
    if target.kind in ("text", "blob"):
        text = _text(value)
        limit = target.max_length
        if limit is not None and len(text) > limit:
            raise StringTooLong(
                f"value too long for type {target.length_type}({limit})"
            )
        return text
    if target.kind == "array":
        return body_value(target, value)
    if target.kind == "json":
        text = _text(value)
        try:
            orjson.loads(text)
        except orjson.JSONDecodeError:
            raise InvalidValue(
                f'invalid input syntax for type json: "{text}"'
            ) from None
        return text
    return filter_value(target, _text(value))


def _text(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)
