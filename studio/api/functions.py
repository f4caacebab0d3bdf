"""The Functions page's JSON twin: the functions, one function's code (read,
save), deploy, invoke with any method, headers and body, and the invocation
log with its filters. Every action calls `edge_functions.services`, as the
CLI does."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from edge_functions import services
from edge_functions.errors import InvalidFunctionConfig
from edge_functions.models import Invocation
from koyalite.errors import KoyaError

LOG_PAGE_SIZE = 50
STATUS_FILTERS = ("ok", "client", "error")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class FunctionsApiView(APIView):
    """Renders a `KoyaError` from a service as `{message, code}`."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, KoyaError):
            return Response(
                {"message": exc.message, "code": exc.code}, status=exc.status
            )
        return super().handle_exception(exc)


def summary_json(summary: services.FunctionSummary) -> dict[str, Any]:
    found = dataclasses.asdict(summary)
    for key in ("deployed_at", "modified_at"):
        found[key] = found[key].isoformat() if found[key] else None
    return found


def invocation_json(row: Invocation) -> dict[str, Any]:
    return {
        "id": row.pk,
        "function": row.function,
        "started_at": row.started_at.isoformat(),
        "method": row.method,
        "path": row.path,
        "status": row.status,
        "duration_ms": row.duration_ms,
        "memory_kb": row.memory_kb,
        "cold_start": row.cold_start,
        "error": row.error,
        "output": row.output,
        "source": row.source,
    }


def log_rows(query) -> tuple[list[Invocation], dict[str, str], int]:
    """The filtered log page for a query string: rows, filters, page."""
    filters = {
        "function": query.get("function", "").strip(),
        "status": query.get("status", "").strip(),
        "q": query.get("q", "").strip(),
    }
    if (
        filters["status"] not in (*STATUS_FILTERS, "")
        and not filters["status"].isdigit()
    ):
        filters["status"] = ""
    try:
        page = max(1, int(query.get("page", "1")))
    except ValueError:
        page = 1
    rows = services.invocation_log(
        function=filters["function"] or None,
        status=filters["status"] or None,
        search=filters["q"] or None,
    )
    start = (page - 1) * LOG_PAGE_SIZE
    return list(rows[start : start + LOG_PAGE_SIZE + 1]), filters, page


class FunctionList(FunctionsApiView):
    def get(self, request: Request) -> Response:
        return Response(
            {"functions": [summary_json(s) for s in services.list_functions()]}
        )

    def post(self, request: Request) -> Response:
        name = str(request.data.get("name", ""))
        services.create_function(name)
        return Response({"name": name}, status=201)


class FunctionSource(FunctionsApiView):
    def get(self, request: Request, name: str) -> Response:
        return Response({"name": name, "source": services.read_source(name)})

    def put(self, request: Request, name: str) -> Response:
        source = request.data.get("source")
        if not isinstance(source, str):
            raise InvalidFunctionConfig("source must be the text of index.ts")
        services.write_source(name, source)
        return Response({"name": name, "saved": True})


class FunctionDeploy(FunctionsApiView):
    def post(self, request: Request, name: str) -> Response:
        deployment = services.deploy_function(name)
        return Response(dataclasses.asdict(deployment))


class FunctionInvoke(FunctionsApiView):
    """Calls the function as the service role unless the headers say
    otherwise; a body that is not text comes back in base64."""

    def post(self, request: Request, name: str) -> Response:
        method = str(request.data.get("method", "POST")).upper()
        if method not in METHODS:
            raise InvalidFunctionConfig(f"method must be one of {', '.join(METHODS)}")
        headers = request.data.get("headers") or {}
        if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
        ):
            raise InvalidFunctionConfig("headers must be an object of strings")
        body = request.data.get("body") or ""
        if not isinstance(body, str):
            raise InvalidFunctionConfig("body must be text")
        path, _, query = str(request.data.get("path", "")).partition("?")
        result = services.invoke_function(
            name,
            method,
            headers,
            body.encode(),
            path=path,
            query=query,
            source=Invocation.Source.STUDIO,
        )
        try:
            text, encoding = result.body.decode(), "text"
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(result.body).decode(), "base64"
        return Response(
            {
                "status": result.status,
                "headers": [[k, v] for k, v in result.headers],
                "body": text,
                "encoding": encoding,
                "relay_error": result.relay_error,
            }
        )


class FunctionMetrics(FunctionsApiView):
    def get(self, request: Request, name: str) -> Response:
        return Response(dataclasses.asdict(services.function_metrics(name)))


class InvocationLog(FunctionsApiView):
    def get(self, request: Request) -> Response:
        rows, filters, page = log_rows(request.query_params)
        return Response(
            {
                "filters": filters,
                "page": page,
                "has_more": len(rows) > LOG_PAGE_SIZE,
                "invocations": [invocation_json(r) for r in rows[:LOG_PAGE_SIZE]],
            }
        )
