"""Signed URL tokens: a JWT naming one object (`url: "<bucket>/<name>"`) and
how long it may be fetched, or, for a signed upload, who uploads.

They are signed with a key derived from the project's JWT secret under its own
label, so a signed URL's token can never pass as an API token, nor the other
way round (it would also lack the `role` an API token must carry).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

import jwt
from django.conf import settings

from accounts.keys import sign
from storage import errors

# A year, as Supabase's dashboard offers at most.
MAX_EXPIRES_IN = 365 * 24 * 3600


def _key() -> str:
    return hashlib.sha256(
        b"koyalite.storage:" + settings.JWT_SECRET.encode()
    ).hexdigest()


def expires_in(value: object) -> int:
    """`expiresIn` as either client sends it: a number (js) or its text (py)."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= MAX_EXPIRES_IN:
        raise errors.invalid_request(
            f"expiresIn must be a whole number of seconds from 1 to {MAX_EXPIRES_IN}"
        )
    return value


def sign_url(bucket_id: str, name: str, seconds: int, **extra: Any) -> str:
    now = int(time.time())
    claims = {"url": f"{bucket_id}/{name}", "iat": now, "exp": now + seconds, **extra}
    return sign(claims, _key())


def verify(token: str | None, bucket_id: str, name: str) -> dict[str, Any]:
    """The claims of `token` if it signs `bucket_id/name` and has not expired."""
    if not token:
        raise errors.invalid_signature("Missing token")
    try:
        claims = jwt.decode(token, _key(), algorithms=["HS256"])
    except jwt.ExpiredSignatureError:
        raise errors.expired_token() from None
    except jwt.InvalidTokenError:
        raise errors.invalid_signature() from None
    if claims.get("url") != f"{bucket_id}/{name}":
        raise errors.invalid_signature("The token is not for this object")
    return claims


def verify_upload(token: str | None, bucket_id: str, name: str) -> dict[str, Any]:
    """The claims of a signed upload URL's token for `bucket_id/name`: a
    download URL's token, which carries no `upsert`, uploads nothing."""
    claims = verify(token, bucket_id, name)
    if "upsert" not in claims:
        raise errors.invalid_signature("The token is not for an upload")
    return claims
