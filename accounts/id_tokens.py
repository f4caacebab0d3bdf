"""`POST /token?grant_type=id_token`: sign in with an OpenID Connect ID token
the app got from the provider itself (Sign in with Google on a phone, say),
as GoTrue's ID-token grant does.

allauth's provider verifies the token: its signature against the provider's
published keys, its issuer, and that its audience is the configured client.
KoyaLite then checks the nonce as GoTrue does — the app sends the raw nonce,
the token carries its SHA-256 — so a token minted for another sign-in cannot
be replayed here.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts import oauth
from accounts.errors import ValidationFailed, _auth_error
from accounts.sessions import IssuedSession, start_session

BadIdToken = _auth_error("BadIdToken", 400, "bad_id_token", "Bad ID token")


def sign_in(
    request: HttpRequest,
    body: dict[str, Any],
    link_to: str = "",
    *,
    user_agent: str = "",
    ip: str = "",
) -> IssuedSession:
    id_token = body.get("id_token")
    if not isinstance(id_token, str) or not id_token:
        raise ValidationFailed("id_token required")
    name = body.get("provider")
    if not isinstance(name, str) or not name:
        raise ValidationFailed("provider required")
    chosen = oauth.provider(request, name)
    if not chosen.supports_token_authentication:
        raise ValidationFailed(f"Provider {name} does not support ID tokens")
    access_token = body.get("access_token")
    try:
        login = chosen.verify_token(
            request, {"id_token": id_token, "access_token": access_token or ""}
        )
    except (ValidationError, *oauth.PROVIDER_ERRORS):
        raise BadIdToken() from None
    token_claims = login.account.extra_data
    _check_nonce(token_claims.get("nonce"), body.get("nonce"))
    claims = oauth.claims_of(chosen, login, issuer=str(token_claims.get("iss", "")))
    user = oauth.identity_user(name.lower(), claims, link_to)
    return start_session(user, "oauth", user_agent=user_agent, ip=ip)


def _check_nonce(in_token: object, sent: object) -> None:
    if bool(in_token) != bool(sent):
        raise BadIdToken(
            "Passed nonce and nonce in id_token should either both exist or not."
        )
    if in_token:
        expected = hashlib.sha256(str(sent).encode()).hexdigest()
        if not hmac.compare_digest(expected, str(in_token)):
            raise BadIdToken("Nonces mismatch")
