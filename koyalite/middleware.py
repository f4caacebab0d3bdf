"""Request ids and the one `request.finished` log line per request."""

from __future__ import annotations

import re
import time
import uuid

import structlog

from koyalite.logging import get_logger

log = get_logger("koyalite.request")
_SANE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")


class RequestLogMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        incoming = request.headers.get("X-Request-Id", "")
        request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        response = self.get_response(request)
        response["X-Request-Id"] = request_id
        auth = getattr(request, "auth", None)
        log.info(
            "request.finished",
            method=request.method,
            path=request.path,
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            role=getattr(auth, "role", None),
        )
        return response
