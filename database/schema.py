"""The schema cache: user tables as SQLite describes them.

The database is the truth. Tables, columns, declared types, defaults, keys and
indexes are read from `sqlite_schema` and PRAGMAs and cached under
`PRAGMA schema_version`, which SQLite bumps on every DDL from any connection, so
the next request after a change sees it. KoyaLite's own (Django) tables are
internal: never described here, and user tables may not take their names.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Literal

from django.apps import apps

TypeKind = Literal[
    "text", "integer", "numeric", "boolean", "uuid", "date", "time",
    "timestamp", "timestamptz", "json", "array", "blob",
]  # fmt: skip

# Declared type (lowercase, without "(n)") → kind. Anything unknown is text,
# which is what SQLite itself does with a type it does not recognise.
_KINDS: dict[str, TypeKind] = {
    "boolean": "boolean", "bool": "boolean",
    "integer": "integer", "int": "integer", "int2": "integer", "int4": "integer",
    "int8": "integer", "bigint": "integer", "smallint": "integer",
    "serial": "integer", "bigserial": "integer", "smallserial": "integer",
    "numeric": "numeric", "decimal": "numeric", "real": "numeric",
    "float": "numeric", "float4": "numeric", "float8": "numeric",
    "double": "numeric", "double precision": "numeric",
    "uuid": "uuid",
    "date": "date",
    "time": "time", "timetz": "time", "time with time zone": "time",
    "time without time zone": "time",
    "timestamp": "timestamp", "timestamp without time zone": "timestamp",
    "datetime": "timestamp",
    "timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
    "json": "json", "jsonb": "json",
    "bytea": "blob", "blob": "blob",
}  # fmt: skip

_ARGS = re.compile(r"\s*\(.*?\)\s*")
_PRECISION = re.compile(r"\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")
_LENGTH = re.compile(
    r"\s*(varchar|character\s+varying|char|character|bpchar)\s*\(\s*(\d+)\s*\)\s*",
    re.IGNORECASE,
)

# Declared number type → the Postgres type whose range it has. Anything else of
# kind integer is bigint: SQLite's own integers are 64-bit.
_NUMBER_TYPES: dict[str, str] = {
    "smallint": "smallint", "int2": "smallint",
    "smallserial": "smallint", "serial2": "smallint",
    "integer": "integer", "int": "integer", "int4": "integer",
    "serial": "integer", "serial4": "integer",
    "bigint": "bigint", "int8": "bigint", "bigserial": "bigint", "serial8": "bigint",
    "numeric": "numeric", "decimal": "numeric",
    "real": "real", "float4": "real",
    "float": "double precision", "float8": "double precision",
    "double": "double precision", "double precision": "double precision",
}  # fmt: skip


@cache
def number_type(declared: str) -> str:
    """The Postgres number type of a declared type (or its array's elements):
    the range and name a value is checked against."""
    name = " ".join(_ARGS.sub("", declared.strip().lower()).split())
    name = name.removesuffix("[]").strip()
    kind = _KINDS.get(name, "text")
    return _NUMBER_TYPES.get(name, "bigint" if kind == "integer" else "numeric")


def type_kind(declared: str) -> tuple[TypeKind, TypeKind | None]:
    """Return (kind, element kind) for a declared column type such as `text[]`."""
    name = _ARGS.sub("", declared.strip().lower())
    name = " ".join(name.split())
    if name.endswith("[]"):
        element = _KINDS.get(name[:-2].strip(), "text")
        return "array", element
    return _KINDS.get(name, "text"), None


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    name: str
    declared_type: str
    kind: TypeKind
    element_kind: TypeKind | None
    nullable: bool
    default: str | None
    primary_key: int  # position in the primary key, 0 when not part of it
    generated: bool  # computed by SQLite (GENERATED ... AS); never written

    @property
    def has_default(self) -> bool:
        return self.default is not None or self.is_rowid_alias

    @property
    def number_type(self) -> str:
        """`smallint`, `integer`, `bigint`, `numeric`, `numeric(p,s)`, `real` or
        `double precision`: what a number for this column is checked against."""
        if self.is_rowid_alias:
            # The rowid: 64-bit whatever Postgres type the column began as
            # (identity and serial keys are all declared `integer`).
            return "bigint"
        kind = number_type(self.declared_type)
        if kind == "numeric" and (match := _PRECISION.search(self.declared_type)):
            # `numeric(p,s)` carries its bound: |value| < 10^(p-s).
            return f"numeric({match.group(1)},{match.group(2) or 0})"
        return kind

    @property
    def max_length(self) -> int | None:
        """n of `varchar(n)` or `char(n)`: the longest text the column takes."""
        match = _LENGTH.fullmatch(self.declared_type)
        return int(match.group(2)) if match else None

    @property
    def length_type(self) -> str:
        """The Postgres name of a length-bound text type, for messages."""
        match = _LENGTH.fullmatch(self.declared_type)
        name = " ".join(match.group(1).lower().split()) if match else "text"
        return {"varchar": "character varying", "char": "character"}.get(
            name, "character" if name == "bpchar" else name
        )

    @property
    def is_rowid_alias(self) -> bool:
        """`integer primary key` is the rowid: SQLite fills it when omitted."""
        return self.primary_key > 0 and self.declared_type.lower() == "integer"


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """A foreign key; `name` is the declared constraint name or Postgres' default
    `<table>_<col>_fkey`, so PostgREST hints written for Supabase still match."""

    name: str
    table: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TableInfo:
    name: str
    columns: dict[str, ColumnInfo]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]
    unique: tuple[tuple[str, ...], ...]  # every unique key, the primary key included
    is_view: bool = False
    # Views only: read under the caller's policies (`with (security_invoker)`),
    # and the `CREATE VIEW` statement SQLite keeps.
    security_invoker: bool = False
    definition: str | None = None

    def column(self, name: str) -> ColumnInfo | None:
        return self.columns.get(name)

    def is_unique(self, columns: tuple[str, ...]) -> bool:
        wanted = set(columns)
        return any(set(key) <= wanted for key in self.unique if key)


@dataclass(frozen=True, slots=True)
class SchemaCache:
    version: int
    tables: dict[str, TableInfo]
    # Foreign keys pointing at a table, keyed by the referenced table's name.
    referenced_by: dict[str, tuple[ForeignKey, ...]] = field(default_factory=dict)
    # Per view, its columns that read a base-table column unchanged: view
    # column → (table, column). Views have keys and relationships through them.
    view_columns: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    # The system tables policies and their APIs read (`storage_objects`…),
    # by SQLite name; never in `tables`, so never served by `/rest/v1`.
    system: dict[str, TableInfo] = field(default_factory=dict)
    # Whether accounts' user table exists yet (described as AUTH_USERS, not
    # read from the file: see `_described_system_table`).
    has_auth_users: bool = False

    def table(self, name: str) -> TableInfo | None:
        return self.tables.get(name)

    def policy_table(self, name: str) -> TableInfo | None:
        """A table policies may be on: a user table, or a system table by its
        SQLite name (`storage_objects`)."""
        return self.find_table(name) or self.system.get(name.lower())

    def find_table(self, name: str) -> TableInfo | None:
        """Look a table up as SQL does: SQLite names are case-insensitive."""
        info = self.tables.get(name)
        if info is not None:
            return info
        folded = name.casefold()
        matches = [t for t in self.tables.values() if t.name.casefold() == folded]
        return matches[0] if len(matches) == 1 else None


# Table names that map a Supabase schema onto KoyaLite's own tables.
AUTH_USERS_TABLE = "auth_users"
STORAGE_BUCKETS_TABLE = "storage_buckets"
STORAGE_OBJECTS_TABLE = "storage_objects"


def make_column(
    name: str, declared: str, kind: str, primary_key: int = 0, nullable: bool = True
) -> ColumnInfo:
    return ColumnInfo(
        name=name,
        declared_type=declared,
        kind=kind,  # type: ignore[arg-type]
        element_kind=None,
        nullable=nullable,
        default=None,
        primary_key=primary_key,
        generated=False,
    )


# `auth.users` as policies see it: the columns of accounts' user table that
# Supabase's auth.users also has.
AUTH_USERS = TableInfo(
    name=AUTH_USERS_TABLE,
    columns={
        c.name: c
        for c in (
            make_column("id", "uuid", "uuid", primary_key=1, nullable=False),
            make_column("email", "text", "text"),
            make_column("phone", "text", "text"),
            make_column("raw_app_meta_data", "jsonb", "json"),
            make_column("raw_user_meta_data", "jsonb", "json"),
            make_column("created_at", "timestamptz", "timestamptz"),
            make_column("updated_at", "timestamptz", "timestamptz"),
        )
    },
    primary_key=("id",),
    foreign_keys=(),
    unique=(("id",),),
)


@dataclass(frozen=True, slots=True)
class SystemTable:
    """A table of a Supabase schema other than `public` (`auth.users`,
    `storage.objects`) that KoyaLite keeps as one of its own tables.

    User SQL may read every one of them and reference them in foreign keys;
    it may write only those marked `sql_writes` (Supabase migrations create
    buckets with `insert into storage.buckets`); the rest change only through
    their API, which keeps them consistent with what lives outside the table
    (passwords, a file's bytes).
    """

    schema: str
    name: str
    table: str
    sql_writes: bool
    changed_through: str

    @property
    def shown(self) -> str:
        return f"{self.schema}.{self.name}"


SYSTEM_TABLES = (
    SystemTable("auth", "users", AUTH_USERS_TABLE, False, "the auth API"),
    SystemTable("storage", "buckets", STORAGE_BUCKETS_TABLE, True, "the Storage API"),
    SystemTable("storage", "objects", STORAGE_OBJECTS_TABLE, False, "the Storage API"),
    # Views over the scheduler's tables (scheduler/migrations/0002).
    SystemTable("cron", "job", "koyalite_cron_job", False, "cron.schedule"),
    SystemTable(
        "cron",
        "job_run_details",
        "koyalite_cron_job_run_details",
        False,
        "cron.schedule",
    ),
)
SYSTEM_SCHEMAS = frozenset(t.schema for t in SYSTEM_TABLES)


def system_table(schema: str, name: str) -> SystemTable | None:
    """The system table `schema.name` names (case-insensitively), if any."""
    schema, name = schema.lower(), name.lower()
    for table in SYSTEM_TABLES:
        if table.schema == schema and table.name == name:
            return table
    return None


def system_table_named(table: str) -> SystemTable | None:
    """The system table stored as SQLite table `table`, if it is one."""
    lowered = table.lower()
    for system in SYSTEM_TABLES:
        if system.table == lowered:
            return system
    return None


@cache
def internal_table_names() -> frozenset[str]:
    """Tables that belong to KoyaLite or Django: never exposed, never user-created."""
    names = {
        model._meta.db_table for model in apps.get_models(include_auto_created=True)
    }
    names.add("django_migrations")
    return frozenset(names)


def is_internal_table(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered in internal_table_names()
        or lowered.startswith("sqlite_")
        or lowered.startswith("django_")
        or lowered.startswith("koyalite_")
    )


_CONSTRAINT_FK = re.compile(
    r"constraint\s+(\"(?:[^\"]|\"\")+\"|`[^`]+`|\[[^\]]+\]|\w+)\s+foreign\s+key\s*\(([^)]*)\)",
    re.IGNORECASE,
)


def _unquote(name: str) -> str:
    name = name.strip()
    if name[:1] == '"' and name[-1:] == '"':
        return name[1:-1].replace('""', '"')
    if name[:1] in "`[" and len(name) > 1:
        return name[1:-1]
    return name


def _named_foreign_keys(create_sql: str) -> dict[tuple[str, ...], str]:
    """Map FK column tuples to names given with `constraint <name> foreign key`."""
    named: dict[tuple[str, ...], str] = {}
    for match in _CONSTRAINT_FK.finditer(create_sql or ""):
        columns = tuple(_unquote(c) for c in match.group(2).split(","))
        named[columns] = _unquote(match.group(1))
    return named


def _describe_table(cursor, name: str, create_sql: str, is_view: bool) -> TableInfo:
    # Imported here: the SQL translator builds on this module.
    from database.sqlscript.view_options import is_security_invoker

    columns: dict[str, ColumnInfo] = {}
    q = '"' + name.replace('"', '""') + '"'
    for row in cursor.execute(f"PRAGMA table_xinfo({q})").fetchall():
        _cid, col, declared, notnull, default, pk, hidden = row
        if hidden == 1:  # hidden columns of virtual tables
            continue
        kind, element = type_kind(declared or "")
        columns[col] = ColumnInfo(
            name=col,
            declared_type=declared or "",
            kind=kind,
            element_kind=element,
            nullable=not notnull and not pk,
            default=default,
            primary_key=pk,
            generated=hidden in (2, 3),
        )
    primary_key = tuple(
        c.name
        for c in sorted(columns.values(), key=lambda c: c.primary_key)
        if c.primary_key
    )
    named = _named_foreign_keys(create_sql)
    groups: dict[int, list[tuple]] = {}
    for row in cursor.execute(f"PRAGMA foreign_key_list({q})").fetchall():
        groups.setdefault(row[0], []).append(row)
    foreign_keys = []
    for rows in groups.values():
        rows.sort(key=lambda r: r[1])
        ref_table = rows[0][2]
        cols = tuple(r[3] for r in rows)
        ref_cols = tuple(r[4] for r in rows)
        if None in ref_cols:
            # `references t` without columns means t's primary key.
            ref_cols = _primary_key_of(cursor, ref_table) or ref_cols
        fk_name = named.get(cols) or f"{name}_{'_'.join(cols)}_fkey"
        foreign_keys.append(ForeignKey(fk_name, name, cols, ref_table, ref_cols))
    unique: list[tuple[str, ...]] = []
    if primary_key:
        unique.append(primary_key)
    for index in cursor.execute(f"PRAGMA index_list({q})").fetchall():
        _seq, index_name, is_unique, _origin, partial = index
        if not is_unique or partial:
            continue
        iq = '"' + index_name.replace('"', '""') + '"'
        cols = tuple(
            r[2] for r in cursor.execute(f"PRAGMA index_info({iq})").fetchall()
        )
        if cols and None not in cols and cols not in unique:
            unique.append(cols)
    return TableInfo(
        name=name,
        columns=columns,
        primary_key=primary_key,
        foreign_keys=tuple(foreign_keys),
        unique=tuple(unique),
        is_view=is_view,
        security_invoker=is_view and is_security_invoker(create_sql or ""),
        definition=create_sql if is_view else None,
    )


def _primary_key_of(cursor, table: str) -> tuple[str, ...]:
    q = '"' + table.replace('"', '""') + '"'
    rows = cursor.execute(f"PRAGMA table_info({q})").fetchall()
    return tuple(row[1] for row in sorted(rows, key=lambda row: row[5]) if row[5])


def read_schema(cursor, version: int) -> SchemaCache:
    rows = cursor.execute(
        "SELECT name, type, sql FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name"
    ).fetchall()
    tables: dict[str, TableInfo] = {}
    for name, kind, create_sql in rows:
        if is_internal_table(name) or (create_sql or "").upper().startswith(
            "CREATE VIRTUAL"
        ):
            continue
        tables[name] = _describe_table(cursor, name, create_sql, kind == "view")
    referenced_by: dict[str, list[ForeignKey]] = {}
    for table in tables.values():
        for fk in table.foreign_keys:
            if fk.ref_table in tables:
                referenced_by.setdefault(fk.ref_table, []).append(fk)
    system = {
        name: _describe_table(cursor, name, create_sql, False)
        for name, kind, create_sql in rows
        if kind == "table" and _described_system_table(name)
    }
    view_columns = _view_columns(version, tables)
    for name, columns in view_columns.items():
        key = _view_primary_key(tables[name], columns, tables)
        if key:
            tables[name] = replace(tables[name], primary_key=key, unique=(key,))
    return SchemaCache(
        version=version,
        tables=tables,
        referenced_by={k: tuple(v) for k, v in referenced_by.items()},
        view_columns=view_columns,
        system=system,
        has_auth_users=any(name == AUTH_USERS_TABLE for name, _, _ in rows),
    )


def _described_system_table(name: str) -> bool:
    # auth.users is described by hand (AUTH_USERS): policies
    # see the columns Supabase's auth.users has, not KoyaLite's.
    system = system_table_named(name)
    return system is not None and system.table != AUTH_USERS_TABLE


def _view_columns(
    version: int, tables: dict[str, TableInfo]
) -> dict[str, dict[str, tuple[str, str]]]:
    # Imported here: views build on this module.
    from database.views import base_columns

    described = SchemaCache(version, tables)
    found = {}
    for table in tables.values():
        if table.is_view:
            columns = base_columns(table, described)
            if columns:
                found[table.name] = columns
    return found


def _view_primary_key(
    view: TableInfo,
    columns: dict[str, tuple[str, str]],
    tables: dict[str, TableInfo],
) -> tuple[str, ...]:
    """A view's primary key, as PostgREST infers it (`addViewPrimaryKeys`):
    the primary key of every base table whose key columns the view all shows,
    each key column as the first view column that shows it."""
    first: dict[tuple[str, str], str] = {}
    for name in view.columns:
        if name in columns:
            first.setdefault(columns[name], name)
    key: list[str] = []
    for base in dict.fromkeys(table for table, _ in columns.values()):
        info = tables.get(base)
        if info is None or info.is_view or not info.primary_key:
            continue
        shown = [first.get((base, column)) for column in info.primary_key]
        if None not in shown:
            key.extend(name for name in shown if name is not None)
    return tuple(key)


_lock = threading.Lock()
_cached: dict[str, SchemaCache] = {}


def schema_version(cursor) -> int:
    return cursor.execute(
        "SELECT schema_version FROM pragma_schema_version"
    ).fetchone()[0]


def _database_name(cursor) -> str:
    # Keyed by file so that two databases in one process never share a cache.
    for _seq, name, path in cursor.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return path or ""
    return ""


def get_schema(
    cursor, version: int | None = None, database: str | None = None
) -> SchemaCache:
    """Return the schema cache, rebuilt when `PRAGMA schema_version` has moved."""
    if version is None:
        version = schema_version(cursor)
    if database is None:
        database = _database_name(cursor)
    cached = _cached.get(database)
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        cached = _cached.get(database)
        if cached is None or cached.version != version:
            cached = read_schema(cursor, version)
            _cached[database] = cached
        return cached
