"""PostgREST request errors (PGRST1xx) and the one renderer of KoyaErrors as
PostgREST JSON `{code, message, details, hint}`."""

from __future__ import annotations

import orjson
from django.http import HttpResponse

from koyalite.errors import KoyaError

# ---------------------------------------------------------------- PGRST1xx: request


class InvalidQuery(KoyaError):
    """The query string does not follow PostgREST's grammar."""

    status = 400
    code = "PGRST100"


class InvalidBody(KoyaError):
    status = 400
    code = "PGRST102"


class InvalidRange(KoyaError):
    status = 416
    code = "PGRST103"


class InvalidPut(KoyaError):
    status = 405
    code = "PGRST105"


class SchemaNotExposed(KoyaError):
    """`Accept-Profile`/`Content-Profile` names a schema other than `public`."""

    status = 406
    code = "PGRST106"

    def __init__(self, schema: str) -> None:
        super().__init__(
            f"Invalid schema: {schema}",
            hint="Only the following schemas are exposed: public",
        )


class NotAcceptable(KoyaError):
    status = 406
    code = "PGRST107"


class PutWithLimit(KoyaError):
    status = 400
    code = "PGRST114"


class UnsupportedMethod(KoyaError):
    status = 405
    code = "PGRST117"


class InvalidPreferences(KoyaError):
    status = 400
    code = "PGRST122"


class AggregatesNotAllowed(KoyaError):
    """`col.sum()` and friends: disabled, as in PostgREST's default config."""

    status = 400
    code = "PGRST123"


class UnsupportedFeature(KoyaError):
    """Valid PostgREST grammar that SQLite cannot serve (range operators)."""

    status = 400
    code = "PGRST127"


class PayloadTooLarge(KoyaError):
    status = 413
    code = "PGRST102"


class UnsupportedMediaType(KoyaError):
    """A write body that is not JSON.

    PostgREST answers 400 PGRST102 "Content-Type not acceptable"; the code is
    kept so clients keying on it still match, the status says what HTTP means.
    """

    status = 415
    code = "PGRST102"


class InvalidPath(KoyaError):
    status = 404
    code = "PGRST125"


class FunctionNotFound(KoyaError):
    status = 404
    code = "PGRST202"

    def __init__(self, function: str) -> None:
        super().__init__(
            f"Could not find the function public.{function} without parameters in the schema cache",
            hint="KoyaLite on SQLite has no stored functions; use Edge Functions instead.",
        )


# ---------------------------------------------------------------- rendering


def error_body(error: KoyaError) -> bytes:
    return orjson.dumps(
        {
            "code": error.code,
            "message": error.message if hasattr(error, "message") else str(error),
            "details": error.details,
            "hint": error.hint,
        }
    )


def error_response(error: KoyaError, *, status: int | None = None) -> HttpResponse:
    response = HttpResponse(
        error_body(error),
        status=status or error.status,
        content_type="application/json; charset=utf-8",
    )
    for name, value in getattr(error, "headers", {}).items():
        response[name] = value
    return response
