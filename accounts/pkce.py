"""PKCE (RFC 7636) as GoTrue runs it for email links.

An app that starts a flow with a `code_challenge` gets, when the user follows
the mailed link, a redirect carrying `?code=<auth code>` instead of tokens in
the fragment; only the holder of the matching `code_verifier` can exchange
that code (`POST /token?grant_type=pkce`) for a session, within five minutes
and once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.errors import FlowStateNotFound, ValidationFailed
from accounts.models import FlowState, User

CODE_LIFETIME = 300
_CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


@dataclass(frozen=True, slots=True)
class Challenge:
    value: str
    method: str  # "s256" or "plain"


def challenge_from(body: dict[str, Any]) -> Challenge | None:
    """The PKCE challenge a request body carries, validated; None if none."""
    value = body.get("code_challenge")
    if not value:
        return None
    method = str(body.get("code_challenge_method") or "plain").lower()
    if method not in ("s256", "plain"):
        raise ValidationFailed("code_challenge_method must be s256 or plain")
    if not isinstance(value, str) or not _CHALLENGE.match(value):
        raise ValidationFailed("code_challenge must be 43 to 128 URL-safe characters")
    return Challenge(value, method)


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def issue_code(
    user: User,
    challenge: Challenge,
    authentication_method: str,
    provider_tokens: dict[str, str] | None = None,
) -> str:
    code = secrets.token_urlsafe(24)
    provider_tokens = provider_tokens or {}
    FlowState.objects.create(
        user=user,
        auth_code_hash=_hash(code),
        code_challenge=challenge.value,
        code_challenge_method=challenge.method,
        authentication_method=authentication_method,
        provider_access_token=provider_tokens.get("provider_token", ""),
        provider_refresh_token=provider_tokens.get("provider_refresh_token", ""),
    )
    return code


def _matches(flow: FlowState, verifier: str) -> bool:
    if flow.code_challenge_method == "s256":
        digest = hashlib.sha256(verifier.encode()).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        expected = verifier
    return hmac.compare_digest(expected, flow.code_challenge)


@dataclass(frozen=True, slots=True)
class Redeemed:
    user: User
    authentication_method: str
    provider_tokens: dict[str, str]  # GoTrue's provider_token(s), if OAuth


def redeem_code(auth_code: object, verifier: object) -> Redeemed:
    """Spend an auth code with its verifier."""
    if not isinstance(auth_code, str) or not auth_code:
        raise ValidationFailed(
            "invalid request: both auth code and code verifier should be non-empty"
        )
    if not isinstance(verifier, str) or not verifier:
        raise ValidationFailed(
            "invalid request: both auth code and code verifier should be non-empty"
        )
    with transaction.atomic():
        flow = (
            FlowState.objects.select_related("user")
            .filter(auth_code_hash=_hash(auth_code))
            .first()
        )
        if (
            flow is None
            or (timezone.now() - flow.created_at).total_seconds() > CODE_LIFETIME
        ):
            raise FlowStateNotFound()
        # A wrong verifier spends the code too: it can be guessed at only once.
        flow.delete()
    if not _matches(flow, verifier):
        raise ValidationFailed(
            "code challenge does not match previously saved code verifier"
        )
    tokens = {
        "provider_token": flow.provider_access_token,
        "provider_refresh_token": flow.provider_refresh_token,
    }
    return Redeemed(
        flow.user, flow.authentication_method, {k: v for k, v in tokens.items() if v}
    )
