"""Reading sqlglot trees, and the errors that name what was written."""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import SqlglotError

from database.sql import Sql
from rls.errors import PolicyError, UndefinedFunction
from rls.expr.values import CALLABLE


def join_sql(*parts: Sql | str) -> Sql:
    """Concatenate SQL fragments; plain strings are SQL text written in this module."""
    return Sql.join((p if isinstance(p, Sql) else Sql(p) for p in parts), "")


def unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def string_literal(node: exp.Expression) -> str | None:
    """The value of a string literal (`'x'`, `$$x$$`), else None."""
    node = unwrap(node)
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    if isinstance(node, exp.RawString):
        return node.this
    return None


def trivial_select(node: exp.Expression) -> exp.Expression | None:
    """The expression of `(select <expr>)` with nothing else; else None.

    Supabase recommends `(select auth.uid())` so that Postgres evaluates the
    call once per statement; here it is just the expression.
    """
    node = unwrap(node)
    if not isinstance(node, exp.Subquery) or extra_args(node, {"this"}):
        return None
    select = node.this
    if not isinstance(select, exp.Select) or extra_args(select, {"expressions"}):
        return None
    if len(select.expressions) != 1:
        return None
    item = select.expressions[0]
    if isinstance(item, exp.Alias):
        item = item.this
    return None if isinstance(item, exp.Star) else item


def extra_args(node: exp.Expression, allowed: set[str]) -> list[str]:
    return [
        key
        for key, value in node.args.items()
        if key not in allowed and value not in (None, False, [])
    ]


def snippet(node: exp.Expression) -> str:
    try:
        text = node.sql(dialect="postgres")
    except SqlglotError:
        text = node.key.upper()
    return text if len(text) <= 60 else text[:57] + "..."


def unsupported(node: exp.Expression) -> PolicyError:
    return PolicyError(
        f'unsupported syntax in policy expression: "{snippet(node)}"',
        hint=f"Policy expressions may use columns, literals, comparisons, "
        f"and/or/not, is [not] null, in, like, between, casts, array[i], exists/in "
        f"subqueries and these functions: {CALLABLE}.",
    )


def undefined_function(name: str, node: exp.Expression) -> UndefinedFunction:
    return UndefinedFunction(
        f"function {name}() does not exist",
        details=f'in "{snippet(node)}"',
        hint=f"Policy expressions may call {CALLABLE}.",
    )


def unsupported_join(join: exp.Expression) -> PolicyError:
    return PolicyError(
        f'this kind of join is not supported in policy subqueries: "{snippet(join)}"',
        hint="Use [inner] join ... on, left join ... on, cross join or a comma.",
    )
