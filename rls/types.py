"""Policy statements as parsed from SQL, and policies as stored.

`rls/grammar.py` builds the statements; names are already unquoted (bare names
folded to lowercase, as Postgres does) and expressions are the text between the
parentheses of `using (...)` / `with check (...)`, not yet checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Command = Literal["all", "select", "insert", "update", "delete"]
RequestCommand = Literal["select", "insert", "update", "delete"]
PredicateKind = Literal["using", "check"]
SecurityAction = Literal["enable", "disable", "force", "no_force"]

# Roles a policy may name: the three request roles and PUBLIC (every role).
KNOWN_ROLES = frozenset({"anon", "authenticated", "service_role", "public"})


@dataclass(frozen=True, slots=True)
class CreatePolicy:
    """`create policy n on t [as ...] [for ...] [to ...] [using] [with check]`."""

    name: str
    table: str
    schema: str = "public"
    permissive: bool = True
    command: Command = "all"
    roles: tuple[str, ...] = ("public",)
    using: str | None = None
    check: str | None = None


@dataclass(frozen=True, slots=True)
class DropPolicy:
    """`drop policy [if exists] name on table`."""

    name: str
    table: str
    schema: str = "public"
    if_exists: bool = False


@dataclass(frozen=True, slots=True)
class AlterPolicy:
    """`alter policy name on table rename to x` or `... [to] [using] [with check]`.

    A field left None is not changed.
    """

    name: str
    table: str
    schema: str = "public"
    rename_to: str | None = None
    roles: tuple[str, ...] | None = None
    using: str | None = None
    check: str | None = None


@dataclass(frozen=True, slots=True)
class AlterTableSecurity:
    """`alter table [if exists] [only] t enable|disable|[no] force row level security`

    `action` is "enable", "disable", "force" or "no_force".
    """

    table: str
    action: SecurityAction
    schema: str = "public"
    if_exists: bool = False


PolicyStatement = CreatePolicy | DropPolicy | AlterPolicy | AlterTableSecurity


@dataclass(frozen=True, slots=True)
class PolicyDef:
    """One stored policy, as the catalog applies it."""

    table: str
    name: str
    permissive: bool
    command: Command
    roles: tuple[str, ...]
    using: str | None
    check: str | None

    def applies_to(self, command: RequestCommand, role: str) -> bool:
        """Postgres: `for all` covers every command, `to public` every role."""
        if self.command != "all" and self.command != command:
            return False
        return "public" in self.roles or role in self.roles

    def expression(self, kind: PredicateKind) -> str | None:
        """Return the expression text for `kind`.

        As in Postgres, a policy without `with check` checks new rows with its
        `using` expression (`FOR ALL` and `FOR UPDATE` policies).
        """
        if kind == "using":
            return self.using
        return self.check if self.check is not None else self.using
