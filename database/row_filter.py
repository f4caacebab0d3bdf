"""A row filter on change events, written as Supabase Realtime writes one.

`status=eq.done`, `price=gt.10`, `id=in.(1,2,3)`: a column, an operator and
a value. Webhook endpoints use it to take only some rows' changes (and
realtime subscriptions, which speak this syntax, will too). A change matches
when its row — the new one, or the old one for a delete — has the column and
the comparison holds. The value is read as the type of the row's value, as
Postgres casts the filter's text to the column's type: `10` is a number
against a number and text against text. A NULL matches nothing, as in SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from koyalite.errors import KoyaError

OPERATORS = ("eq", "neq", "lt", "lte", "gt", "gte", "in")
_SYNTAX = re.compile(r"^([^=]+)=(eq|neq|lt|lte|gt|gte|in)\.(.*)$", re.S)
_TRUE = ("true", "t", "1", "yes", "on")
_FALSE = ("false", "f", "0", "no", "off")


class InvalidRowFilter(KoyaError):
    status = 400
    code = "KL310"


@dataclass(frozen=True, slots=True)
class RowFilter:
    column: str
    operator: str
    values: tuple[str, ...]  # one, or the list of `in`

    def matches(self, row: dict[str, object]) -> bool:
        if self.column not in row:
            return False
        value = row[self.column]
        if value is None:
            return False
        if self.operator == "in":
            return any(_compare(value, "eq", literal) for literal in self.values)
        return _compare(value, self.operator, self.values[0])


def parse(text: str) -> RowFilter | None:
    """The filter `text` writes, None for an empty one; `InvalidRowFilter`
    naming what is wrong otherwise."""
    text = text.strip()
    if not text:
        return None
    found = _SYNTAX.match(text)
    if found is None:
        raise InvalidRowFilter(
            f"row filter {text!r} is not column=operator.value",
            hint=f"Operators: {', '.join(OPERATORS)}. Example: status=eq.done, "
            "id=in.(1,2,3)",
        )
    column, operator, value = found.group(1).strip(), found.group(2), found.group(3)
    if not column:
        raise InvalidRowFilter(f"row filter {text!r} names no column")
    if operator != "in":
        return RowFilter(column, operator, (value,))
    if not (value.startswith("(") and value.endswith(")")):
        raise InvalidRowFilter(f"row filter {text!r}: in takes a list, as in.(a,b)")
    items = tuple(_unquote(item) for item in _split(value[1:-1]))
    if not items:
        raise InvalidRowFilter(f"row filter {text!r}: the list is empty")
    return RowFilter(column, operator, items)


def _split(text: str) -> list[str]:
    """Comma-separated items; a double-quoted item may hold commas."""
    return [m.group(0) for m in re.finditer(r'"(?:[^"\\]|\\.)*"|[^,]+', text)]


def _unquote(item: str) -> str:
    item = item.strip()
    if len(item) >= 2 and item[0] == item[-1] == '"':
        return re.sub(r"\\(.)", r"\1", item[1:-1])
    return item


def _compare(value: object, operator: str, literal: str) -> bool:
    if isinstance(value, bool):
        wanted = literal.strip().lower()
        if wanted not in _TRUE + _FALSE:
            return False
        other: object = wanted in _TRUE
        if operator not in ("eq", "neq"):
            return False
    elif isinstance(value, int | float):
        try:
            other = float(literal)
        except ValueError:
            return False
    elif isinstance(value, str):
        other = literal
    else:
        return False  # JSON objects and arrays compare with nothing
    return {
        "eq": value == other,
        "neq": value != other,
        "lt": value < other,  # type: ignore[operator]
        "lte": value <= other,  # type: ignore[operator]
        "gt": value > other,  # type: ignore[operator]
        "gte": value >= other,  # type: ignore[operator]
    }[operator]
