"""The policies in force, as one immutable snapshot that hands out predicates.

A `PolicyCatalog` is loaded from the database by `rls.services.load_catalog`
for one schema version and one catalog version; when either moves, the caller
loads a new one. Compiled predicates are cached inside it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from database.schema import SchemaCache
from database.sql import Sql
from rls.errors import InvalidPolicy, PolicyError
from rls.expr import compile_expression
from rls.types import PolicyDef, PredicateKind, RequestCommand

BYPASS_ROLES = frozenset({"service_role"})

_KINDS_BY_COMMAND: dict[str, tuple[str, ...]] = {
    "select": ("using",),
    "delete": ("using",),
    "insert": ("check",),
    "update": ("using", "check"),
}


class PolicyCatalog:
    """Every policy and RLS flag, for one schema version."""

    def __init__(
        self,
        version: int,
        schema: SchemaCache,
        policies: Iterable[PolicyDef],
        enabled: Iterable[str],
        forced: Iterable[str] = (),
    ) -> None:
        self.version = version
        self.schema = schema
        by_table: dict[str, list[PolicyDef]] = {}
        for policy in sorted(policies, key=lambda p: (p.table, p.name)):
            by_table.setdefault(policy.table.casefold(), []).append(policy)
        self._policies = {table: tuple(found) for table, found in by_table.items()}
        # SQLite table names are case-insensitive; so are these lookups.
        self._enabled = frozenset(table.casefold() for table in enabled)
        self._forced = frozenset(table.casefold() for table in forced)
        self._predicates: dict[tuple[str, str, str, str, str], Sql | None] = {}
        self._lock = threading.Lock()

    def is_enabled(self, table: str) -> bool:
        return table.casefold() in self._enabled

    def is_forced(self, table: str) -> bool:
        return table.casefold() in self._forced

    def policies(self, table: str) -> tuple[PolicyDef, ...]:
        return self._policies.get(table.casefold(), ())

    def predicate(
        self,
        table: str,
        command: RequestCommand,
        role: str,
        alias: str,
        kind: PredicateKind,
    ) -> Sql | None:
        """The row filter (`using`) or new-row check (`check`) for a request.

        None: RLS is off for the table or `role` bypasses it. `Sql("0")`: RLS is
        on and no permissive policy applies. Otherwise
        `(((p1) OR (p2)) AND (r1) AND (r2))` over the permissive and restrictive
        policies that apply, always parenthesised as a whole.
        As in Postgres, a NULL result means "no": test checks with `IS TRUE`.
        """
        allowed = _KINDS_BY_COMMAND.get(command)
        if allowed is None or kind not in allowed:
            raise ValueError(f"no {kind!r} predicate exists for {command!r}")
        if role in BYPASS_ROLES or not self.is_enabled(table):
            return None
        key = (table.casefold(), command, role, alias, kind)
        try:
            return self._predicates[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._predicates:
                self._predicates[key] = self._build(table, command, role, alias, kind)
            return self._predicates[key]

    def _build(
        self,
        table: str,
        command: RequestCommand,
        role: str,
        alias: str,
        kind: PredicateKind,
    ) -> Sql:
        permissive: list[Sql] = []
        restrictive: list[Sql] = []
        for policy in self.policies(table):
            if not policy.applies_to(command, role):
                continue
            text = policy.expression(kind)
            if text is None:
                # Postgres: a policy without an expression for this kind adds
                # nothing (a permissive one does not count as "applies").
                continue
            compiled = self._compile(policy, text, alias).wrap("(", ")")
            (permissive if policy.permissive else restrictive).append(compiled)
        if not permissive:
            return Sql("0")
        allowed = permissive[0]
        if len(permissive) > 1:
            allowed = Sql.join(permissive, " OR ").wrap("(", ")")
        if not restrictive:
            return allowed
        return Sql.join([allowed, *restrictive], " AND ").wrap("(", ")")

    def policy_predicate(
        self, policy: PolicyDef, kind: PredicateKind, alias: str
    ) -> Sql:
        """One policy's own `kind` expression, compiled as `predicate` compiles
        it; the Studio's tester shows each policy's verdict with this."""
        text = policy.expression(kind)
        if text is None:
            raise ValueError(f'policy "{policy.name}" has no {kind!r} expression')
        return self._compile(policy, text, alias)

    def problems(self) -> list[str]:
        """Why each stored policy that no longer compiles does not."""
        found = []
        for policies in self._policies.values():
            for policy in policies:
                for kind in ("using", "check"):
                    text = policy.expression(kind)
                    if text is None:
                        continue
                    try:
                        self._compile(policy, text, "t")
                    except InvalidPolicy as error:
                        found.append(error.message)
                        break
        return found

    def _compile(self, policy: PolicyDef, text: str, alias: str) -> Sql:
        try:
            return compile_expression(text, policy.table, alias, self.schema)
        except PolicyError as error:
            raise InvalidPolicy(
                f'policy "{policy.name}" on table "{policy.table}" no longer '
                f"compiles: {error.message}",
                hint="Drop or alter the policy to match the current schema.",
            ) from error
