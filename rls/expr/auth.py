"""Supabase's `auth.*` helpers: what they compile to, and their values per request."""

from __future__ import annotations

import json
from collections.abc import Mapping

from sqlglot import exp

from database.sql import AuthValue
from rls.expr.syntax import unwrap


def resolve_auth_value(
    value: AuthValue, *, uid: str | None, role: str, claims: Mapping[str, object]
) -> object:
    """Return the parameter value for `value` in a request with this auth.

    - "uid": the JWT `sub` (None for anon); "role": the request role.
    - "jwt" with `as_json` (`auth.jwt()`, a chain ending in `->`): the JSON text
      of the claim at `path` (`null` for JSON null), None when it is missing.
    - "jwt" without `as_json` (a chain ending in `->>`, `auth.email()`): the
      claim as Postgres' `->>` renders it: a string as itself, JSON null or a
      missing key as None, anything else (numbers, booleans, objects) as its
      JSON text, e.g. `true`, `5`, `{"a": 1}`.
    """
    if value.kind == "uid":
        return uid
    if value.kind == "role":
        return role
    if value.kind != "jwt":
        raise ValueError(f"unknown AuthValue kind {value.kind!r}")
    node: object = claims
    for key in value.path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    if value.as_json:
        return json.dumps(node, ensure_ascii=False)
    if node is None or isinstance(node, str):
        return node
    return json.dumps(node, ensure_ascii=False)


AUTH_FUNCTIONS: dict[str, tuple[AuthValue, str]] = {
    "uid": (AuthValue("uid"), "uuid"),
    "role": (AuthValue("role"), "text"),
    "email": (AuthValue("jwt", ("email",)), "text"),
    "jwt": (AuthValue("jwt", (), as_json=True), "json"),
}


def is_auth_call(node: exp.Expression, name: str) -> bool:
    node = unwrap(node)
    return (
        isinstance(node, exp.Dot)
        and isinstance(node.this, exp.Identifier)
        and node.this.name.lower() == "auth"
        and isinstance(node.expression, exp.Anonymous)
        and node.expression.name.lower() == name
        and not node.expression.expressions
    )
