"""Operators: logic, comparison, `in`, `like`, arithmetic, `case`."""

from __future__ import annotations

from sqlglot import exp

from database.sql import Sql, param
from rls.expr.base import CompilerBase
from rls.expr.coercion import (
    ARITHMETIC,
    COMPARISONS,
    check_like_pattern,
    coerce_literal,
    like_to_glob,
    parse_number,
)
from rls.expr.syntax import extra_args, join_sql, string_literal, unsupported
from rls.expr.values import TEMPORAL, Scope, Value, number_kind, temporal


class OperatorCompiler(CompilerBase):
    """Logic, comparisons, `is`, `in`, `like`, `between`, arithmetic, `case`."""

    def paren(self, node: exp.Paren, scope: Scope) -> Value:
        value = self.compile(node.this, scope)
        return Value(value.sql.wrap("(", ")"), value.kind, value.element)

    def logical(self, node: exp.Expression, scope: Scope) -> Value:
        word = "AND" if isinstance(node, exp.And) else "OR"
        left = self.boolean(node.this, scope, word)
        right = self.boolean(node.expression, scope, word)
        return Value(join_sql("(", left, f" {word} ", right, ")"), "boolean")

    def negation(self, node: exp.Not, scope: Scope) -> Value:
        return Value(
            join_sql("(NOT ", self.boolean(node.this, scope, "NOT"), ")"), "boolean"
        )

    def comparison(self, node: exp.Expression, scope: Scope) -> Value:
        right_node = node.expression
        if isinstance(right_node, (exp.Any, exp.All)):
            inner = right_node.this
            if (
                type(node) is exp.EQ
                and isinstance(right_node, exp.Any)
                and isinstance(inner, exp.Subquery)
            ):
                return self.in_subquery(node.this, inner, scope)
            raise unsupported(node)
        left, right = self.operands(node.this, right_node, scope)
        operator = COMPARISONS[type(node)]
        left_sql, right_sql = temporal(left, right)
        return Value(
            join_sql("(", left_sql, f" {operator} ", right_sql, ")"), "boolean"
        )

    def operands(
        self, left_node: exp.Expression, right_node: exp.Expression, scope: Scope
    ) -> tuple[Value, Value]:
        """Compile two compared operands; a string literal takes the other's type,
        as an untyped literal does in Postgres (`is_public = 'true'`)."""
        left_literal = string_literal(left_node)
        right_literal = string_literal(right_node)
        left = self.compile(left_node, scope)
        right = self.compile(right_node, scope)
        if right_literal is not None and left_literal is None:
            right = coerce_literal(right_literal, left.kind)
        elif left_literal is not None and right_literal is None:
            left = coerce_literal(left_literal, right.kind)
        return left, right

    def is_(self, node: exp.Is, scope: Scope) -> Value:
        target = node.expression
        negate = " NOT" if node.args.get("negate") else ""
        if extra_args(node, {"this", "expression", "negate"}):
            raise unsupported(node)
        if isinstance(target, exp.Null):
            value = self.compile(node.this, scope)
            return Value(join_sql("(", value.sql, f" IS{negate} NULL)"), "boolean")
        if isinstance(target, exp.Boolean):
            word = "TRUE" if target.this else "FALSE"
            operand = self.boolean(node.this, scope, f"IS {word}")
            return Value(join_sql("(", operand, f" IS{negate} {word})"), "boolean")
        raise unsupported(node)

    def in_(self, node: exp.In, scope: Scope) -> Value:
        if extra_args(node, {"this", "expressions", "query"}):
            raise unsupported(node)
        query = node.args.get("query")
        if query is not None:
            return self.in_subquery(node.this, query, scope)
        value = self.compile(node.this, scope)
        items: list[Value] = []
        for item in node.expressions:
            literal = string_literal(item)
            if literal is not None:
                items.append(coerce_literal(literal, value.kind))
            else:
                items.append(self.compile(item, scope))
        left = value.sql
        listed = [item.sql for item in items]
        if value.kind in TEMPORAL:
            left = left.wrap("julianday(", ")")
            listed = [sql.wrap("julianday(", ")") for sql in listed]
        return Value(
            join_sql("(", left, " IN (", Sql.join(listed, ", "), "))"), "boolean"
        )

    def in_subquery(
        self, left_node: exp.Expression, query: exp.Expression, scope: Scope
    ) -> Value:
        if not isinstance(query, exp.Subquery) or extra_args(query, {"this"}):
            raise unsupported(query)
        left = self.compile(left_node, scope)
        select = self.select(query.this, scope, "in")
        return Value(join_sql("(", left.sql, " IN (", select.sql, "))"), "boolean")

    def like(self, node: exp.Like | exp.ILike, scope: Scope) -> Value:
        if extra_args(node, {"this", "expression", "negate"}):
            raise unsupported(node)
        value = self.compile(node.this, scope)
        pattern_node = node.expression
        literal = string_literal(pattern_node)
        if isinstance(node, exp.Like):
            # SQLite's LIKE ignores ASCII case; Postgres' LIKE does not. GLOB
            # is case-sensitive, so the pattern is translated to GLOB syntax.
            if literal is not None:
                pattern = param(like_to_glob(literal))
            else:
                # TODO: honour backslash escapes in LIKE patterns computed at
                # run time; only literal patterns are translated with them.
                pattern = join_sql(
                    "replace(replace(replace(replace(replace(",
                    self.compile(pattern_node, scope).sql,
                    ", '[', '[[]'), '*', '[*]'), '?', '[?]'), '%', '*'), '_', '?')",
                )
            test = join_sql(value.sql, " GLOB ", pattern)
        else:
            if literal is not None:
                check_like_pattern(literal)
                pattern = param(literal)
            else:
                pattern = self.compile(pattern_node, scope).sql
            test = join_sql(value.sql, " LIKE ", pattern, " ESCAPE '\\'")
        if node.args.get("negate"):
            return Value(join_sql("(NOT (", test, "))"), "boolean")
        return Value(test.wrap("(", ")"), "boolean")

    def between(self, node: exp.Between, scope: Scope) -> Value:
        if extra_args(node, {"this", "low", "high"}):
            raise unsupported(node)
        value, low = self.operands(node.this, node.args["low"], scope)
        _, high = self.operands(node.this, node.args["high"], scope)
        value_sql, low_sql = temporal(value, low)
        _, high_sql = temporal(value, high)
        return Value(
            join_sql("(", value_sql, " BETWEEN ", low_sql, " AND ", high_sql, ")"),
            "boolean",
        )

    def arithmetic(self, node: exp.Expression, scope: Scope) -> Value:
        if extra_args(node, {"this", "expression", "typed", "safe"}):
            raise unsupported(node)
        left = self.compile(node.this, scope)
        right = self.compile(node.expression, scope)
        kinds = {left.kind, right.kind}
        if kinds <= {"integer"}:
            kind = "integer"
        elif kinds <= {"integer", "numeric"}:
            kind = "numeric"
        else:
            kind = "unknown"
        operator = ARITHMETIC[type(node)]
        return Value(join_sql("(", left.sql, f" {operator} ", right.sql, ")"), kind)

    def concat(self, node: exp.DPipe, scope: Scope) -> Value:
        left = self.compile(node.this, scope)
        right = self.compile(node.expression, scope)
        return Value(join_sql("(", left.sql, " || ", right.sql, ")"), "text")

    def negative(self, node: exp.Neg, scope: Scope) -> Value:
        inner = node.this
        if isinstance(inner, exp.Literal) and not inner.is_string:
            number = parse_number(str(inner.this), "numeric")
            return Value(param(-number), number_kind(number))
        value = self.compile(inner, scope)
        return Value(join_sql("(- ", value.sql, ")"), value.kind)

    def case(self, node: exp.Case, scope: Scope) -> Value:
        if extra_args(node, {"this", "ifs", "default"}):
            raise unsupported(node)
        operand = node.args.get("this")
        parts: list[Sql | str] = ["(CASE"]
        if operand is not None:
            parts += [" ", self.compile(operand, scope).sql]
        kind = "unknown"
        for branch in node.args.get("ifs") or []:
            if operand is None:
                condition = self.boolean(branch.this, scope, "CASE/WHEN")
            else:
                condition = self.compile(branch.this, scope).sql
            result = self.compile(branch.args["true"], scope)
            kind = result.kind if kind == "unknown" else kind
            parts += [" WHEN ", condition, " THEN ", result.sql]
        default = node.args.get("default")
        if default is not None:
            result = self.compile(default, scope)
            kind = result.kind if kind == "unknown" else kind
            parts += [" ELSE ", result.sql]
        parts.append(" END)")
        return Value(join_sql(*parts), kind)
