"""Request ids, the one `request.finished` log line per request, and the browser
middleware that only browser pages need."""

from __future__ import annotations

import random
import re
import time

import structlog
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.csrf import CsrfViewMiddleware

from admin_dashboard.audit import AuditMiddleware
from koyalite.logging import get_logger
from studio import request_log

log = get_logger("koyalite.request")
_SANE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")
# Paths served to API clients that authenticate with keys and tokens, never
# with cookies.
API_PREFIXES = (
    "/rest/",
    "/auth/",
    "/storage/",
    "/emails/",
    "/webhooks/",
    "/functions/",
    "/graphql/",
    "/health",
)


class RequestLogMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        # 128 random bits as 32 hex digits, as uuid4().hex gave, at a fifth of
        # its cost: an id names a request in the logs and need not be secret.
        request_id = (
            incoming if _SANE_ID.match(incoming) else f"{random.getrandbits(128):032x}"
        )
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        response = self.get_response(request)
        response["X-Request-Id"] = request_id
        auth = getattr(request, "auth", None)
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        role = getattr(auth, "role", None)
        log.info(
            "request.finished",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=duration_ms,
            role=role,
        )
        if settings.REQUEST_LOG_ROWS and request_log.is_logged(request.path):
            # The path alone: query strings may carry `apikey` and tokens.
            request_log.record(
                started=time.time() - duration_ms / 1000,
                method=request.method,
                path=request.path,
                status=response.status_code,
                role=role,
                user_id=getattr(auth, "uid", None),
                duration_ms=duration_ms,
                request_id=request_id,
            )
        return response


class BrowserMiddleware:
    """Sessions, CSRF, users and messages — for browser pages (admin, Studio) only.

    The JSON APIs authenticate each request with an API key and a token and
    never read cookies; running Django's cookie middleware on them cost tens of
    microseconds a request and would make CSRF rules apply to API clients.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(
            AuthenticationMiddleware(AuditMiddleware(MessageMiddleware(get_response)))
        )
        self.browser = SessionMiddleware(self.csrf)

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIXES):
            return self.get_response(request)
        return self.browser(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Django calls process_view only on middleware in MIDDLEWARE, so the
        # wrapped CSRF middleware gets it from here.
        if request.path_info.startswith(API_PREFIXES):
            return None
        return self.csrf.process_view(request, view_func, view_args, view_kwargs)


class ApiCorsMiddleware:
    """CORS for the APIs, as Supabase's gateway answers it: any origin may call.

    Browser apps call the APIs from their own origin with keys in headers, not
    cookies, so allowing every origin grants nothing a page could not do with
    the anon key it already holds.
    """

    ALLOW_HEADERS = (
        "apikey, authorization, content-type, prefer, range, range-unit, accept, "
        "accept-profile, content-profile, x-client-info, x-supabase-api-version, "
        "x-request-id, x-upsert, x-retry-count, tus-resumable, upload-length, "
        "upload-metadata, upload-offset, upload-defer-length, x-signature"
    )
    EXPOSE_HEADERS = (
        "Content-Range, Location, Preference-Applied, X-Request-Id, X-Sb-Error-Code, "
        "X-Total-Count, Link, X-Supabase-Api-Version, Tus-Resumable, Tus-Version, "
        "Tus-Extension, Tus-Max-Size, Upload-Offset, Upload-Length, Upload-Expires, "
        "Upload-Defer-Length"
    )

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(API_PREFIXES):
            return self.get_response(request)
        # A function answers its own preflight and sets its own CORS headers,
        # as Supabase documents; these are the defaults it may override.
        is_function = request.path_info.startswith("/functions/v1/")
        if (
            request.method == "OPTIONS"
            and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META
            and not is_function
        ):
            from django.http import HttpResponse

            response = HttpResponse(status=200)
            response["Access-Control-Allow-Methods"] = (
                "GET, HEAD, POST, PATCH, PUT, DELETE, OPTIONS"
            )
            response["Access-Control-Allow-Headers"] = self.ALLOW_HEADERS
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = self.get_response(request)
        if is_function:
            response.headers.setdefault("Access-Control-Allow-Origin", "*")
            response.headers.setdefault(
                "Access-Control-Expose-Headers", self.EXPOSE_HEADERS
            )
            return response
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = self.EXPOSE_HEADERS
        return response
