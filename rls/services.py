"""Row-level security operations: run policy statements, load the catalog.

`execute_statement` validates a parsed statement the way Postgres would, compiles
its expressions (and has SQLite EXPLAIN them) so a bad policy fails when it is
created, stores it through the ORM and bumps the catalog version, all inside
the caller's transaction on Django's default connection. `load_catalog` reads
everything back as a `PolicyCatalog`.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Protocol

from django.db import connection

from database.schema import SchemaCache, TableInfo, system_table, system_table_named
from database.sql import AuthValue, Sql, quote_ident
from database.views import tables_read
from rls.catalog import PolicyCatalog
from rls.errors import (
    DuplicatePolicy,
    NotOwner,
    PolicyError,
    PolicySyntaxError,
    UndefinedObject,
    UndefinedTable,
    WrongObjectType,
)
from rls.expr import compile_expression
from rls.models import CatalogVersion, Policy, TableSecurity
from rls.types import (
    KNOWN_ROLES,
    AlterPolicy,
    AlterTableSecurity,
    Command,
    CreatePolicy,
    DropPolicy,
    PolicyDef,
    PolicyStatement,
)

__all__ = [
    "PolicyCatalog",
    "catalog_version",
    "enabled_tables",
    "execute_statement",
    "forget_table",
    "load_catalog",
    "tables_without_rls",
    "validate_policy",
    "views_bypassing_rls",
]


# ---------------------------------------------------------------- statements


def execute_statement(statement: PolicyStatement, schema: SchemaCache) -> str:
    """Apply a parsed policy statement; return its command tag ("CREATE POLICY")."""
    match statement:
        case CreatePolicy():
            _create_policy(statement, schema)
            return "CREATE POLICY"
        case DropPolicy():
            _drop_policy(statement, schema)
            return "DROP POLICY"
        case AlterPolicy():
            _alter_policy(statement, schema)
            return "ALTER POLICY"
        case AlterTableSecurity():
            _alter_table_security(statement, schema)
            return "ALTER TABLE"
    raise TypeError(f"not a policy statement: {statement!r}")


def _create_policy(statement: CreatePolicy, schema: SchemaCache) -> None:
    _check_clauses(statement.command, statement.using, statement.check)
    _check_roles(statement.roles)
    table = _policy_table(statement.schema, statement.table, schema)
    if Policy.objects.filter(table=table.name, name=statement.name).exists():
        raise DuplicatePolicy(statement.name, table.name)
    for text in (statement.using, statement.check):
        if text is not None:
            _validate_expression(text, table, schema)
    Policy.objects.create(
        table=table.name,
        name=statement.name,
        permissive=statement.permissive,
        command=statement.command,
        roles=list(statement.roles),
        using=statement.using,
        with_check=statement.check,
    )
    _bump_version()


def _drop_policy(statement: DropPolicy, schema: SchemaCache) -> None:
    if (
        statement.if_exists
        and _find_table(statement.schema, statement.table, schema) is None
    ):
        return  # Postgres: NOTICE relation does not exist, skipping
    table = _policy_table(statement.schema, statement.table, schema)
    deleted, _ = Policy.objects.filter(table=table.name, name=statement.name).delete()
    if deleted:
        _bump_version()
    elif not statement.if_exists:
        raise _missing_policy(statement.name, table.name)


def _alter_policy(statement: AlterPolicy, schema: SchemaCache) -> None:
    table = _policy_table(statement.schema, statement.table, schema)
    policy = Policy.objects.filter(table=table.name, name=statement.name).first()
    if policy is None:
        raise _missing_policy(statement.name, table.name)
    if statement.rename_to is not None:
        if statement.rename_to != policy.name:
            taken = Policy.objects.filter(table=table.name, name=statement.rename_to)
            if taken.exists():
                raise DuplicatePolicy(statement.rename_to, table.name)
            policy.name = statement.rename_to
    else:
        _check_clauses(policy.command, statement.using, statement.check)
        if statement.roles is not None:
            _check_roles(statement.roles)
            policy.roles = list(statement.roles)
        for text in (statement.using, statement.check):
            if text is not None:
                _validate_expression(text, table, schema)
        if statement.using is not None:
            policy.using = statement.using
        if statement.check is not None:
            policy.with_check = statement.check
    policy.save()
    _bump_version()


def _alter_table_security(statement: AlterTableSecurity, schema: SchemaCache) -> None:
    table = _find_table(statement.schema, statement.table, schema)
    if table is None:
        if statement.if_exists:
            return  # Postgres: NOTICE relation does not exist, skipping
        raise _missing_table(statement.schema, statement.table)
    if table.is_view:
        raise WrongObjectType(
            f"ALTER action {_ACTION_WORDS[statement.action]} ROW SECURITY cannot be "
            f'performed on relation "{table.name}"',
            details="This operation is not supported for views.",
        )
    system = system_table_named(table.name)
    if system is not None and statement.action == "disable":
        # As in Supabase, where storage's tables belong to its admin role:
        # their policies are the only thing between one user and another's files.
        raise NotOwner(f"must be owner of table {system.name}")
    flags, _ = TableSecurity.objects.get_or_create(table=table.name)
    if statement.action in ("enable", "disable"):
        flags.enabled = statement.action == "enable"
    else:
        flags.forced = statement.action == "force"
    flags.save()
    _bump_version()


_ACTION_WORDS = {
    "enable": "ENABLE",
    "disable": "DISABLE",
    "force": "FORCE",
    "no_force": "NO FORCE",
}


# ---------------------------------------------------------------- validation


def validate_policy(
    table: str,
    command: Command,
    using: str | None,
    check: str | None,
    schema: SchemaCache,
) -> None:
    """Raise what `create policy` would raise for these clauses; store nothing.

    The Studio checks an expression as it is typed through this, so its verdict
    is the one the statement gets when it runs.
    """
    _check_clauses(command, using, check)
    found = _policy_table("public", table, schema)
    for text in (using, check):
        if text is not None:
            _validate_expression(text, found, schema)


def _check_clauses(command: str, using: str | None, check: str | None) -> None:
    if command == "insert" and using is not None:
        raise PolicySyntaxError("only WITH CHECK expression allowed for INSERT")
    if command in ("select", "delete") and check is not None:
        raise PolicySyntaxError("WITH CHECK cannot be applied to SELECT or DELETE")


def _check_roles(roles: tuple[str, ...]) -> None:
    for role in roles:
        if role not in KNOWN_ROLES:
            raise UndefinedObject(
                f'role "{role}" does not exist',
                hint="Policies apply to anon, authenticated, service_role or public.",
            )


def _find_table(schema_name: str, name: str, schema: SchemaCache) -> TableInfo | None:
    if schema_name == "public":
        return schema.find_table(name)
    system = system_table(schema_name, name)
    return schema.system.get(system.table) if system is not None else None


def _missing_table(schema_name: str, name: str) -> UndefinedTable:
    shown = name if schema_name == "public" else f"{schema_name}.{name}"
    return UndefinedTable(f'relation "{shown}" does not exist')


def _policy_table(schema_name: str, name: str, schema: SchemaCache) -> TableInfo:
    table = _find_table(schema_name, name, schema)
    if table is None:
        raise _missing_table(schema_name, name)
    if table.is_view:
        raise WrongObjectType(f'"{table.name}" is not a table')
    return table


def _missing_policy(name: str, table: str) -> UndefinedObject:
    return UndefinedObject(f'policy "{name}" for table "{table}" does not exist')


def _validate_expression(text: str, table: TableInfo, schema: SchemaCache) -> None:
    """Compile `text` as requests will, then have SQLite plan it.

    The plan catches anything the compiler let through that SQLite rejects;
    EXPLAIN prepares the statement without running it, so placeholder values
    stand in for the request's auth.
    """
    predicate = compile_expression(text, table.name, "t0", schema)
    query = (
        Sql(f"EXPLAIN SELECT 1 FROM {quote_ident(table.name)} AS t0 WHERE ") + predicate
    )
    params = tuple(None if isinstance(p, AuthValue) else p for p in predicate.params)
    connection.ensure_connection()
    cursor = connection.connection.cursor()
    try:
        cursor.execute(query.text, params).fetchall()
    except sqlite3.Error as error:
        raise PolicyError(f"policy expression rejected by SQLite: {error}") from None
    finally:
        cursor.close()


# ---------------------------------------------------------------- catalog


def _bump_version() -> None:
    """Count one more catalog change; runs in the caller's transaction."""
    table = quote_ident(CatalogVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, version) VALUES (1, 1) "
            "ON CONFLICT (id) DO UPDATE SET version = version + 1"
        )


class _Executes(Protocol):
    """A DB-API cursor or an sqlite3 connection: anything with execute()."""

    def execute(self, sql: str, /) -> Any: ...


def catalog_version_sql() -> str:
    """A scalar subquery giving the catalog version, to fold into another query."""
    table = quote_ident(CatalogVersion._meta.db_table)
    return f"(SELECT version FROM {table} WHERE id = 1)"


def catalog_version(cursor: _Executes) -> int:
    """The catalog version: one primary-key read, cheap enough for every request.

    `cursor` may be a DB-API cursor or an sqlite3 connection on the project
    database; the result reflects what that connection's transaction sees.
    """
    row = cursor.execute(f"SELECT {catalog_version_sql()}").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def load_catalog(schema: SchemaCache) -> PolicyCatalog:
    """Read every policy and table flag into a catalog compiled against `schema`."""
    # The version is read first: a change committed in between makes the next
    # comparison reload once more, never miss a change.
    with connection.cursor() as cursor:
        version = catalog_version(cursor)
    policies = [
        PolicyDef(
            table=policy.table,
            name=policy.name,
            permissive=policy.permissive,
            command=_command(policy.command),
            roles=tuple(policy.roles),
            using=policy.using,
            check=policy.with_check,
        )
        for policy in Policy.objects.all()
    ]
    flags = list(TableSecurity.objects.all())
    return PolicyCatalog(
        version=version,
        schema=schema,
        policies=policies,
        # A system table's policies always apply: nothing turns them off.
        enabled=[f.table for f in flags if f.enabled] + list(schema.system),
        forced=[f.table for f in flags if f.forced],
    )


def broken_policies(schema: SchemaCache) -> list[str]:
    """What is wrong with each stored policy that no longer compiles."""
    return load_catalog(schema).problems()


def _command(value: str) -> Command:
    for command in ("all", "select", "insert", "update", "delete"):
        if value == command:
            return command
    raise ValueError(f"unknown policy command {value!r}")


def enabled_tables() -> list[str]:
    """Tables with row-level security enabled, sorted."""
    return sorted(
        TableSecurity.objects.filter(enabled=True).values_list("table", flat=True)
    )


def tables_without_rls(schema: SchemaCache) -> list[str]:
    """User tables (not views) anyone with the anon key can read and write."""
    enabled = {name.casefold() for name in enabled_tables()}
    return sorted(
        table.name
        for table in schema.tables.values()
        if not table.is_view and table.name.casefold() not in enabled
    )


def views_bypassing_rls(
    schema: SchemaCache, raw: sqlite3.Connection
) -> list[tuple[str, list[str]]]:
    """Views without security_invoker that read tables with RLS on, and those
    tables: such a view serves every row, as a Postgres view run by its owner
    does (Supabase's linter reports it as `security_definer_view`)."""
    enabled = {name.casefold() for name in enabled_tables()}
    found = []
    for view in sorted(schema.tables.values(), key=lambda table: table.name):
        if not view.is_view or view.security_invoker:
            continue
        protected = sorted(t for t in tables_read(raw, view) if t.casefold() in enabled)
        if protected:
            found.append((view.name, protected))
    return found


def forget_table(table: str) -> None:
    """Delete the policies and flags of a dropped table, as Postgres does."""
    policies, _ = Policy.objects.filter(table__iexact=table).delete()
    flags, _ = TableSecurity.objects.filter(table__iexact=table).delete()
    if policies or flags:
        _bump_version()


def rename_table(old: str, new: str) -> None:
    """Move a renamed table's policies and flags to its new name, as Postgres
    keeps them with the table: a rename must not switch its RLS off."""
    policies = Policy.objects.filter(table__iexact=old).update(table=new)
    flags = TableSecurity.objects.filter(table__iexact=old).update(table=new)
    if policies or flags:
        _bump_version()
