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
from decimal import Decimal

import orjson

from database.errors import InvalidValue, NumberOutOfRange, StringTooLong
from database.numbers import JsonNumber, dumps_exact
from database.schema import ColumnInfo, TypeKind, number_type, type_kind
from database.sqlite.functions import jsonb_text

_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
_NUMERIC = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_TRUE = frozenset({"true", "t", "yes", "y", "on", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "off", "0"})
# Postgres' integer ranges. SQLite's own integers are 64-bit signed: anything
# wider would silently become a REAL.
_INTEGER_RANGES = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
_INT_MIN, _INT_MAX = _INTEGER_RANGES["bigint"]
# Past this many digits no integer is in range (and int() refuses 4,300).
_MAX_INTEGER_DIGITS = 19
_REAL_MAX = 3.4028234663852886e38


def _shown(value: object) -> str:
    if isinstance(value, JsonNumber):
        shown = value.text
    elif isinstance(value, str):
        shown = value
    else:
        shown = dumps_exact(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _invalid(kind: str, value: object) -> InvalidValue:
    kind = kind.split("(")[0]  # numeric(10,2) is type numeric
    return InvalidValue(f'invalid input syntax for type {kind}: "{_shown(value)}"')


def _out_of_range(value: object, number_type: str) -> NumberOutOfRange:
    number_type = number_type.split("(")[0]
    if number_type in ("real", "double precision"):
        # Postgres words float overflow without "value".
        return NumberOutOfRange(
            f'"{_shown(value)}" is out of range for type {number_type}'
        )
    error = NumberOutOfRange(
        f'value "{_shown(value)}" is out of range for type {number_type}'
    )
    if number_type == "numeric":
        error.details = (
            "numeric values are stored as 64-bit floating point numbers, "
            "which hold about 15 significant digits and at most 1.8e308"
        )
    return error


def _integer(value: int, shown: object, number_type: str) -> int:
    low, high = _INTEGER_RANGES.get(number_type, (_INT_MIN, _INT_MAX))
    if not low <= value <= high:
        raise _out_of_range(shown, number_type)
    return value


def _integer_text(text: str, number_type: str) -> int:
    if not _INTEGER.match(text):
        raise _invalid(number_type, text)
    digits = text.strip().lstrip("+-").lstrip("0")
    if len(digits) > _MAX_INTEGER_DIGITS:
        raise _out_of_range(text.strip(), number_type)
    return _integer(int(text), text.strip(), number_type)


def _number(value: int | float | Decimal, shown: object, number_type: str):
    """A number for a numeric, real or double column, as SQLite will keep it:
    an integer SQLite can hold, or a double that is the value itself (for
    `numeric`; `real` and `double precision` round as Postgres' do)."""
    if (
        number_type.startswith("numeric")
        and isinstance(value, Decimal)
        and _INT_MIN <= value <= _INT_MAX
        and value == value.to_integral_value()
    ):
        # 34607292920841e4 as a double would be turned by SQLite's numeric
        # affinity into that double's integer, 346072929208409984: keep the
        # integer that was sent instead.
        value = int(value)
    if isinstance(value, int) and _INT_MIN <= value <= _INT_MAX:
        _check_precision(value, number_type)
        return value
    try:
        number = float(value)
    except OverflowError:  # an int past 1.8e308
        raise _out_of_range(shown, number_type) from None
    if not math.isfinite(number):
        raise _out_of_range(shown, number_type)
    if number_type == "real" and abs(number) > _REAL_MAX:
        raise _out_of_range(shown, number_type)
    if number_type.startswith("numeric"):
        if not _is_exact(value, number):
            raise _out_of_range(shown, "numeric")
        _check_precision(value, number_type)
    return number


_NUMERIC_BOUND = re.compile(r"numeric\((\d+),(\d+)\)")


def _check_precision(value: int | float | Decimal, number_type: str) -> None:
    """`numeric(p,s)` holds values below 10^(p-s), as Postgres bounds them."""
    match = _NUMERIC_BOUND.fullmatch(number_type)
    if match is None:
        return
    precision, scale = int(match.group(1)), int(match.group(2))
    exact = value if isinstance(value, int | Decimal) else Decimal(repr(value))
    if abs(exact) >= Decimal(10) ** (precision - scale):
        raise NumberOutOfRange(
            "numeric field overflow",
            details=f"A field with precision {precision}, scale {scale} must "
            f"round to an absolute value less than 10^{precision - scale}.",
        )


def _is_exact(value: int | float | Decimal, number: float) -> bool:
    """Whether the double `number` is `value` itself, as a client reads it back:
    the shortest text that reads back as that double."""
    if isinstance(value, float):
        return True
    if isinstance(value, int):
        return number == value  # exact comparison of int and float
    return Decimal(repr(number)) == value


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


def _from_text(kind: TypeKind, text: str, number_type: str = "bigint") -> object:
    """Coerce query-string or JSON-string text to `kind`.

    `number_type` names the Postgres type an integer or numeric value must
    fit (`ColumnInfo.number_type`).
    """
    if kind in ("text", "blob"):
        return text
    if kind == "integer":
        return _integer_text(text, number_type)
    if kind == "numeric":
        if not _NUMERIC.match(text):
            raise _invalid(number_type, text)
        stripped = text.strip()
        if _INTEGER.match(stripped) and len(stripped) <= _MAX_INTEGER_DIGITS:
            return _number(int(stripped), stripped, number_type)
        return _number(Decimal(stripped), stripped, number_type)
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
    """Coerce a filter's text to the column's type.

    A JSON document becomes its canonical text (keys sorted, no spaces), the
    form `koyalite_jsonb` gives the stored side, so equal documents compare
    equal as jsonb's do.
    """
    if column.kind == "json":
        try:
            return jsonb_text(text)
        except orjson.JSONDecodeError:
            raise _invalid("json", text) from None
    if column.kind == "array":
        return text
    return _from_text(column.kind, text, column.number_type)


def cast_value(value: object, cast: str) -> object:
    """`value::cast` as Postgres computes it from the value's text: a checked
    cast (SQLite's CAST turns 'baz' into 0; Postgres refuses it)."""
    if value is None:
        return None
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, bytes):
        text = value.decode(errors="replace")
    else:
        text = str(value)
    kind, _ = type_kind(cast)
    if kind == "json":
        try:
            orjson.loads(text)
        except orjson.JSONDecodeError:
            raise _invalid("json", text) from None
        return text
    return _from_text(kind, text, number_type(cast))


def json_path_value(text: str) -> object:
    """A filter value compared with a JSON path (`data->>size=eq.2`).

    `->>` yields text in Postgres; numbers compare as numbers when the value
    looks like one, which is what a client filtering JSON means.
    """
    if _INTEGER.match(text) and len(text.strip()) <= _MAX_INTEGER_DIGITS:
        number = int(text)
        if _INT_MIN <= number <= _INT_MAX:
            return number
    try:
        double = float(text)
    except ValueError:
        return text
    # A number no double holds exactly stays text, compared as text.
    if math.isfinite(double) and _NUMERIC.match(text):
        if _is_exact(Decimal(text.strip()), double):
            return double
    return text


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


def array_value(column: ColumnInfo, items: list[object]) -> list[object]:
    """Coerce the items of an array value to the column's element type."""
    kind = column.element_kind or "text"
    number_type = column.number_type
    return [
        None if item is None else body_value_of_kind(kind, item, number_type)
        for item in items
    ]


def body_value_of_kind(
    kind: TypeKind, value: object, number_type: str = "bigint"
) -> object:
    """Coerce one decoded JSON value to `kind` (not for json/array kinds).

    Numbers arrive as int, or as `JsonNumber` when they have a fraction or an
    exponent (`database/numbers.py`); each is stored exactly or refused.
    """
    if value is None:
        return None
    if kind in ("text", "blob"):
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, JsonNumber):
            return value.text  # the number as written, as Postgres keeps it
        if isinstance(value, int | float):
            return str(value)
        return _json_text(value)
    if kind == "boolean":
        if isinstance(value, bool):
            return 1 if value else 0
        if isinstance(value, str):
            return _from_text("boolean", value)
        raise _invalid("boolean", value)
    if kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return _integer(value, value, number_type)
        if isinstance(value, str):
            return _integer_text(value, number_type)
        if isinstance(value, JsonNumber) and _INTEGER.match(value.text):
            raise _out_of_range(value, number_type)  # too long to read as an int
        # `1.0` too: Postgres reads an integer column's value as text.
        raise _invalid(number_type, value)
    if kind == "numeric":
        if isinstance(value, bool):
            raise _invalid(number_type, value)
        if isinstance(value, int | float | Decimal):
            return _number(value, value, number_type)
        if isinstance(value, str):
            return _from_text("numeric", value, number_type)
        raise _invalid(number_type, value)
    if isinstance(value, str):
        return _from_text(kind, value)
    raise _invalid({"timestamptz": "timestamp with time zone"}.get(kind, kind), value)


def _json_text(value: object) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        # A `JsonNumber` or an integer past 64 bits: written as it came.
        return dumps_exact(value)


def body_value(column: ColumnInfo, value: object) -> object:
    """Coerce one decoded JSON body value to the column's type for storage."""
    if value is None:
        return None
    if column.kind == "json":
        return _json_text(value)
    if column.kind == "array":
        if isinstance(value, str):
            value = parse_array_literal(value)
        if not isinstance(value, list):
            raise _invalid("array", value)
        return _json_text(array_value(column, value))
    coerced = body_value_of_kind(column.kind, value, column.number_type)
    limit = column.max_length
    if limit is not None and isinstance(coerced, str) and len(coerced) > limit:
        # Postgres refuses it (and so never cuts it short).
        raise StringTooLong(f"value too long for type {column.length_type}({limit})")
    return coerced
