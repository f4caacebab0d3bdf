"""`/functions/v1/<name>[/<path>]`: Supabase Edge Functions' HTTP contract.

Any of GET, POST, PUT, PATCH, DELETE, OPTIONS (and HEAD) reaches the
function, with the original headers, query and body. Before it runs, a
function with `verify_jwt` (the default) needs `Authorization: Bearer <JWT>`
signed with the project's secret; an OPTIONS request is let through without
one, so that the function can answer a browser's CORS preflight, as Supabase
documents. An unknown function is a 404 `Function not found`.
"""

from __future__ import annotations

from http.cookies import Morsel

import orjson
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.errors import InvalidToken
from accounts.keys import authenticate_token
from edge_functions import config
from edge_functions.errors import (
    FunctionNotFound,
    InvalidFunctionConfig,
    InvalidFunctionName,
    RelayError,
)
from edge_functions.relay import FunctionCall, invoke, relay_error_response
from koyalite.logging import get_logger

log = get_logger("koyalite.functions")

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"})
REASONS = {546: "WORKER_LIMIT"}


def _json(status: int, payload: dict) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(payload), status=status, content_type="application/json"
    )


class _SetCookie(Morsel):
    """A Set-Cookie header exactly as the function sent it.

    Django's handlers send one header per entry of `response.cookies` and
    one per name for every other header, so cookies are the only way a
    response carries several Set-Cookie headers. Parsing them into cookies
    would drop what `http.cookies` does not know (`Partitioned`)."""

    def __init__(self, header: str) -> None:
        super().__init__()
        self.header = header

    def output(self, attrs=None, header: str = "Set-Cookie:") -> str:
        return f"{header} {self.header}".lstrip()


def copy_headers(response: HttpResponse, headers: list[tuple[str, str]]) -> None:
    """Put the function's headers on `response`: each Set-Cookie apart, other
    repeated names joined with ", " (RFC 9110 §5.3)."""
    for key, value in headers:
        if key.lower() == "set-cookie":
            # dict's own setter: SimpleCookie's would parse the header.
            dict.__setitem__(
                response.cookies, f"\x00{len(response.cookies)}", _SetCookie(value)
            )
        elif key in response:
            response[key] = f"{response[key]}, {value}"
        else:
            response[key] = value


def request_headers(request: HttpRequest) -> list[tuple[str, str]]:
    headers = [
        (key[5:].replace("_", "-").title(), value)
        for key, value in request.META.items()
        if key.startswith("HTTP_")
    ]
    if request.META.get("CONTENT_TYPE"):
        headers.append(("Content-Type", request.META["CONTENT_TYPE"]))
    forwarded = request.META.get("REMOTE_ADDR")
    if forwarded and "HTTP_X_FORWARDED_FOR" not in request.META:
        headers.append(("X-Forwarded-For", forwarded))
    return headers


def _request_body(request: HttpRequest) -> tuple[object, int | None]:
    raw_length = request.META.get("CONTENT_LENGTH") or ""
    length = int(raw_length) if raw_length.isdigit() else 0
    if length == 0:
        return b"", None

    def chunks():
        remaining = length
        while remaining > 0:
            chunk = request.read(min(65536, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk

    return chunks(), length


def _refuse_jwt(authorization: str | None) -> str | None:
    """Why the relay refuses the call, in the words of Supabase's, or None."""
    if not authorization:
        return "Error: Missing authorization header"
    scheme, _, token = authorization.partition(" ")
    if scheme != "Bearer" or not token.strip():
        return "Error: Auth header is not 'Bearer {token}'"
    try:
        authenticate_token(token.strip())
    except InvalidToken:
        return "Invalid JWT"
    return None


@csrf_exempt
def function_view(request: HttpRequest, name: str, rest: str = "") -> HttpResponse:
    if request.method not in METHODS:
        return _json(405, {"msg": f"method {request.method} is not allowed"})
    try:
        settings = config.get_config(name)
    except (FunctionNotFound, InvalidFunctionName):
        return HttpResponse("Function not found", status=404, content_type="text/plain")
    except InvalidFunctionConfig as error:
        log.error("function.config_invalid", function=name, error=str(error))
        headers, body = relay_error_response(
            RelayError(503, "BOOT_ERROR", "Worker failed to boot (please check logs)")
        )
        response = HttpResponse(body, status=503)
        copy_headers(response, headers)
        return response
    if request.method != "OPTIONS" and settings.verify_jwt:
        refusal = _refuse_jwt(request.META.get("HTTP_AUTHORIZATION"))
        if refusal is not None:
            return _json(401, {"msg": refusal})
    call = FunctionCall(
        name=name,
        method=request.method,
        path=f"/{name}" + (f"/{rest}" if rest else ""),
        query=request.META.get("QUERY_STRING", ""),
        headers=request_headers(request),
        source="http",
        request_id=getattr(request, "request_id", ""),
    )
    call.body, call.content_length = _request_body(request)
    try:
        result = invoke(call)
    except FunctionNotFound:
        return HttpResponse("Function not found", status=404, content_type="text/plain")
    response = StreamingHttpResponse(
        result.body, status=result.status, reason=REASONS.get(result.status)
    )
    del response["Content-Type"]
    copy_headers(response, result.headers)
    return response
