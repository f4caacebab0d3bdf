"""What the Studio's Policies pages and their JSON twins share: the tables with
their RLS flag and policies, policy statements built from a form, the caller
the tester acts as, and the JSON shapes.

Statements are built as text and run by `database.runner.run_sql`, the path of
`koyalite sql`: the Studio adds no second way to change a policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import orjson

from accounts import sessions
from accounts.errors import InvalidToken
from accounts.keys import ANON, Auth, auth_from_claims
from accounts.models import User
from database.executor import catalog
from database.schema import system_table_named
from database.sql import quote_ident
from koyalite.errors import KoyaError
from rls.tester import CheckVerdict, Explanation, explain_access
from rls.types import PolicyDef, RequestCommand

COMMANDS = ("all", "select", "insert", "update", "delete")
ROLES = ("public", "anon", "authenticated", "service_role")
OPERATIONS = ("select", "insert", "update", "delete")


class InvalidForm(KoyaError):
    """A Studio form field the statement cannot be built from."""

    status = 400
    code = "KL902"


@dataclass(frozen=True, slots=True)
class TableSecurity:
    name: str
    rls_enabled: bool
    policies: tuple[PolicyDef, ...]
    # `storage.objects` for a system table, whose RLS nothing turns off.
    shown: str = ""
    system: bool = False


def list_tables() -> list[TableSecurity]:
    """Every user table (not views) with its RLS flag and policies, by name,
    then the system tables policies may be written on (`storage.objects`)."""
    schema, policies = catalog()
    tables = [
        TableSecurity(
            table.name,
            policies.is_enabled(table.name),
            policies.policies(table.name),
            shown=table.name,
        )
        for table in sorted(schema.tables.values(), key=lambda t: t.name.casefold())
        if not table.is_view
    ]
    for name in sorted(schema.system):
        system = system_table_named(name)
        assert system is not None
        tables.append(
            TableSecurity(name, True, policies.policies(name), system.shown, True)
        )
    return tables


def table_sql(table: str) -> str:
    """How a statement names `table`: quoted, or `storage.objects` for a
    system table (its SQLite name is not a table SQL may name)."""
    system = system_table_named(table)
    return system.shown if system is not None else quote_ident(table)


def policy_json(policy: PolicyDef) -> dict[str, Any]:
    return {
        "table": policy.table,
        "name": policy.name,
        "permissive": policy.permissive,
        "command": policy.command,
        "roles": list(policy.roles),
        "using": policy.using,
        "check": policy.check,
    }


def table_json(table: TableSecurity) -> dict[str, Any]:
    return {
        "name": table.name,
        "shown": table.shown,
        "rls_enabled": table.rls_enabled,
        "policies": [policy_json(p) for p in table.policies],
    }


# ---------------------------------------------------------------- statements


@dataclass(frozen=True, slots=True)
class PolicyForm:
    """The create/edit form. `original` names the policy being edited."""

    table: str
    name: str
    command: str = "all"
    permissive: bool = True
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    check: str | None = None
    original: str | None = None


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidForm(f"{key} must be text")
    value = value.strip()
    return value or None


def policy_form(data: dict[str, Any]) -> PolicyForm:
    """Read the form's JSON; names and clauses are checked, not yet run."""
    table = _text(data, "table")
    name = _text(data, "name")
    if table is None:
        raise InvalidForm("choose a table")
    if name is None:
        raise InvalidForm("the policy needs a name")
    command = _text(data, "command") or "all"
    if command not in COMMANDS:
        raise InvalidForm(f"command must be one of {', '.join(COMMANDS)}")
    roles = data.get("roles") or ["public"]
    if not isinstance(roles, list) or not all(r in ROLES for r in roles):
        raise InvalidForm(f"roles must be among {', '.join(ROLES)}")
    permissive = data.get("permissive", True)
    if not isinstance(permissive, bool):
        raise InvalidForm("permissive must be true or false")
    return PolicyForm(
        table=table,
        name=name,
        command=command,
        permissive=permissive,
        roles=tuple(roles),
        using=_text(data, "using"),
        check=_text(data, "check"),
        original=_text(data, "original"),
    )


def _roles(roles: tuple[str, ...]) -> str:
    # Role names are keywords of the grammar, not identifiers: `public` quoted
    # would name a role called "public".
    return ", ".join(roles)


def _clauses(form: PolicyForm) -> str:
    text = ""
    if form.using is not None:
        text += f"\n  using ({form.using})"
    if form.check is not None:
        text += f"\n  with check ({form.check})"
    return text


def policy_statement(form: PolicyForm) -> str:
    """`create policy`, or for an edit `alter policy` (and a rename after it)."""
    table = table_sql(form.table)
    if form.original is None:
        kind = "permissive" if form.permissive else "restrictive"
        return (
            f"create policy {quote_ident(form.name)} on {table}\n"
            f"  as {kind}\n  for {form.command}\n  to {_roles(form.roles)}"
            f"{_clauses(form)};"
        )
    statement = (
        f"alter policy {quote_ident(form.original)} on {table}\n"
        f"  to {_roles(form.roles)}{_clauses(form)};"
    )
    if form.name != form.original:
        statement += (
            f"\nalter policy {quote_ident(form.original)} on {table}"
            f" rename to {quote_ident(form.name)};"
        )
    return statement


def drop_statement(table: str, name: str) -> str:
    return f"drop policy {quote_ident(name)} on {table_sql(table)};"


def rls_statement(table: str, enabled: bool) -> str:
    action = "enable" if enabled else "disable"
    return f"alter table {table_sql(table)} {action} row level security;"


# ---------------------------------------------------------------- tester


@dataclass(frozen=True, slots=True)
class Caller:
    """Who the tester acts as: "anon", "user" (by email) or "claims" (JSON)."""

    kind: str = "anon"
    email: str = ""
    claims: str = ""


def caller_auth(caller: Caller) -> Auth:
    """The `Auth` a request of this caller would carry."""
    if caller.kind == "anon":
        return ANON
    if caller.kind == "user":
        user = User.objects.filter(email__iexact=caller.email.strip()).first()
        auth = sessions.auth_as_user(str(user.pk)) if user else None
        if auth is None or not caller.email.strip():
            raise InvalidForm(f"no app user has the email {caller.email!r}")
        return auth
    if caller.kind == "claims":
        try:
            claims = orjson.loads(caller.claims or "{}")
        except orjson.JSONDecodeError as error:
            raise InvalidForm(f"the claims are not valid JSON: {error}") from None
        if not isinstance(claims, dict):
            raise InvalidForm("the claims must be a JSON object")
        try:
            return auth_from_claims(claims)
        except InvalidToken as error:
            raise InvalidForm(error.message) from None
    raise InvalidForm("act as anon, user or claims")


def user_emails(limit: int = 200) -> list[str]:
    """App users' emails to pick from in the tester, first `limit` by email."""
    emails = User.objects.exclude(email="").order_by("email").values_list("email")
    return [email for (email,) in emails[:limit]]


def parse_row(text: str) -> dict[str, Any] | None:
    """The tester's proposed row: a JSON object, or None when left empty."""
    if not text.strip():
        return None
    try:
        row = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise InvalidForm(f"the row is not valid JSON: {error}") from None
    if not isinstance(row, dict):
        raise InvalidForm("the row must be a JSON object")
    return row


def run_tester(caller: Caller, table: str, operation: str, row: str) -> Explanation:
    """The tester's verdicts; shared by its page and its JSON twin."""
    if not table:
        raise InvalidForm("choose a table")
    if operation not in OPERATIONS:
        raise InvalidForm(f"operation must be one of {', '.join(OPERATIONS)}")
    auth = caller_auth(caller)
    return explain_access(table, cast(RequestCommand, operation), auth, parse_row(row))


def reason(
    result: Explanation,
    policies: tuple[PolicyDef, ...],
    verdicts: tuple[bool, ...],
    allowed: bool,
) -> str:
    """Why a row (or a proposed row) was allowed or denied, in words."""
    if result.bypasses_rls:
        return "service_role bypasses row-level security"
    if not result.rls_enabled:
        return "row-level security is off for this table"
    passed = [p.name for p, v in zip(policies, verdicts) if v and p.permissive]
    failed = [p.name for p, v in zip(policies, verdicts) if not v and not p.permissive]
    if allowed:
        return "allowed by " + ", ".join(passed)
    if not any(p.permissive for p in policies):
        return "denied: no permissive policy applies"
    if not passed:
        return "denied: no permissive policy passed"
    return "denied by restrictive " + ", ".join(failed)


def explanation_json(result: Explanation) -> dict[str, Any]:
    return {
        "table": result.table,
        "operation": result.command,
        "role": result.role,
        "rls_enabled": result.rls_enabled,
        "bypasses_rls": result.bypasses_rls,
        "policies": [policy_json(p) for p in result.policies],
        "using_policies": [p.name for p in result.using_policies],
        "check_policies": [p.name for p in result.check_policies],
        "rows": [
            {
                "values": row.values,
                "allowed": row.allowed,
                "reason": reason(
                    result, result.using_policies, row.verdicts, row.allowed
                ),
                "verdicts": dict(
                    zip([p.name for p in result.using_policies], row.verdicts)
                ),
                "check": None if row.check is None else _check_json(result, row.check),
            }
            for row in result.rows
        ],
        "truncated": result.truncated,
        "check": None if result.check is None else _check_json(result, result.check),
    }


def _check_json(result: Explanation, check: CheckVerdict) -> dict[str, Any]:
    return {
        "values": check.values,
        "omitted": list(check.omitted),
        "allowed": check.allowed,
        "reason": reason(result, result.check_policies, check.verdicts, check.allowed),
        "verdicts": dict(zip([p.name for p in result.check_policies], check.verdicts)),
    }
