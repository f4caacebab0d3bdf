"""GoTrue's error JSON, in both shapes its clients read.

A client that sends `X-Supabase-Api-Version: 2024-01-01` gets
`{code: "<error_code>", message}` and the header echoed back; older clients
get `{code: <status>, error_code, msg}`. Both carry `x-sb-error-code`.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpRequest, HttpResponse

from accounts.errors import AuthApiError, WeakPassword

API_VERSION = "2024-01-01"


def json_response(body: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(body), status=status, content_type="application/json"
    )


def error_response(request: HttpRequest, error: AuthApiError) -> HttpResponse:
    versioned = (request.META.get("HTTP_X_SUPABASE_API_VERSION") or "") >= API_VERSION
    if versioned:
        body: dict[str, Any] = {"code": error.error_code, "message": error.message}
    else:
        body = {
            "code": error.status,
            "error_code": error.error_code,
            "msg": error.message,
        }
    if isinstance(error, WeakPassword):
        body["weak_password"] = {"reasons": error.reasons}
    response = json_response(body, error.status)
    response["x-sb-error-code"] = error.error_code
    if versioned:
        response["X-Supabase-Api-Version"] = API_VERSION
    return response
