"""Literals, casts, functions, `auth.*` and `storage.*` calls, array
subscripts and JSON chains."""

from __future__ import annotations

from sqlglot import exp

from database.coerce import NOW_SQL
from database.sql import AuthValue, Sql, param
from database.sqlite.functions import STORAGE_HELPERS, SUBSCRIPT
from rls.errors import DatatypeMismatch, GroupingError, PolicyError, UndefinedFunction
from rls.expr.auth import AUTH_FUNCTIONS, is_auth_call
from rls.expr.base import CompilerBase
from rls.expr.coercion import (
    AGGREGATES,
    CAST_KINDS,
    cast_literal,
    cast_sql,
    json_key,
    json_path,
    parse_number,
)
from rls.expr.syntax import (
    extra_args,
    join_sql,
    snippet,
    string_literal,
    trivial_select,
    undefined_function,
    unsupported,
    unwrap,
)
from rls.expr.values import PG_TYPE_NAMES, Scope, Value, number_kind

FUNCTIONS: dict[type[exp.Expression], tuple[str, set[str]]] = {
    exp.Coalesce: ("coalesce", {"this", "expressions"}),
    exp.Nullif: ("nullif", {"this", "expression"}),
    exp.Lower: ("lower", {"this"}),
    exp.Upper: ("upper", {"this"}),
    exp.Length: ("length", {"this"}),
    exp.Trim: ("trim", {"this"}),
}
# Supabase Storage's helpers: the SQLite function each compiles to, and the
# kind and element kind it returns.
STORAGE_FUNCTIONS: dict[str, tuple[str, str, str | None]] = {
    "foldername": (STORAGE_HELPERS["foldername"], "array", "text"),
    "filename": (STORAGE_HELPERS["filename"], "text", None),
    "extension": (STORAGE_HELPERS["extension"], "text", None),
}


class FunctionCompiler(CompilerBase):
    """Literals, casts, the whitelisted functions, `auth.*` and JSON chains."""

    def literal(self, node: exp.Literal, scope: Scope) -> Value:
        if node.is_string:
            return Value(param(node.this), "unknown")
        number = parse_number(str(node.this), "numeric")
        return Value(param(number), number_kind(number))

    def raw_string(self, node: exp.RawString, scope: Scope) -> Value:
        return Value(param(node.this), "unknown")

    def boolean_literal(self, node: exp.Boolean, scope: Scope) -> Value:
        return Value(param(bool(node.this)), "boolean")

    def null(self, node: exp.Null, scope: Scope) -> Value:
        return Value(param(None), "unknown")

    def cast(self, node: exp.Cast, scope: Scope) -> Value:
        target_type = node.args.get("to")
        if extra_args(node, {"this", "to", "_type"}) or not isinstance(
            target_type, exp.DataType
        ):
            raise unsupported(node)
        kind = CAST_KINDS.get(target_type.this)
        if kind is None or target_type.args.get("nested"):
            raise PolicyError(
                f"casts to {target_type.sql(dialect='postgres')} are not supported "
                "in policy expressions"
            )
        literal = string_literal(node.this)
        if literal is not None:
            return cast_literal(literal, kind)
        value = self.compile(node.this, scope)
        return Value(cast_sql(value, kind, target_type.this), kind)

    def auth_value(self, value: AuthValue, kind: str) -> Value:
        return Value(param(value), kind)

    def dot(self, node: exp.Dot, scope: Scope) -> Value:
        owner, function = node.this, node.expression
        if not isinstance(owner, exp.Identifier) or not isinstance(
            function, exp.Anonymous
        ):
            raise unsupported(node)
        name = f"{owner.name}.{function.name}"
        if owner.name.lower() == "auth" and not function.expressions:
            known = AUTH_FUNCTIONS.get(function.name.lower())
            if known is not None:
                return self.auth_value(*known)
        if owner.name.lower() == "storage":
            helper = STORAGE_FUNCTIONS.get(function.name.lower())
            if helper is not None:
                return self.storage_helper(name, function, helper, scope)
        raise undefined_function(name, node)

    def storage_helper(
        self,
        name: str,
        node: exp.Anonymous,
        helper: tuple[str, str, str | None],
        scope: Scope,
    ) -> Value:
        """`storage.foldername(name)` and its kin take one text argument."""
        if extra_args(node, {"this", "expressions"}):
            raise unsupported(node)
        function, kind, element = helper
        arguments = [self.compile(argument, scope) for argument in node.expressions]
        if len(arguments) != 1 or arguments[0].kind not in ("text", "unknown"):
            types = ", ".join(PG_TYPE_NAMES.get(a.kind, a.kind) for a in arguments)
            raise UndefinedFunction(
                f"function {name.lower()}({types}) does not exist",
                details=f'in "{snippet(node)}"',
                hint=f"{name.lower()}() takes one text argument, an object's "
                "name such as 'folder/photo.png'; cast others with ::text.",
            )
        return Value(join_sql(f"{function}(", arguments[0].sql, ")"), kind, element)

    def subscript(self, node: exp.Bracket, scope: Scope) -> Value:
        """`array[i]`, 1-based; `array[i][j]` is one subscript with two
        indexes, as Postgres reads it."""
        indexes: list[exp.Expression] = []
        base: exp.Expression = node
        while isinstance(base, exp.Bracket):
            if extra_args(base, {"this", "expressions", "offset"}):
                raise unsupported(node)
            if len(base.expressions) != 1:
                raise unsupported(node)
            if isinstance(base.expressions[0], exp.Slice):
                raise PolicyError(
                    "array slices are not supported in policy expressions",
                    details=f'in "{snippet(node)}"',
                    hint="Subscript one element: (storage.foldername(name))[1].",
                )
            indexes.append(base.expressions[0])
            base = base.this
        indexes.reverse()
        array = self.compile(base, scope)
        if array.kind != "array":
            type_name = PG_TYPE_NAMES.get(array.kind, array.kind)
            raise DatatypeMismatch(
                f"cannot subscript type {type_name} because it does not "
                "support subscripting",
                details=f'in "{snippet(node)}"',
            )
        positions = [self.array_index(index, scope) for index in indexes]
        return Value(
            join_sql(f"{SUBSCRIPT}(", Sql.join([array.sql, *positions], ", "), ")"),
            array.element or "unknown",
        )

    def array_index(self, node: exp.Expression, scope: Scope) -> Sql:
        literal = string_literal(node)
        if literal is not None:
            return param(parse_number(literal, "integer"))
        index = self.compile(node, scope)
        # numeric rounds to integer, as in Postgres' assignment cast.
        if index.kind not in ("integer", "numeric", "unknown"):
            raise DatatypeMismatch(
                "array subscript must have type integer",
                details=f'in "{snippet(node)}"',
            )
        return index.sql

    def json_chain(self, node: exp.Expression, scope: Scope) -> Value:
        """`->`/`->>` chains: on `auth.jwt()` they become one AuthValue."""
        steps: list[tuple[bool, str | int]] = []  # (as text, key)
        base: exp.Expression = node
        while isinstance(base, (exp.JSONExtract, exp.JSONExtractScalar)):
            if extra_args(base, {"this", "expression", "only_json_types"}):
                raise unsupported(node)
            steps.append((isinstance(base, exp.JSONExtractScalar), json_key(base)))
            base = unwrap(base.this)
        steps.reverse()
        for as_text, _key in steps[:-1]:
            if as_text:
                raise UndefinedFunction(
                    "operator does not exist: text -> unknown",
                    details=f'in "{snippet(node)}"',
                    hint="->> returns text; use -> for every step but the last.",
                )
        keys = [key for _as_text, key in steps]
        as_text = steps[-1][0]
        jwt = trivial_select(base) if isinstance(base, exp.Subquery) else base
        if jwt is not None and is_auth_call(jwt, "jwt"):
            text_keys: list[str] = []
            for key in keys:
                if not isinstance(key, str):
                    raise PolicyError(
                        "array indexes in auth.jwt() paths are not supported",
                        details=f'in "{snippet(node)}"',
                    )
                text_keys.append(key)
            value = AuthValue("jwt", tuple(text_keys), as_json=not as_text)
            return self.auth_value(value, "text" if as_text else "json")
        document = self.compile(base, scope)
        if document.kind not in ("json", "unknown"):
            operator = "->>" if as_text else "->"
            type_name = PG_TYPE_NAMES.get(document.kind, document.kind)
            raise UndefinedFunction(
                f"operator does not exist: {type_name} {operator} unknown",
                details=f'in "{snippet(node)}"',
            )
        path = json_path(keys)
        if not as_text:
            return Value(join_sql("(", document.sql, " -> ", param(path), ")"), "json")
        # Postgres' ->> renders JSON booleans as 'true'/'false' and numbers as
        # text; SQLite's ->> would return 1/0 and numbers.
        return Value(
            join_sql(
                "(CASE json_type(",
                document.sql,
                ", ",
                param(path),
                ") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(",
                "json_extract(",
                document.sql,
                ", ",
                param(path),
                ") AS TEXT) END)",
            ),
            "text",
        )

    def function(self, node: exp.Expression, scope: Scope) -> Value:
        """coalesce, nullif, lower, upper, length/char_length, trim."""
        name, allowed = FUNCTIONS[type(node)]
        if extra_args(node, allowed):
            raise unsupported(node)
        args = [node.this, *(node.expressions or [])]
        if node.args.get("expression") is not None:
            args.append(node.args["expression"])
        values = [self.compile(arg, scope) for arg in args]
        if name == "coalesce" and len(values) == 1:
            values.append(Value(param(None), "unknown"))  # SQLite wants two
        kind = {
            "lower": "text",
            "upper": "text",
            "trim": "text",
            "length": "integer",
        }.get(name)
        if kind is None:
            kind = next((v.kind for v in values if v.kind != "unknown"), "unknown")
        arguments = Sql.join((v.sql for v in values), ", ")
        return Value(join_sql(f"{name}(", arguments, ")"), kind)

    def now(self, node: exp.Expression, scope: Scope) -> Value:
        if extra_args(node, set()):
            raise unsupported(node)
        if isinstance(node, exp.CurrentDate):
            return Value(Sql("date('now')"), "date")
        return Value(Sql(NOW_SQL), "timestamptz")

    def current_user(self, node: exp.Expression, scope: Scope) -> Value:
        return self.auth_value(AuthValue("role"), "text")

    def aggregate(self, node: exp.Expression, scope: Scope) -> Value:
        if not self.aggregates_allowed:
            raise GroupingError(
                "aggregate functions are not allowed in policy expressions",
                details=f'in "{snippet(node)}"',
            )
        name = AGGREGATES[type(node)]
        if extra_args(node, {"this", "big_int"}):
            raise unsupported(node)
        argument = node.this
        if isinstance(argument, exp.Star) and name == "count":
            return Value(Sql("count(*)"), "integer")
        distinct = ""
        if isinstance(argument, exp.Distinct):
            if len(argument.expressions) != 1 or extra_args(argument, {"expressions"}):
                raise unsupported(node)
            distinct = "DISTINCT "
            argument = argument.expressions[0]
        value = self.compile(argument, scope)
        kind = {"count": "integer", "avg": "numeric"}.get(name, value.kind)
        return Value(join_sql(f"{name}({distinct}", value.sql, ")"), kind)
