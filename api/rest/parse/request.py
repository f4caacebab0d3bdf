"""A whole request: read and write requests as `database.types` describes them."""

from __future__ import annotations

import orjson
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from api.rest.errors import (
    InvalidBody,
    PayloadTooLarge,
    PutWithLimit,
    UnsupportedMediaType,
    UnsupportedMethod,
)
from api.rest.parse.cursor import excerpt
from api.rest.parse.headers import check_profile, negotiate, read_preferences
from api.rest.parse.limits import WRITE_METHODS
from api.rest.parse.query import apply_range_header, header_value, read_query
from database import numbers
from database.types import ReadRequest, WriteMethod, WriteRequest
from koyalite import jsonbody


def _decode(body: bytes) -> object:
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


def _rows(
    request: HttpRequest, method: WriteMethod, columns: tuple[str, ...] | None
) -> tuple[tuple[dict[str, object], ...], bool]:
    """Decode the JSON body into rows; returns (rows, body_was_array)."""
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type not in ("", "application/json"):
        raise UnsupportedMediaType(
            f"Content-Type not acceptable: {excerpt(content_type)}"
        )
    try:
        body = request.body
    except RequestDataTooBig:
        raise PayloadTooLarge("Request body is larger than the allowed size") from None
    document = _decode(body)
    if isinstance(document, dict):
        return (document,), False
    if not isinstance(document, list):
        raise InvalidBody("JSON body must be an object or an array of objects")
    if not all(isinstance(row, dict) for row in document):
        raise InvalidBody("JSON array body must contain only objects")
    if method == "update":
        raise InvalidBody("PATCH body must be a single JSON object, not an array")
    if method == "upsert" and len(document) != 1:
        raise InvalidBody("PUT body must be a single JSON object")
    # With ?columns= the keys are taken from it; otherwise rows must agree.
    if columns is None and document:
        keys = document[0].keys()
        if any(row.keys() != keys for row in document):
            raise InvalidBody("All object keys must match")
    return tuple(document), True


def read_request(
    request: HttpRequest, table: str, query_string: str | None = None
) -> ReadRequest:
    """Parse a GET or HEAD on `/rest/v1/<table>`.

    `query_string` replaces the request's own, for parsing a prepared shape.
    """
    # Checks run in PostgREST's order, so the same bad request gets the same error.
    check_profile(request, "Accept-Profile")
    query = read_query(request, query_string)
    apply_range_header(request, query.shape)
    preferences = read_preferences(request)
    response_format, strip_nulls = negotiate(header_value(request, "Accept"))
    return ReadRequest(
        table=table,
        select=query.select,
        shape=query.shape,
        count=preferences.count,
        format=response_format,
        strip_nulls=strip_nulls,
        head=request.method == "HEAD",
    )


def write_request(request: HttpRequest, table: str) -> WriteRequest:
    """Parse a POST (insert), PATCH (update), DELETE or PUT (upsert)."""
    method = WRITE_METHODS.get(request.method or "")
    if method is None:
        raise UnsupportedMethod(f"Unsupported HTTP method: {request.method}")
    check_profile(request, "Content-Profile")
    query = read_query(request)
    if method == "upsert" and query.has_root_range:
        raise PutWithLimit(
            "limit/offset querystring parameters are not allowed for PUT"
        )
    # PostgREST honours ?columns= only for insert and update.
    columns = query.columns if method in ("insert", "update") else None
    rows: tuple[dict[str, object], ...] | None = None
    is_bulk = False
    if method != "delete":
        rows, is_bulk = _rows(request, method, columns)
    preferences = read_preferences(request)
    response_format, strip_nulls = negotiate(header_value(request, "Accept"))
    return WriteRequest(
        table=table,
        method=method,
        rows=rows,
        shape=query.shape,
        select=query.select,
        columns=columns,
        on_conflict=query.on_conflict,
        resolution=preferences.resolution,
        missing_default=preferences.missing_default,
        returning=preferences.returning or "minimal",
        count=preferences.count,
        format=response_format,
        strip_nulls=strip_nulls,
        max_affected=preferences.max_affected,
        rollback=preferences.rollback,
        is_bulk=is_bulk,
    )
