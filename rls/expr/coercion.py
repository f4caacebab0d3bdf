"""Literals and casts: Postgres' spellings, SQLite's values."""

from __future__ import annotations

import json
import uuid

from sqlglot import exp

from database.sql import Sql, param
from rls.errors import InvalidEscapeSequence, InvalidTextRepresentation, PolicyError
from rls.expr.syntax import join_sql, snippet, string_literal
from rls.expr.values import FALSE_WORDS, TRUE_WORDS, Value


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise InvalidTextRepresentation(f'invalid input syntax for type boolean: "{text}"')


def parse_number(text: str, kind: str) -> int | float:
    word = text.strip()
    try:
        if kind == "integer":
            return int(word)
        number = float(word)
    except ValueError:
        type_name = "integer" if kind == "integer" else "numeric"
        raise InvalidTextRepresentation(
            f'invalid input syntax for type {type_name}: "{text}"'
        ) from None
    return int(number) if number.is_integer() and "." not in word else number


def parse_uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise InvalidTextRepresentation(
            f'invalid input syntax for type uuid: "{text}"'
        ) from None


def like_to_glob(pattern: str) -> str:
    """Translate a Postgres LIKE pattern (escape `\\`) to a case-sensitive GLOB."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise InvalidEscapeSequence(
                    "LIKE pattern must not end with escape character"
                )
            char = escaped
        elif char == "%":
            out.append("*")
            continue
        elif char == "_":
            out.append("?")
            continue
        out.append({"*": "[*]", "?": "[?]", "[": "[[]"}.get(char, char))
    return "".join(out)


def check_like_pattern(pattern: str) -> None:
    """Postgres rejects a pattern ending in a lone escape character."""
    trailing = len(pattern) - len(pattern.rstrip("\\"))
    if trailing % 2:
        raise InvalidEscapeSequence("LIKE pattern must not end with escape character")


def json_path(keys: list[str | int]) -> str:
    path = ["$"]
    for key in keys:
        if isinstance(key, int):
            if key < 0:
                raise PolicyError("negative JSON array indexes are not supported")
            path.append(f"[{key}]")
        elif '"' in key:
            raise PolicyError(f"JSON keys containing '\"' are not supported: {key!r}")
        else:
            path.append(f'."{key}"')
    return "".join(path)


COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.NullSafeEQ: "IS",
    exp.NullSafeNEQ: "IS NOT",
}
ARITHMETIC: dict[type[exp.Expression], str] = {
    exp.Add: "+",
    exp.Sub: "-",
    exp.Mul: "*",
    exp.Div: "/",
    exp.Mod: "%",
}
AGGREGATES: dict[type[exp.Expression], str] = {
    exp.Count: "count",
    exp.Min: "min",
    exp.Max: "max",
    exp.Sum: "sum",
    exp.Avg: "avg",
}


def _cast_kinds() -> dict[object, str]:
    names = {
        "text": ("TEXT", "VARCHAR", "CHAR", "NCHAR", "NVARCHAR", "NAME", "BPCHAR"),
        "uuid": ("UUID",),
        "integer": ("INT", "BIGINT", "SMALLINT", "TINYINT", "MEDIUMINT"),
        "numeric": ("DECIMAL", "DOUBLE", "FLOAT", "BIGDECIMAL"),
        "boolean": ("BOOLEAN",),
        "date": ("DATE",),
        "time": ("TIME", "TIMETZ"),
        "timestamp": ("TIMESTAMP", "DATETIME"),
        "timestamptz": ("TIMESTAMPTZ", "TIMESTAMPLTZ"),
        "json": ("JSON", "JSONB"),
    }
    kinds: dict[object, str] = {}
    for kind, members in names.items():
        for member in members:
            dtype = getattr(exp.DataType.Type, member, None)
            if dtype is not None:
                kinds[dtype] = kind
    return kinds


CAST_KINDS = _cast_kinds()
REAL_TYPES = frozenset(
    t
    for t in (getattr(exp.DataType.Type, n, None) for n in ("DOUBLE", "FLOAT"))
    if t is not None
)


def json_key(node: exp.Expression) -> str | int:
    path = node.expression
    if isinstance(path, exp.JSONPath) and len(path.expressions) == 2:
        step = path.expressions[1]
        if isinstance(step, exp.JSONPathKey) and isinstance(step.this, str):
            return step.this
        if isinstance(step, exp.JSONPathSubscript) and isinstance(step.this, int):
            return step.this
    literal = string_literal(path)
    if literal is None and isinstance(path, exp.Cast):
        # `-> 'key'::text` is still a literal key.
        if CAST_KINDS.get(getattr(path.args.get("to"), "this", None)) == "text":
            literal = string_literal(path.this)
    if literal is not None:
        return literal
    raise PolicyError(
        "JSON operators in policies take a literal key or index",
        details=f'in "{snippet(node)}"',
    )


def coerce_literal(text: str, kind: str) -> Value:
    """Give an untyped string literal the type of what it is compared with."""
    if kind == "boolean":
        return Value(param(parse_bool(text)), "boolean")
    if kind in ("integer", "numeric"):
        return Value(param(parse_number(text, kind)), kind)
    if kind == "uuid":
        return Value(param(parse_uuid(text)), "uuid")
    return Value(param(text), "unknown")


def cast_literal(text: str, kind: str) -> Value:
    if kind == "json":
        try:
            json.loads(text)
        except ValueError:
            raise InvalidTextRepresentation(
                f'invalid input syntax for type json: "{text}"'
            ) from None
        return Value(param(text), "json")
    if kind in ("boolean", "integer", "numeric", "uuid"):
        return coerce_literal(text, kind)
    return Value(param(text), kind)


def cast_sql(value: Value, kind: str, dtype: object) -> Sql:
    source = value.kind
    sql = value.sql
    if kind == "text":
        if source == "boolean":
            return join_sql(
                "(CASE ", sql, " WHEN 1 THEN 'true' WHEN 0 THEN 'false' END)"
            )
        if source in ("integer", "numeric", "unknown", "blob"):
            return join_sql("CAST(", sql, " AS TEXT)")
        return sql
    if kind == "integer":
        if source in ("integer", "boolean"):
            return sql
        return join_sql("CAST(", sql, " AS INTEGER)")
    if kind == "numeric":
        target = "REAL" if dtype in REAL_TYPES else "NUMERIC"
        return join_sql("CAST(", sql, f" AS {target})")
    if kind == "boolean":
        if source == "boolean":
            return sql
        if source in ("integer", "numeric"):
            return join_sql("(", sql, " <> 0)")
        return join_sql(
            "(CASE lower(trim(CAST(",
            sql,
            " AS TEXT))) WHEN 't' THEN 1 WHEN 'true' THEN 1 WHEN 'y' THEN 1 "
            "WHEN 'yes' THEN 1 WHEN 'on' THEN 1 WHEN '1' THEN 1 "
            "WHEN 'f' THEN 0 WHEN 'false' THEN 0 WHEN 'n' THEN 0 "
            "WHEN 'no' THEN 0 WHEN 'off' THEN 0 WHEN '0' THEN 0 END)",
        )
    # uuid, json, dates and timestamps are stored as text: nothing to convert.
    return sql
