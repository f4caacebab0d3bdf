"""The Table editor's JSON endpoints (the twins of `/studio/tables/…`).

Reads take the `/rest/v1` query grammar plus `page`, `per_page` and `as`;
writes take a PostgREST query string and body and run as service role through
`database.services.write`. Errors leave in PostgREST's shape
(`code`, `message`, `details`, `hint`), so the grid can show them as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace

import orjson
from django.http import HttpResponse, StreamingHttpResponse
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.admin_users import list_users
from api.rest import parse
from api.rest.errors import error_response
from database import services
from database.timelimit import QueryTooSlow
from koyalite.errors import KoyaError
from studio import grid

IMPORT_CHUNK_MAX = 1000


def _json(data: object, status: int = 200) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(data), status=status, content_type="application/json"
    )


class _TableApi(APIView):
    """Renders a `KoyaError` raised anywhere below as PostgREST would."""

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, KoyaError):
            return error_response(exc)
        return super().handle_exception(exc)


def _count(request, table: str) -> int | None:
    """The exact row count, or None when counting takes over a second."""
    read = replace(parse.read_request(request, table, "limit=0"), count="exact")
    try:
        with grid.time_limit(1000):
            return services.read(read, grid.SERVICE).total
    except QueryTooSlow:
        return None


def row_counts(request, names: list[str]) -> dict[str, int | None]:
    http_request = getattr(request, "_request", request)
    return {name: _count(http_request, name) for name in names}


class TableList(_TableApi):
    def get(self, request: Request) -> HttpResponse:
        tables = grid.user_tables()
        counts = row_counts(request, [t.name for t in tables])
        return _json(
            {
                "tables": [
                    {
                        "name": info.name,
                        "is_view": info.is_view,
                        "columns": len(info.columns),
                        "rows": counts[info.name],
                    }
                    for info in tables
                ]
            }
        )


def _studio_query(request: Request) -> str:
    return request._request.META.get("QUERY_STRING", "")


class Rows(_TableApi):
    """GET a page; POST inserts, PATCH updates, DELETE deletes (service role)."""

    def get(self, request: Request, table: str) -> HttpResponse:
        info = grid.table_info(table)
        page = grid.read_page(request._request, table, _studio_query(request))
        return _json(
            {
                "table": info.name,
                "is_view": info.is_view,
                "primary_key": list(info.primary_key),
                "columns": grid.column_metadata(info),
                "rows": page.rows,
                "total": page.total,
                "page": page.page,
                "per_page": page.per_page,
            }
        )

    def _write(self, request: Request, table: str) -> HttpResponse:
        grid.table_info(table)
        if "as" in request.query_params:
            # Viewing as someone is read-only in the Studio; writes are the
            # operator's own, as service role.
            raise grid.ReadOnlyViewer()
        write = parse.write_request(request._request, table)
        # The grid shows what was written, as the database stored it.
        write = replace(write, returning="representation", format="json")
        result = services.write(write, grid.SERVICE)
        rows = orjson.loads(result.body) if result.body else []
        return _json({"affected": result.affected, "rows": rows})

    post = patch = delete = _write


class Users(_TableApi):
    """App users to view the grid as, searched by email."""

    def get(self, request: Request) -> HttpResponse:
        found = list_users(1, 20, search=request.query_params.get("search", ""))
        return _json(
            {"users": [{"id": str(u.id), "email": u.email} for u in found.users]}
        )


def _csv_lines(batches: Iterator[list[dict]], columns: list[str]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for rows in batches:
        for row in rows:
            writer.writerow(
                [
                    orjson.dumps(v).decode() if isinstance(v, dict | list) else v
                    for v in (row.get(c) for c in columns)
                ]
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _json_lines(batches: Iterator[list[dict]]) -> Iterator[bytes]:
    yield b"["
    first = True
    for rows in batches:
        for row in rows:
            yield (b"" if first else b",\n") + orjson.dumps(row)
            first = False
    yield b"]\n"


class Export(_TableApi):
    """The whole filtered table (as `?as=` sees it), streamed as CSV or JSON."""

    def get(self, request: Request, table: str, fmt: str) -> HttpResponse:
        info = grid.table_info(table)
        if fmt not in ("csv", "json"):
            return _json({"message": "export as .csv or .json"}, status=404)
        query = _studio_query(request)
        batches = grid.stream_rows(request._request, table, query)
        # The first batch runs now, so a bad filter is a 400, not a cut stream.
        first = next(batches, [])
        chained = _chain(first, batches)
        filename = f"{info.name}.{fmt}".replace('"', "")
        if fmt == "csv":
            body: Iterator = _csv_lines(chained, list(info.columns))
            content_type = "text/csv; charset=utf-8"
        else:
            body = _json_lines(chained)
            content_type = "application/json"
        response = StreamingHttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


def _chain(first: list[dict], rest: Iterator[list[dict]]) -> Iterator[list[dict]]:
    if first:
        yield first
    yield from rest


class Import(_TableApi):
    """Insert one chunk of CSV rows; bad rows are reported, good rows kept.

    As Supabase Studio does, rows go in batches: a chunk is inserted in one
    statement, and only when that fails is it retried row by row, so each
    failing row is reported with its CSV line number and the database's error.
    """

    def post(self, request: Request, table: str) -> HttpResponse:
        grid.table_info(table)
        rows = request.data.get("rows")
        first_line = request.data.get("first_line")
        if (
            not isinstance(rows, list)
            or not all(isinstance(row, dict) for row in rows)
            or not isinstance(first_line, int)
            or len(rows) > IMPORT_CHUNK_MAX
        ):
            return _json(
                {
                    "message": "send {rows: [objects], first_line: int},"
                    f" at most {IMPORT_CHUNK_MAX} rows"
                },
                status=400,
            )
        if not rows:
            return _json({"inserted": 0, "errors": []})
        try:
            grid.insert_rows(table, rows)
            return _json({"inserted": len(rows), "errors": []})
        except KoyaError:
            pass
        inserted, errors = 0, []
        for index, row in enumerate(rows):
            try:
                grid.insert_rows(table, [row])
                inserted += 1
            except KoyaError as error:
                errors.append(
                    {
                        "index": index,
                        "line": first_line + index,
                        "code": error.code,
                        "message": str(error),
                    }
                )
        return _json({"inserted": inserted, "errors": errors})
