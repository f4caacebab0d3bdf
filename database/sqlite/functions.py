"""SQL functions KoyaLite registers on every SQLite connection.

Each does what SQLite's own functions cannot do the Postgres way:

- `koyalite_real(x)`: a REAL as the shortest text that reads back as the same
  double (Python's repr). SQLite's JSON functions write 15 significant
  digits, which reads back as another number (0.30000000000000004 as 0.3,
  the largest double as infinity), and its printf is not exact past 15.
- `koyalite_jsonb(x)`: JSON text in one canonical form (keys sorted, no
  spaces), so two documents compare equal as jsonb values do, whatever
  their key order or spacing.
- `koyalite_cast(x, type)`: a checked cast. SQLite's CAST turns 'baz' into 0;
  Postgres refuses it (22P02). The refusal is kept for the executor, which
  reports it instead of SQLite's generic "user-defined function raised
  exception" (`take_error`).
- `koyalite_storage_foldername(name)`, `koyalite_storage_filename(name)`,
  `koyalite_storage_extension(name)`: Supabase Storage's `storage.foldername`,
  `storage.filename` and `storage.extension`, as its migrations define them
  (`string_to_array(name, '/')`, then a slice, the last part, or the text after
  the filename's last '.', the whole filename when it has none). foldername's
  text[] is a JSON array, as KoyaLite stores arrays.
- `koyalite_subscript(array, index, ...)`: Postgres' `array[index]…` on an
  array stored as JSON: 1-based, NULL when out of range, when an index is NULL
  or when fewer indexes than the array's dimensions leave an array, as in
  Postgres. A value that is not a JSON array has no elements: NULL.
- `koyalite_b64json(json)`: a JSON value as pg_graphql writes its cursors and
  node ids: the text jsonb prints (`[1, "a"]`, a space after each comma),
  base64-encoded.
"""

from __future__ import annotations

import base64
import json
import math
import sqlite3
import threading

import orjson

from koyalite.errors import KoyaError

_failure = threading.local()

# `storage.<helper>(name)` → the function policies and SQL scripts call.
STORAGE_HELPERS = {
    "foldername": "koyalite_storage_foldername",
    "filename": "koyalite_storage_filename",
    "extension": "koyalite_storage_extension",
}
SUBSCRIPT = "koyalite_subscript"


def take_error() -> KoyaError | None:
    """The error a function of this thread's statement raised, if any."""
    error = getattr(_failure, "error", None)
    _failure.error = None
    return error


def real_text(value: object) -> object:
    return repr(value) if isinstance(value, float) else value


def jsonb_text(text: str | bytes) -> str:
    """The one canonical text of a JSON document: keys sorted, no spaces.
    Filter values take it too (`coerce.filter_value`), so the two sides of a
    jsonb comparison meet in the same form. Raises orjson.JSONDecodeError."""
    return orjson.dumps(orjson.loads(text), option=orjson.OPT_SORT_KEYS).decode()


def canonical_json(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return jsonb_text(value)
    except orjson.JSONDecodeError:
        return value


def checked_cast(value: object, target: str) -> object:
    # Imported here: the backend loads this module before Django's apps are
    # ready, and coerce reaches the schema module, which needs them.
    from database import coerce

    try:
        return coerce.cast_value(value, target)
    except KoyaError as error:
        _failure.error = error
        raise


def path_parts(name: object) -> list[str] | None:
    """`string_to_array(name, '/')`: None for NULL, no parts for ''."""
    if name is None:
        return None
    if isinstance(name, bytes):
        name = name.decode(errors="replace")
    text = name if isinstance(name, str) else str(name)
    return text.split("/") if text else []


def storage_foldername(name: object) -> str | None:
    parts = path_parts(name)
    # `_parts[1:array_length(_parts, 1) - 1]`: the length of no parts is NULL,
    # and so is a slice with a NULL bound.
    if not parts:
        return None
    return orjson.dumps(parts[:-1]).decode()


def storage_filename(name: object) -> str | None:
    parts = path_parts(name)
    return parts[-1] if parts else None


def storage_extension(name: object) -> str | None:
    filename = storage_filename(name)
    # `reverse(split_part(reverse(filename), '.', 1))`
    return None if filename is None else filename.rsplit(".", 1)[-1]


def array_subscript(array: object, *indexes: object) -> object:
    if not isinstance(array, str | bytes) or any(index is None for index in indexes):
        return None
    try:
        element: object = orjson.loads(array)
    except orjson.JSONDecodeError:
        return None
    for index in indexes:
        position = subscript_position(index)
        if not isinstance(element, list) or not 1 <= position <= len(element):
            return None
        element = element[position - 1]
    if isinstance(element, list):
        return None
    if isinstance(element, dict):
        return orjson.dumps(element).decode()
    return element


def subscript_position(index: object) -> int:
    """An index as Postgres coerces a subscript to integer."""
    if isinstance(index, int):
        return index
    if isinstance(index, float):
        if not math.isfinite(index):
            return 0
        # numeric → integer rounds half away from zero.
        return int(math.copysign(math.floor(abs(index) + 0.5), index))
    value = checked_cast(index, "integer")
    return value if isinstance(value, int) else 0


def b64_json(text: str | None) -> str | None:
    if text is None:
        return None
    # json.dumps separates items as jsonb's text output does: ", " and ": ".
    printed = json.dumps(json.loads(text), ensure_ascii=False)
    return base64.b64encode(printed.encode()).decode()


def register(connection: sqlite3.Connection) -> None:
    connection.create_function("koyalite_b64json", 1, b64_json, deterministic=True)
    connection.create_function("koyalite_real", 1, real_text, deterministic=True)
    connection.create_function("koyalite_jsonb", 1, canonical_json, deterministic=True)
    connection.create_function("koyalite_cast", 2, checked_cast, deterministic=True)
    for helper, function in (
        ("foldername", storage_foldername),
        ("filename", storage_filename),
        ("extension", storage_extension),
    ):
        connection.create_function(
            STORAGE_HELPERS[helper], 1, function, deterministic=True
        )
    connection.create_function(SUBSCRIPT, -1, array_subscript, deterministic=True)
