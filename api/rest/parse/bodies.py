"""Request bodies of writes: decoding and the shape of their rows.

Each body becomes a tuple of row objects, the shape a decoded JSON body has;
values stay as sent, for `database/coerce.py` to give them their column's type.
"""

from __future__ import annotations

import orjson
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from api.rest.errors import InvalidBody, PayloadTooLarge, UnsupportedMediaType
from api.rest.parse.cursor import excerpt
from database import numbers
from database.types import WriteMethod

Rows = tuple[dict[str, object], ...]


def _decode_json(body: bytes) -> object:
    """The JSON body, every number exactly as sent (see `database/numbers.py`)."""
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if "number" in str(error):
            # A number orjson cannot hold (past 1.8e308, thousands of digits)
            # is valid JSON: its column's range check refuses it later.
            return numbers.loads_exact(body, InvalidBody)
        # PostgREST drops the decoder's message for a generic one (#2344).
        raise InvalidBody("Empty or invalid json") from None
    if numbers.needs_exact_reading(document):
        return numbers.loads_exact(body, InvalidBody)
    return document


def _json_rows(body: bytes) -> tuple[Rows, bool]:
    """A JSON object or array of objects as rows; returns (rows, was_array)."""
    document = _decode_json(body)
    if isinstance(document, dict):
        return (document,), False
    if not isinstance(document, list):
        raise InvalidBody("JSON body must be an object or an array of objects")
    if not all(isinstance(row, dict) for row in document):
        raise InvalidBody("JSON array body must contain only objects")
    return tuple(document), True


def read_rows(
    request: HttpRequest, method: WriteMethod, columns: tuple[str, ...] | None
) -> tuple[Rows, bool]:
    """Decode the body into rows; returns (rows, body_was_array)."""
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type not in ("", "application/json"):
        raise UnsupportedMediaType(
            f"Content-Type not acceptable: {excerpt(content_type)}"
        )
    try:
        body = request.body
    except RequestDataTooBig:
        raise PayloadTooLarge("Request body is larger than the allowed size") from None
    rows, is_array = _json_rows(body)
    if method == "update" and len(rows) > 1:
        # PostgREST would update with one of them, unsaid which.
        raise InvalidBody("PATCH body must be a single JSON object, not several")
    if method == "upsert" and len(rows) != 1:
        raise InvalidBody("PUT body must be a single JSON object")
    # With ?columns= the keys are taken from it; otherwise rows must agree.
    if columns is None and rows:
        keys = rows[0].keys()
        if any(row.keys() != keys for row in rows):
            raise InvalidBody("All object keys must match")
    return rows, is_array
