"""A whole request: read and write requests as `database.types` describes them."""

from __future__ import annotations

from django.http import HttpRequest

from api.rest.errors import PutWithLimit, UnsupportedMethod
from api.rest.parse.bodies import read_rows
from api.rest.parse.headers import check_profile, negotiate, read_preferences
from api.rest.parse.limits import WRITE_METHODS
from api.rest.parse.query import apply_range_header, header_value, read_query
from database.types import ReadRequest, WriteRequest


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
        rows, is_bulk = read_rows(request, method, columns)
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
        returning=preferences.returning,
        count=preferences.count,
        format=response_format,
        strip_nulls=strip_nulls,
        max_affected=preferences.max_affected,
        rollback=preferences.rollback,
        is_bulk=is_bulk,
    )
