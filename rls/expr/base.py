"""The compiler's core: dispatch by node kind, and boolean positions."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from database.schema import SchemaCache
from database.sql import Sql, param
from rls.errors import DatatypeMismatch, GroupingError, PolicyError
from rls.expr.coercion import parse_bool
from rls.expr.syntax import snippet, string_literal, undefined_function, unsupported
from rls.expr.values import PG_TYPE_NAMES, Scope, Value


class CompilerBase:
    """Walk a sqlglot tree, resolving names in scopes and emitting SQLite;
    the node kinds are handled by the mixins `Compiler` combines."""

    handlers: dict[type[exp.Expression], Callable[..., Value]] = {}

    def __init__(self, schema: SchemaCache, alias: str) -> None:
        self.schema = schema
        self.alias = alias
        self.sources_made = 0
        self.aggregates_allowed = False

    def compile(self, node: exp.Expression, scope: Scope) -> Value:
        handler = self.handlers.get(type(node))
        if handler is not None:
            return handler(self, node, scope)
        if isinstance(node, exp.Window):
            raise PolicyError(
                "window functions are not allowed in policy expressions",
                details=f'in "{snippet(node)}"',
            )
        if isinstance(node, exp.AggFunc) and not self.aggregates_allowed:
            raise GroupingError(
                "aggregate functions are not allowed in policy expressions",
                details=f'in "{snippet(node)}"',
            )
        if isinstance(node, exp.Anonymous):
            raise undefined_function(node.name, node)
        # Operators sqlglot models as functions (`~` is RegexpLike) are syntax.
        if isinstance(node, exp.Func) and not isinstance(node, exp.Binary | exp.Cast):
            raise undefined_function(node.sql_name().lower(), node)
        raise unsupported(node)

    def boolean(self, node: exp.Expression, scope: Scope, construct: str) -> Sql:
        """Compile `node` where Postgres requires a boolean (in `construct`)."""
        literal = string_literal(node)
        if literal is not None:
            return param(parse_bool(literal))
        value = self.compile(node, scope)
        if value.kind not in ("boolean", "unknown"):
            raise DatatypeMismatch(
                f"argument of {construct} must be type boolean, "
                f"not type {PG_TYPE_NAMES.get(value.kind, value.kind)}"
            )
        return value.sql
