"""Give request values their column's declared type; the only place that does.

Filter values arrive as query-string text, body values as decoded JSON. Each is
checked and normalised here so that what reaches SQLite compares correctly with
what is stored: booleans as 1/0, UUIDs as canonical lowercase dashed text,
timestamps as ISO 8601 text in UTC with microseconds, JSON and arrays as JSON
text. A value that cannot take the type is an `InvalidValue` (22P02), as in
Postgres, never a 500.
"""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, date, datetime, time

import orjson

from database.errors import InvalidValue
from database.schema import ColumnInfo, TypeKind

_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_TRUE = frozenset({"true", "t", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "off", "0"})
# SQLite integers are 64-bit signed; anything wider would silently become a REAL.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def _invalid(kind: str, value: object) -> InvalidValue:
    shown = value if isinstance(value, str) else orjson.dumps(value).decode()
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return InvalidValue(f'invalid input syntax for type {kind}: "{shown}"')


# SQL for "now" in that same stored form. SQLite's %f has milliseconds only;
# the zeros pad it to microseconds so stored values always compare as text.
NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')"


def timestamp_text(moment: datetime) -> str:
    """The one stored form of a timestamptz: UTC, microseconds, `+00:00`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _parse_datetime(text: str) -> datetime:
    cleaned = text.strip()
    if " " in cleaned and "T" not in cleaned:
        cleaned = cleaned.replace(" ", "T", 1)
    if cleaned.endswith(("z", "Z")):
        cleaned = cleaned[:-1] + "+00:00"
    # Postgres writes short offsets (+02); fromisoformat wants +02:00.
    if re.search(r"[+-]\d{2}$", cleaned):
        cleaned += ":00"
    return datetime.fromisoformat(cleaned)


def _from_text(kind: TypeKind, text: str) -> object:
    """Coerce query-string or JSON-string text to `kind`."""
    if kind in ("text", "blob"):
        return text
    if kind == "integer":
        if not _INTEGER.match(text):
            raise _invalid("integer", text)
        value = int(text)
        if not _INT_MIN <= value <= _INT_MAX:
            raise InvalidValue(f'value "{text}" is out of range for type bigint')
        return value
    if kind == "numeric":
        if not _NUMERIC.match(text):
            raise _invalid("numeric", text)
        number = float(text)
        if not math.isfinite(number):
            raise _invalid("numeric", text)
        return int(text) if _INTEGER.match(text) else number
    if kind == "boolean":
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return 1
        if lowered in _FALSE:
            return 0
        raise _invalid("boolean", text)
    if kind == "uuid":
        try:
            return str(uuid.UUID(text.strip()))
        except ValueError:
            raise _invalid("uuid", text) from None
    if kind == "date":
        try:
            return date.fromisoformat(text.strip()).isoformat()
        except ValueError:
            raise _invalid("date", text) from None
    if kind == "time":
        try:
            return time.fromisoformat(text.strip()).isoformat()
        except ValueError:
            raise _invalid("time", text) from None
    if kind in ("timestamp", "timestamptz"):
        try:
            moment = _parse_datetime(text)
        except ValueError:
            name = "timestamp with time zone" if kind == "timestamptz" else "timestamp"
            raise _invalid(name, text) from None
        if kind == "timestamp":
            return moment.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%f")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return timestamp_text(moment)
    if kind in ("json", "array"):
        # A query-string value for a JSON column is compared as JSON text.
        try:
            return orjson.dumps(orjson.loads(text)).decode()
        except orjson.JSONDecodeError:
            raise _invalid("json", text) from None
    raise AssertionError(f"unhandled kind {kind}")


def filter_value(column: ColumnInfo, text: str) -> object:
    """Coerce a filter's text to the column's type."""
    if column.kind in ("json", "array"):
        return text
    return _from_text(column.kind, text)


def json_path_value(text: str) -> object:
    """A filter value compared with a JSON path (`data->>size=eq.2`).

    `->>` yields text in Postgres; numbers compare as numbers when the value
    looks like one, which is what a client filtering JSON means.
    """
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def slot_value(column: ColumnInfo | None, text: str) -> object:
    """The value of a prepared statement's slot: a filter value, typed."""
    if column is None:
        return json_path_value(text)
    return filter_value(column, text)


def parse_array_literal(text: str) -> list[str]:
    """Split a Postgres array literal `{a,"b,c",d}` (or a JSON array) into items."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            items = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            raise _invalid("array", text) from None
        if not isinstance(items, list):
            raise _invalid("array", text)
        return items
    if not (stripped.startswith("{") and stripped.endswith("}")):
        raise InvalidValue(
            f'malformed array literal: "{text}"', hint="Arrays look like {a,b,c}."
        )
    body = stripped[1:-1]
    items: list[str] = []
    if not body.strip():
        return items
    current: list[str] = []
    quoted = False
    escaped = False
    was_quoted = False
    for char in body:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
            was_quoted = True
        elif char == "," and not quoted:
            items.append("".join(current) if was_quoted else "".join(current).strip())
            current, was_quoted = [], False
        else:
            current.append(char)
    if quoted:
        raise InvalidValue(f'malformed array literal: "{text}"')
    items.append("".join(current) if was_quoted else "".join(current).strip())
    return items


def array_value(element_kind: TypeKind | None, items: list[object]) -> list[object]:
    kind = element_kind or "text"
    return [None if item is None else body_value_of_kind(kind, item) for item in items]


def body_value_of_kind(kind: TypeKind, value: object) -> object:
    """Coerce one decoded JSON value to `kind` (not for json/array kinds)."""
    if value is None:
        return None
    if kind in ("text", "blob"):
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return orjson.dumps(value).decode()
    if kind == "boolean":
        if isinstance(value, bool):
            return 1 if value else 0
        if isinstance(value, str):
            return _from_text("boolean", value)
        raise _invalid("boolean", value)
    if kind == "integer":
        if isinstance(value, bool):
            raise _invalid("integer", value)
        if isinstance(value, int):
            if not _INT_MIN <= value <= _INT_MAX:
                raise InvalidValue(f'value "{value}" is out of range for type bigint')
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            return _from_text("integer", value)
        raise _invalid("integer", value)
    if kind == "numeric":
        if isinstance(value, bool):
            raise _invalid("numeric", value)
        if isinstance(value, int | float):
            return value
        if isinstance(value, str):
            return _from_text("numeric", value)
        raise _invalid("numeric", value)
    if isinstance(value, str):
        return _from_text(kind, value)
    raise _invalid({"timestamptz": "timestamp with time zone"}.get(kind, kind), value)


def body_value(column: ColumnInfo, value: object) -> object:
    """Coerce one decoded JSON body value to the column's type for storage."""
    if value is None:
        return None
    if column.kind == "json":
        return orjson.dumps(value).decode()
    if column.kind == "array":
        if isinstance(value, str):
            value = parse_array_literal(value)
        if not isinstance(value, list):
            raise _invalid("array", value)
        return orjson.dumps(array_value(column.element_kind, value)).decode()
    return body_value_of_kind(column.kind, value)
