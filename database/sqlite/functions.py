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
"""

from __future__ import annotations

import sqlite3
import threading

import orjson

from koyalite.errors import KoyaError

_failure = threading.local()


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


def register(connection: sqlite3.Connection) -> None:
    connection.create_function("koyalite_real", 1, real_text, deterministic=True)
    connection.create_function("koyalite_jsonb", 1, canonical_json, deterministic=True)
    connection.create_function("koyalite_cast", 2, checked_cast, deterministic=True)
