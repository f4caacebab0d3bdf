"""`/rest/v1`: PostgREST-compatible table endpoints and the OpenAPI description.

Each view authenticates, parses, calls one service and renders; every error
leaves through `api.rest.errors.error_response`.
"""

from __future__ import annotations

import orjson
from django.http import HttpRequest, HttpResponse
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from accounts.keys import authenticate
from api.rest import parse, prepared, render
from api.rest.errors import (
    FunctionNotFound,
    InvalidPath,
    UnsupportedMethod,
    error_response,
)
from api.rest.openapi import describe
from database import services
from koyalite.errors import KoyaError
from koyalite.logging import get_logger

log = get_logger("koyalite.rest")


def _authenticate(request: HttpRequest) -> None:
    # From META: request.headers would build a dict of every header first.
    meta = request.META
    request.auth = authenticate(meta.get("HTTP_APIKEY"), meta.get("HTTP_AUTHORIZATION"))


def _failure(request: HttpRequest, error: Exception) -> HttpResponse:
    if isinstance(error, KoyaError):
        status = error.status
        if (
            error.code == "42501"
            and getattr(getattr(request, "auth", None), "role", None) == "anon"
        ):
            status = 401
        return error_response(error, status=status)
    log.exception("request.failed", path=request.path, method=request.method)
    body = {
        "code": "XX000",
        "message": "Internal server error",
        "details": None,
        "hint": f"Quote request id {getattr(request, 'request_id', '-')} when reporting this.",
    }
    return HttpResponse(
        orjson.dumps(body), status=500, content_type="application/json; charset=utf-8"
    )


class TableView(View):
    http_method_names = ["get", "head", "post", "patch", "put", "delete", "options"]

    @classmethod
    def as_view(cls, **initkwargs):
        # Exempted once here, as DRF's APIView does: method_decorator on
        # dispatch wraps and re-decorates the method on every request (~10 µs).
        return csrf_exempt(super().as_view(**initkwargs))

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            if request.method == "OPTIONS":
                return HttpResponse(status=200)
            _authenticate(request)
            return super().dispatch(request, *args, **kwargs)
        except Exception as error:  # the top-level handler of the API
            return _failure(request, error)

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise UnsupportedMethod(f"Unsupported HTTP method: {request.method}")

    def get(self, request: HttpRequest, table: str) -> HttpResponse:
        read, result = prepared.read(request, table, request.auth)
        return render.read_response(read, result)

    head = get

    def post(self, request: HttpRequest, table: str) -> HttpResponse:
        write = parse.write_request(request, table)
        return render.write_response(write, services.write(write, request.auth))

    patch = put = delete = post


@csrf_exempt
def openapi_view(request: HttpRequest) -> HttpResponse:
    try:
        if request.method == "OPTIONS":
            return HttpResponse(status=200)
        _authenticate(request)
        if request.method not in ("GET", "HEAD"):
            raise UnsupportedMethod(f"Unsupported HTTP method: {request.method}")
        body = orjson.dumps(describe(request.auth))
        return HttpResponse(
            b"" if request.method == "HEAD" else body,
            content_type="application/openapi+json; charset=utf-8",
        )
    except Exception as error:  # the top-level handler of the API
        return _failure(request, error)


@csrf_exempt
def rpc_view(request: HttpRequest, function: str) -> HttpResponse:
    """SQLite has no stored functions, so every `rpc/<name>` is unknown (404)."""
    try:
        _authenticate(request)
        raise FunctionNotFound(function)
    except Exception as error:  # the top-level handler of the API
        return _failure(request, error)


@csrf_exempt
def unknown_path_view(request: HttpRequest) -> HttpResponse:
    return _failure(request, InvalidPath("Invalid path specified in request URL"))
