"""JSON numbers exactly as the client wrote them.

orjson reads every number with a fraction or an exponent, and every integer
past 64 bits, as a double: `-9223372036854775809` arrives as
-9223372036854775808.0 and `0.1234567890123456789` as 0.12345678901234568.
A body holding such a number is read again here, keeping each non-integer as
a `JsonNumber` (a Decimal that remembers its text) and each integer as an
exact int, so `database/coerce.py` can store the value exactly or refuse it —
never round it. Bodies of strings, integers and booleans, the usual case,
never come here.
"""

from __future__ import annotations

import json
from decimal import Decimal


class JsonNumber(Decimal):
    """A JSON number with a fraction or exponent (or too long to be an int),
    and the text it came as."""

    __slots__ = ("text",)

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


def needs_exact_reading(document: object) -> bool:
    """Whether orjson read any number of `document` as a double."""
    # orjson returns exact dicts, lists and floats, so type() suffices, and
    # it is cheaper than isinstance on every value of every write.
    stack = [document]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is float:
            return True
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
    return False


def _integer(text: str) -> int | JsonNumber:
    # Past 30 digits no column can hold it; kept as text for the range error
    # (int() refuses 4,300 digits).
    return int(text) if len(text) <= 30 else JsonNumber(text)


def _constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def loads_exact(body: bytes | str) -> object:
    """Decode `body` keeping every number exact; ValueError if it is not JSON."""
    try:
        return json.loads(
            body,
            parse_float=JsonNumber,
            parse_int=_integer,
            parse_constant=_constant,
        )
    except RecursionError:
        raise ValueError("JSON is nested too deeply") from None


def dumps_exact(value: object) -> str:
    """JSON text of a decoded document, each `JsonNumber` written as it came."""
    if isinstance(value, JsonNumber):
        return value.text
    if isinstance(value, dict):
        return (
            "{"
            + ",".join(
                json.dumps(key, ensure_ascii=False) + ":" + dumps_exact(item)
                for key, item in value.items()
            )
            + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(dumps_exact(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)
