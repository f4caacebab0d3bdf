"""Request bodies of writes: decoding and the shape of their rows.

A body comes as JSON, as form fields (`application/x-www-form-urlencoded`) or
as CSV (`text/csv`), as PostgREST takes them (`ApiRequest/Payload.hs`). Each
becomes a tuple of row objects, the shape a decoded JSON body has; values stay
as sent (form and CSV fields as text) for `database/coerce.py` to give them
their column's type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qsl

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from api.rest.errors import InvalidBody, PayloadTooLarge, UnsupportedMediaType
from api.rest.parse.cursor import excerpt
from database import numbers
from database.types import WriteMethod
from koyalite import jsonbody

Rows = tuple[dict[str, object], ...]


def _decode_json(body: bytes) -> object:
    """The JSON body, nested at most `jsonbody.MAX_DEPTH` levels, every number
    exactly as sent (see `database/numbers.py`)."""
    try:
        document = jsonbody.loads(body)
    except jsonbody.TooDeep as error:
        raise InvalidBody(str(error)) from None
    except orjson.JSONDecodeError as error:
        if "number" not in str(error):
            # PostgREST drops the decoder's message for a generic one (#2344).
            raise InvalidBody("Empty or invalid json") from None
        # A number orjson cannot hold (past 1.8e308, thousands of digits) is
        # valid JSON: its column's range check refuses it later.
        return _decode_exact(body)
    if numbers.needs_exact_reading(document):
        return _decode_exact(body)
    return document


def _decode_exact(body: bytes) -> object:
    try:
        document = numbers.loads_exact(body)
    except ValueError:
        raise InvalidBody("Empty or invalid json") from None
    if jsonbody.depth_exceeds(document, jsonbody.MAX_DEPTH):
        raise InvalidBody(str(jsonbody.TooDeep(jsonbody.MAX_DEPTH)))
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


def _form_rows(body: bytes) -> tuple[Rows, bool]:
    """Form fields as one row of text values; a repeated name keeps its last."""
    try:
        pairs = parse_qsl(
            body.decode(),
            keep_blank_values=True,
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
            errors="strict",
        )
    except ValueError as error:  # UnicodeDecodeError is one too
        raise InvalidBody(f"Invalid form body: {excerpt(str(error))}") from None
    return (dict(pairs),), False


_QUOTED = re.compile(r'"((?:[^"]|"")*)"')
_UNQUOTED = re.compile(r'[^,"\r\n]*')


def _csv_records(text: str) -> list[list[str | None]]:
    """RFC 4180 records; an empty unquoted field is None, a quoted one text.

    Python's csv module cannot tell `,,` from `,"",`, and only the first is
    NULL. Blank lines are skipped.
    """
    records: list[list[str | None]] = []
    position, end = 0, len(text)
    while position < end:
        record: list[str | None] = []
        while True:
            if text.startswith('"', position):
                match = _QUOTED.match(text, position)
                if match is None:
                    raise InvalidBody("CSV has a quoted field without a closing quote")
                record.append(match.group(1).replace('""', '"'))
            else:
                match = _UNQUOTED.match(text, position)
                assert match is not None  # it matches the empty string
                record.append(match.group() or None)
            position = match.end()
            if position >= end:
                break
            char = text[position]
            if char == ",":
                position += 1
                continue
            if char in "\r\n":
                position += 2 if text.startswith("\r\n", position) else 1
                break
            line = text.count("\n", 0, position) + 1
            raise InvalidBody(f"CSV line {line} has a quote inside an unquoted field")
        if record != [None]:
            records.append(record)
    return records


def _csv_value(field: str | None) -> str | None:
    # An unquoted empty field is NULL, and so is `NULL`, as PostgREST reads it.
    return None if field is None or field == "NULL" else field


def _csv_rows(body: bytes) -> tuple[Rows, bool]:
    """A header line of column names, then one row per line."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise InvalidBody("CSV body is not valid UTF-8") from None
    records = _csv_records(text)
    if not records:
        raise InvalidBody("CSV body needs a header line of column names")
    header = [name or "" for name in records[0]]
    if len(set(header)) != len(header):
        raise InvalidBody("CSV header names a column more than once")
    rows = []
    for record in records[1:]:
        if len(record) != len(header):
            raise InvalidBody("All lines must have same number of fields")
        rows.append(dict(zip(header, map(_csv_value, record), strict=True)))
    return tuple(rows), True


_DECODERS: dict[str, Callable[[bytes], tuple[Rows, bool]]] = {
    "": _json_rows,
    "application/json": _json_rows,
    "application/x-www-form-urlencoded": _form_rows,
    "text/csv": _csv_rows,
}


def read_rows(
    request: HttpRequest, method: WriteMethod, columns: tuple[str, ...] | None
) -> tuple[Rows, bool]:
    """Decode the body into rows; returns (rows, body_was_array)."""
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    decode = _DECODERS.get(content_type)
    if decode is None:
        raise UnsupportedMediaType(
            f"Content-Type not acceptable: {excerpt(content_type)}"
        )
    try:
        body = request.body
    except RequestDataTooBig:
        raise PayloadTooLarge("Request body is larger than the allowed size") from None
    rows, is_array = decode(body)
    if method == "update" and len(rows) > 1:
        # PostgREST would update with one of them, unsaid which.
        raise InvalidBody("PATCH body must be a single JSON object, not several")
    if method == "upsert" and not rows:
        raise InvalidBody("PUT body must hold the row to put")
    # With ?columns= the keys are taken from it; otherwise rows must agree.
    if columns is None and rows:
        keys = rows[0].keys()
        if any(row.keys() != keys for row in rows):
            raise InvalidBody("All object keys must match")
    return rows, is_array
