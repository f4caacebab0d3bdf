"""The schema editor's DDL: built from validated operations, names only
through `quote_ident`, run as a script through `database.runner` (the path
`koyalite sql` takes), optionally saved as a file in the project's
`migrations/` and recorded as applied, so `koyalite migrate` skips it.

A type change is `alter table … alter column … type … [using …]`, which the
runner carries out as SQLite's table rebuild (`database.rebuild`): rows,
keys, indexes, triggers, policies and the RLS flag stay, and a value that
does not convert fails the whole script.
"""

from __future__ import annotations

import datetime
import decimal
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from database.migrations_sql import checksum
from database.models import SqlMigration
from database.runner import run_statements, script_transaction, time_limit
from database.schema import get_schema, type_kind
from database.sql import quote_ident
from database.sqlscript.tokens import sql_string, tokenize

# Postgres type names the script layer understands, as the editor offers them.
TYPES: tuple[str, ...] = (
    "text", "varchar", "int2", "int4", "int8", "smallint", "integer", "bigint",
    "serial", "bigserial", "numeric", "real", "float8", "double precision",
    "bool", "boolean", "date", "time", "timestamp", "timestamptz", "json",
    "jsonb", "uuid", "bytea", "text[]", "int4[]", "int8[]", "uuid[]",
)  # fmt: skip
# What a column's type may change to: serial types only exist as a column is
# created (they are an integer with an identity default).
CHANGE_TYPES: tuple[str, ...] = tuple(
    t for t in TYPES if t not in ("serial", "bigserial")
)
# Defaults that are expressions rather than values; the translator rewrites them.
DEFAULT_EXPRESSIONS: tuple[str, ...] = (
    "now()", "gen_random_uuid()", "auth.uid()", "current_date",
)  # fmt: skip
ON_DELETE: tuple[str, ...] = (
    "no action",
    "restrict",
    "cascade",
    "set null",
    "set default",
)
# `auth.users` is the one table outside public a foreign key may name.
AUTH_USERS = "auth.users"


class DdlError(ValueError):
    """Input that cannot become DDL; `field` says which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Reference:
    table: str
    column: str
    on_delete: str = "no action"


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    type: str
    nullable: bool = True
    unique: bool = False
    primary_key: bool = False
    default_value: str | None = None
    default_expression: str | None = None
    references: Reference | None = None
    check: str | None = None


def column_sql(column: ColumnSpec, *, inline_key: bool) -> str:
    parts = [quote_ident(column.name), column.type]
    if inline_key:
        parts.append("primary key")
    if not column.nullable and not inline_key:
        parts.append("not null")
    if column.unique:
        parts.append("unique")
    if column.default_expression:
        parts.append(f"default {column.default_expression}")
    elif column.default_value is not None:
        parts.append(f"default {default_literal(column.type, column.default_value)}")
    if column.check:
        parts.append(f"check ({expression(column.check, 'check')})")
    if column.references is not None:
        ref = column.references
        parts.append(
            f"references {table_ref(ref.table)} ({quote_ident(ref.column)})"
            + ("" if ref.on_delete == "no action" else f" on delete {ref.on_delete}")
        )
    return " ".join(parts)


def table_ref(name: str) -> str:
    return AUTH_USERS if name == AUTH_USERS else quote_ident(name)


def default_literal(declared: str, value: str) -> str:
    """A default value as a SQL literal checked against the column's type:
    numbers and booleans written as such, anything else as a string."""
    kind, _ = type_kind(declared)
    text = value.strip()
    if kind == "boolean":
        if text.lower() not in ("true", "false"):
            raise DdlError("default_value", "a boolean default is true or false")
        return text.lower()
    if kind == "integer" and not declared.endswith("[]"):
        if not re.fullmatch(r"[+-]?\d+", text):
            raise DdlError("default_value", f"{value!r} is not an integer")
        return str(int(text))
    if kind == "numeric":
        try:
            number = decimal.Decimal(text)
        except decimal.InvalidOperation:
            raise DdlError("default_value", f"{value!r} is not a number") from None
        if not number.is_finite():
            raise DdlError("default_value", f"{value!r} is not a number")
        return str(number)
    return sql_string(value)


def expression(text: str, field: str) -> str:
    """A check or a `using` is operator SQL (they may run any SQL), but it must
    stay one balanced expression where the DDL puts it."""
    noun = "a check" if field == "check" else "a using expression"
    depth = 0
    for token in tokenize(text):
        if token.kind == "symbol" and token.text == ";":
            raise DdlError(field, f"{noun} is one expression, without ';'")
        if token.kind == "symbol" and token.text == "(":
            depth += 1
        elif token.kind == "symbol" and token.text == ")":
            depth -= 1
            if depth < 0:
                break
    if depth != 0 or not text.strip():
        raise DdlError(field, f"{noun} needs one expression with balanced brackets")
    return text.strip()


def create_table_sql(name: str, columns: list[ColumnSpec], enable_rls: bool) -> str:
    keys = [c.name for c in columns if c.primary_key]
    lines = [
        "  " + column_sql(c, inline_key=len(keys) == 1 and c.primary_key)
        for c in columns
    ]
    if len(keys) > 1:
        lines.append("  primary key (" + ", ".join(quote_ident(k) for k in keys) + ")")
    statements = [f"create table {quote_ident(name)} (\n" + ",\n".join(lines) + "\n)"]
    if enable_rls:
        statements.append(rls_sql(name, True))
    return script(statements)


def add_column_sql(table: str, column: ColumnSpec) -> str:
    return script(
        [
            f"alter table {quote_ident(table)} add column {column_sql(column, inline_key=False)}"
        ]
    )


def rename_column_sql(table: str, column: str, new_name: str) -> str:
    return script(
        [
            f"alter table {quote_ident(table)} rename column "
            f"{quote_ident(column)} to {quote_ident(new_name)}"
        ]
    )


def change_column_type_sql(
    table: str, column: str, new_type: str, using: str | None
) -> str:
    """`alter column … type …` for a column that exists; `using` converts."""
    with connection.cursor() as cursor:
        info = get_schema(cursor).table(table)
    if info is None or info.is_view:
        raise DdlError("table", f"There is no table named {table!r}.")
    if column not in info.columns:
        raise DdlError("column", f"Table {table!r} has no column {column!r}.")
    statement = (
        f"alter table {quote_ident(table)} alter column {quote_ident(column)} "
        f"type {new_type}"
    )
    if using:
        statement += f" using {expression(using, 'using')}"
    return script([statement])


def drop_column_sql(table: str, column: str) -> str:
    return script(
        [f"alter table {quote_ident(table)} drop column {quote_ident(column)}"]
    )


def create_index_sql(table: str, columns: list[str], name: str, unique: bool) -> str:
    cols = ", ".join(quote_ident(c) for c in columns)
    head = "create unique index" if unique else "create index"
    return script([f"{head} {quote_ident(name)} on {quote_ident(table)} ({cols})"])


def drop_index_sql(name: str) -> str:
    return script([f"drop index {quote_ident(name)}"])


def rename_table_sql(table: str, new_name: str) -> str:
    return script(
        [f"alter table {quote_ident(table)} rename to {quote_ident(new_name)}"]
    )


def drop_table_sql(table: str) -> str:
    return script([f"drop table {quote_ident(table)}"])


def rls_sql(table: str, enabled: bool) -> str:
    verb = "enable" if enabled else "disable"
    return f"alter table {quote_ident(table)} {verb} row level security"


def set_rls_sql(table: str, enabled: bool) -> str:
    return script([rls_sql(table, enabled)])


def script(statements: list[str]) -> str:
    return "".join(statement + ";\n" for statement in statements)


# ---------------------------------------------------------------- running


@dataclass(frozen=True, slots=True)
class Applied:
    statuses: list[str]
    migration: str | None  # the file written to migrations/, if asked


def apply(sql: str, *, save_as: str | None = None) -> Applied:
    """Run `sql` in one transaction within the Studio's time limit; with
    `save_as` (a slug), also write it to migrations/ and record it applied in
    the same transaction, so the file and the database cannot disagree."""
    written: Path | None = None
    try:
        with (
            script_transaction(sql) as cursor,
            time_limit(settings.STUDIO_SQL_TIME_LIMIT_MS),
        ):
            results = run_statements(cursor, sql)
            if save_as is not None:
                written = _write_migration(sql, save_as)
                content = written.read_bytes()
                SqlMigration.objects.create(
                    name=written.name, checksum=checksum(content)
                )
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    return Applied([r.status for r in results], written.name if written else None)


def _write_migration(sql: str, slug: str) -> Path:
    directory = settings.PROJECT_DIR / "migrations"
    directory.mkdir(exist_ok=True)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d%H%M%S")
    path = directory / f"{stamp}_{slug}.sql"
    content = f"-- {path.name}: made in the Studio's schema editor.\n{sql}"
    # "x": never overwrite a migration someone already has.
    with path.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(content)
    return path


# ---------------------------------------------------------------- reading


def describe() -> list[dict]:
    """Tables and views with their columns, indexes and RLS state, for the page."""
    from rls.services import enabled_tables

    with connection.cursor() as cursor:
        schema = get_schema(cursor)
        cursor.execute(
            "SELECT name, tbl_name, sql FROM sqlite_schema "
            "WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
        )
        indexes: dict[str, list[dict]] = {}
        for name, table, sql in cursor.fetchall():
            indexes.setdefault(table, []).append({"name": name, "sql": sql})
    secured = set(enabled_tables())
    tables = []
    for name, table in sorted(schema.tables.items()):
        keys = {fk.columns[0]: fk for fk in table.foreign_keys if len(fk.columns) == 1}
        tables.append(
            {
                "name": name,
                "is_view": table.is_view,
                "rls": name in secured,
                "columns": [
                    {
                        "name": c.name,
                        "type": c.declared_type,
                        "nullable": c.nullable,
                        "default": c.default,
                        "primary_key": c.primary_key > 0,
                        "references": (
                            f"{keys[c.name].ref_table}.{keys[c.name].ref_columns[0]}"
                            if c.name in keys and keys[c.name].ref_columns
                            else None
                        ),
                    }
                    for c in table.columns.values()
                ],
                "indexes": indexes.get(name, []),
            }
        )
    return tables
