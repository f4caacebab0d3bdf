"""Map service results onto PostgREST's responses: status, headers, body.

Render decides nothing about data; it only chooses status codes
(200/201/204/206/416), `Content-Range`, `Preference-Applied`, the media type,
and reshapes the JSON SQLite built (one object, CSV, nulls stripped).
"""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse

from api.rest.errors import InvalidRange
from database import numbers
from database.errors import SingularResponse
from database.numbers import JsonNumber
from database.services import ReadResult, WriteResult
from database.types import ReadRequest, WriteRequest

JSON = "application/json; charset=utf-8"
OBJECT = "application/vnd.pgrst.object+json; charset=utf-8"
CSV = "text/csv; charset=utf-8"


# Bodies are reshaped by decoding SQLite's JSON with every number kept as
# written (a double would round 0.1234567890123456789, and orjson refuses
# 1e400), then writing it back the same way.


def _strip_nulls(value):
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


def _csv(body: bytes) -> bytes:
    rows = numbers.loads_exact(body)
    if isinstance(rows, dict):
        rows = [rows]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if rows:
        keys = list(rows[0].keys())
        writer.writerow(keys)
        for row in rows:
            writer.writerow([_csv_cell(row.get(k)) for k in keys])
    return out.getvalue().encode()


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dict | list):
        return numbers.dumps_exact(value)
    if isinstance(value, JsonNumber):
        return value.text
    return str(value)


def _shape_body(
    body: bytes, count: int, fmt: str, strip_nulls: bool
) -> tuple[bytes, str]:
    if fmt == "object":
        if count != 1:
            raise SingularResponse(count)
        body = body[1:-1]
    if strip_nulls:
        body = numbers.dumps_exact(_strip_nulls(numbers.loads_exact(body))).encode()
    if fmt == "csv":
        return _csv(body), CSV
    return body, OBJECT if fmt == "object" else JSON


def _preferences(request: ReadRequest | WriteRequest) -> str:
    """`Preference-Applied`: what was asked and honoured, in PostgREST's order."""
    if not isinstance(request, WriteRequest):
        return f"count={request.count}" if request.count else ""
    method = request.method
    applied = [
        f"resolution={request.resolution}"
        if request.resolution and method == "insert"
        else "",
        "missing=default"
        if request.missing_default and method in ("insert", "update")
        else "",
        f"return={request.returning}" if request.returning else "",
        f"count={request.count}" if request.count else "",
        "tx=rollback" if request.rollback else "",
        f"max-affected={request.max_affected}"
        if request.max_affected is not None and method in ("update", "delete")
        else "",
    ]
    return ", ".join(value for value in applied if value)


def read_response(request: ReadRequest, result: ReadResult) -> HttpResponse:
    offset = request.shape.offset.get((), 0)
    total = result.total
    if total is not None and offset > 0 and offset >= total and result.count == 0:
        error = InvalidRange(
            "Requested range not satisfiable",
            details=f"An offset of {offset} was requested, but there are only {total} rows.",
        )
        error.headers = {"Content-Range": f"*/{total}"}
        raise error
    body, content_type = _shape_body(
        result.body, result.count, request.format, request.strip_nulls
    )
    status = 200
    if (
        total is not None
        and result.count < total
        and (result.count > 0 or offset > 0 or total > 0)
    ):
        status = 206
    end = offset + result.count - 1
    span = f"{offset}-{end}" if result.count else "*"
    response = HttpResponse(
        b"" if request.head else body, status=status, content_type=content_type
    )
    response["Content-Range"] = f"{span}/{'*' if total is None else total}"
    if preferences := _preferences(request):
        response["Preference-Applied"] = preferences
    return response


def _write_status(request: WriteRequest, result: WriteResult) -> int:
    method = request.method
    if method == "insert":
        # An upsert that only updated existing rows created nothing.
        merged_only = request.resolution == "merge-duplicates" and not result.inserted
        return 200 if merged_only else 201
    if result.body is None:
        return 204
    if method == "upsert":
        return 201 if result.inserted else 200
    return 200


def _write_range(request: WriteRequest, rows: int) -> str:
    """`Content-Range` of a write: the rows a PATCH touched as a range from
    0, only the total (with `count=`) for POST and DELETE, as PostgREST."""
    total = str(rows) if request.count else "*"
    if request.method == "update" and rows > 0:
        return f"0-{rows - 1}/{total}"
    return f"*/{total}"


def write_response(request: WriteRequest, result: WriteResult) -> HttpResponse:
    status = _write_status(request, result)
    if result.body is not None:
        body, content_type = _shape_body(
            result.body, result.count, request.format, request.strip_nulls
        )
        response = HttpResponse(body, status=status, content_type=content_type)
    else:
        response = HttpResponse(status=status)
        del response["Content-Type"]  # no body, no type
    if request.method != "upsert":  # PostgREST sends no range for a PUT
        response["Content-Range"] = _write_range(request, result.count)
    if result.location:
        response["Location"] = result.location
    if preferences := _preferences(request):
        response["Preference-Applied"] = preferences
    return response
