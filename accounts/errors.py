"""Errors of API keys and access tokens, as PostgREST reports them."""

from __future__ import annotations

from koyalite.errors import KoyaError


class MissingApiKey(KoyaError):
    status = 401
    code = "PGRST302"

    def __init__(self) -> None:
        super().__init__(
            "No API key found in request",
            hint="No `apikey` request header was found.",
        )
        self.headers = {"WWW-Authenticate": "Bearer"}


class InvalidApiKey(KoyaError):
    status = 401
    code = "PGRST301"

    def __init__(self) -> None:
        super().__init__("Invalid API key", hint="Double check your `apikey` header.")
        self.headers = {"WWW-Authenticate": "Bearer"}


class InvalidToken(KoyaError):
    """The Bearer token is not a JWT this project signed, or is unusable."""

    status = 401
    code = "PGRST301"

    def __init__(self, reason: str, *, code: str = "PGRST301") -> None:
        super().__init__(reason)
        self.code = code
        description = reason.replace('"', "'")
        self.headers = {
            "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{description}"'
        }
