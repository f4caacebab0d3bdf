"""SQL text and parameters travelling together; the only way a name enters SQL."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from koyalite.errors import KoyaError


class InvalidIdentifier(KoyaError):
    code = "PGRST100"

    def __init__(self, name: str) -> None:
        super().__init__(f"'{name}' is not a valid identifier")


def quote_ident(name: str) -> str:
    """Return `name` quoted for SQLite; the only way a name enters SQL text."""
    if not name or "\x00" in name:
        raise InvalidIdentifier(name)
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class AuthValue:
    """A parameter filled from the request's `Auth` when the statement runs.

    Compiled policies hold these instead of values, so one compiled policy serves
    every request. `kind` is "uid", "role" or "jwt"; `path` walks the JWT claims.
    """

    kind: str
    path: tuple[str, ...] = ()
    # For "jwt": True when the value is JSON text (`auth.jwt()`, a chain ending
    # in `->`), False when it is the claim as SQL text (a chain ending in `->>`).
    as_json: bool = False


@dataclass(frozen=True, slots=True)
class Slot:
    """A parameter filled from the request's own filter values when it runs.

    Prepared statements hold these in place of the values of simple
    comparisons, so one compiled statement serves every request of one shape.
    `column` gives the value its type; None means a JSON path (see coerce).
    """

    index: int
    column: object | None = None  # ColumnInfo; typed loosely to keep this module leaf


@dataclass(frozen=True, slots=True)
class Sql:
    text: str
    params: tuple[object, ...] = ()

    def __add__(self, other: Sql) -> Sql:
        return Sql(self.text + other.text, self.params + other.params)

    @staticmethod
    def join(parts: Iterable[Sql], separator: str) -> Sql:
        texts: list[str] = []
        params: list[object] = []
        for part in parts:
            texts.append(part.text)
            params.extend(part.params)
        return Sql(separator.join(texts), tuple(params))

    def wrap(self, before: str, after: str) -> Sql:
        return Sql(before + self.text + after, self.params)


def param(value: object) -> Sql:
    return Sql("?", (value,))


def literal(text: str) -> Sql:
    """`text` as a SQL string literal, for SQL that cannot take parameters
    (a trigger's body). Only names from the schema go this way, never a
    request's values."""
    if "\x00" in text:
        raise InvalidIdentifier(text)
    return Sql("'" + text.replace("'", "''") + "'")
