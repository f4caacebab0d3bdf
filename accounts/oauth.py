"""OAuth sign-in (`/authorize`, `/callback`), as GoTrue runs it, with
django-allauth's provider catalogue doing the provider-specific work.

`/authorize` sends the browser to the provider with a `state` that KoyaLite
signed (provider, redirect_to, PKCE challenge; ten minutes). The provider sends
it back to `/callback` with a code; allauth's OAuth2 client exchanges it for an
access token and allauth's provider adapter reads the user's profile (GitHub's
emails, Google's and OpenID Connect's claims, ...). The user is found by the
identity (provider, provider's user id), else by a verified email address,
else created; then a session starts (amr "oauth") and the browser goes to
`redirect_to` with the tokens in the fragment, or `?code=` under PKCE.

KoyaLite keeps identities in its own table (GoTrue's shape), not in allauth's
SocialAccount. The provider's tokens go to the app once, as GoTrue's
`provider_token` and `provider_refresh_token`, and are not kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import requests
from allauth.socialaccount.adapter import get_adapter as social_adapter
from allauth.socialaccount.providers.base import Provider, ProviderException
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts import identities, pkce
from accounts.errors import (
    AuthApiError,
    EmailExists,
    SignupDisabled,
    UserBanned,
    ValidationFailed,
    _auth_error,
)
from accounts.models import Identity, User
from accounts.sessions import IssuedSession, start_session
from accounts.users import is_banned
from koyalite.logging import get_logger

log = get_logger("koyalite.auth")

STATE_MAX_AGE = 600
_STATE_SALT = "koyalite.auth.oauth-state"

BadOAuthState = _auth_error(
    "BadOAuthState", 400, "bad_oauth_state", "OAuth callback with invalid state"
)
BadOAuthCallback = _auth_error(
    "BadOAuthCallback",
    400,
    "bad_oauth_callback",
    "OAuth state parameter missing",
)
ProviderFailed = _auth_error(
    "ProviderFailed",
    500,
    "unexpected_failure",
    "Error getting user profile from external provider",
)
# What allauth's provider code raises when a provider misbehaves.
PROVIDER_ERRORS = (
    requests.RequestException,
    OAuth2Error,
    ProviderException,
    KeyError,
    ValueError,
)


def _provider_failed(message: str, error: Exception) -> AuthApiError:
    # What the provider said goes to the log, not to the app: its error body
    # is its own and may say more than the app should see.
    log.warning(
        "oauth.provider_failed", reason=f"{type(error).__name__}: {error}"[:500]
    )
    return ProviderFailed(message)


def provider(request: HttpRequest, name: str | None) -> Provider:
    """allauth's provider for GoTrue's provider `name`, if enabled."""
    name = (name or "").lower()
    provider_id = settings.AUTH_EXTERNAL_PROVIDERS.get(name)
    if provider_id is None:
        raise ValidationFailed("Unsupported provider: provider is not enabled")
    # An OpenID Connect provider is found by the name it was given.
    lookup = name if provider_id == "openid_connect" else provider_id
    return social_adapter(request).get_provider(request, lookup)


def callback_url() -> str:
    return f"{settings.API_URL}/auth/v1/callback"


def _wants_pkce(chosen: Provider) -> bool:
    # allauth answers "enabled?" by making a challenge: only whether one came
    # back is used; KoyaLite's verifier comes from `_verifier`.
    return bool(chosen.get_pkce_params())


def _verifier(nonce: str) -> str:
    """The PKCE verifier KoyaLite uses with a provider that wants PKCE: derived
    from the state's nonce, so it never leaves the server and needs no row."""
    key = hashlib.sha256(b"koyalite.oauth-pkce:" + settings.JWT_SECRET.encode())
    return hmac.new(key.digest(), nonce.encode(), hashlib.sha256).hexdigest()


def _client(request: HttpRequest, chosen: Provider):
    """allauth's OAuth2 client for `chosen`, calling back to /auth/v1/callback."""
    adapter = chosen.get_oauth2_adapter(request)
    client = adapter.client_class(
        request,
        chosen.app.client_id,
        chosen.app.secret,
        adapter.access_token_method,
        adapter.access_token_url,
        callback_url(),
        scope_delimiter=adapter.scope_delimiter,
        headers=adapter.headers,
        basic_auth=adapter.basic_auth,
    )
    return adapter, client


def authorization_url(
    request: HttpRequest,
    name: str | None,
    redirect_to: str | None,
    scopes: str | None,
    challenge: pkce.Challenge | None,
    link_to: str | None = None,
) -> str:
    """Where `/authorize` sends the browser: the provider's consent page.
    With `link_to` (a user id), the callback links the identity to that user."""
    chosen = provider(request, name)
    nonce = secrets.token_urlsafe(12)
    state = signing.dumps(
        {
            "p": (name or "").lower(),
            "r": redirect_to or "",
            "c": challenge.value if challenge else "",
            "m": challenge.method if challenge else "",
            "n": nonce,
            "l": link_to or "",
        },
        salt=_STATE_SALT,
        compress=True,
    )
    wanted = chosen.get_scope()
    wanted += [s for s in (scopes or "").replace(",", " ").split() if s not in wanted]
    params = {**chosen.get_auth_params(), "state": state}
    if _wants_pkce(chosen):
        digest = hashlib.sha256(_verifier(nonce).encode()).digest()
        params["code_challenge"] = (
            base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        )
        params["code_challenge_method"] = "S256"
    try:
        adapter, client = _client(request, chosen)
        # allauth's client joins a set of scopes; keep the order asked for.
        query = {
            client.client_id_parameter: chosen.app.client_id,
            "redirect_uri": callback_url(),
            "scope": adapter.scope_delimiter.join(wanted),
            "response_type": "code",
            **params,
        }
        base = adapter.authorize_url
    except PROVIDER_ERRORS as error:
        raise _provider_failed(
            "Error contacting the external provider", error
        ) from None
    return f"{base}{'&' if '?' in base else '?'}{urlencode(query)}"


@dataclass(frozen=True, slots=True)
class State:
    provider: str
    redirect_to: str
    challenge: pkce.Challenge | None
    nonce: str
    link_to: str  # a user's id when linking an identity, else ""


def read_state(value: str | None) -> State:
    if not value:
        raise BadOAuthCallback()
    try:
        data = signing.loads(value, salt=_STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        raise BadOAuthState() from None
    challenge = pkce.Challenge(data["c"], data["m"]) if data.get("c") else None
    return State(data["p"], data["r"], challenge, data["n"], data.get("l", ""))


@dataclass(frozen=True, slots=True)
class Profile:
    claims: dict[str, Any]  # as GoTrue keeps them in `identity_data`
    provider_tokens: dict[str, str]  # provider_token, provider_refresh_token


def profile(request: HttpRequest, chosen: Provider, state: State, code: str) -> Profile:
    """The code is exchanged and the profile read by allauth's adapter for
    the provider."""
    try:
        adapter, client = _client(request, chosen)
        verifier = _verifier(state.nonce) if _wants_pkce(chosen) else None
        token_data = client.get_access_token(code, pkce_code_verifier=verifier)
        # The token came straight from the provider over TLS: an ID token in
        # it needs no signature check (OIDC Core §3.1.3.7).
        adapter.did_fetch_access_token = True
        token = adapter.parse_token(token_data)
        login = adapter.complete_login(request, chosen.app, token, response=token_data)
    except PROVIDER_ERRORS as error:
        raise _provider_failed(
            "Error getting user profile from external provider", error
        ) from None
    tokens = {
        "provider_token": token_data.get("access_token"),
        "provider_refresh_token": token_data.get("refresh_token"),
    }
    return Profile(
        claims_of(chosen, login, issuer=_issuer(adapter)),
        {k: v for k, v in tokens.items() if isinstance(v, str) and v},
    )


def _issuer(adapter) -> str:
    config = getattr(adapter, "openid_config", None) or {}
    return config.get("issuer") or adapter.authorize_url


def claims_of(chosen: Provider, login, issuer: str) -> dict[str, Any]:
    """allauth's SocialLogin → GoTrue's identity claims."""
    account = login.account
    common = chosen.extract_common_fields(account.extra_data)
    full = " ".join(
        part for part in (common.get("first_name"), common.get("last_name")) if part
    )
    username = common.get("username")
    name = common.get("name") or full or username
    avatar = chosen.wrap_account(account).get_avatar_url()
    email = (login.user.email or "").strip().lower() or None
    verified = any(
        a.verified for a in login.email_addresses if (a.email or "").lower() == email
    )
    claims = {
        "iss": issuer,
        "sub": str(account.uid),
        "provider_id": str(account.uid),
        "name": name,
        "full_name": name,
        "user_name": username,
        "preferred_username": username,
        "picture": avatar,
        "avatar_url": avatar,
        "email": email,
        "email_verified": bool(email) and verified,
    }
    return {k: v for k, v in claims.items() if v is not None}


def _user_for(name: str, claims: dict[str, Any]) -> User:
    """Find or create the user behind a provider's profile (inside a transaction)."""
    now = timezone.now()
    identity = (
        Identity.objects.select_related("user")
        .filter(provider=name, provider_id=claims["sub"])
        .first()
    )
    email = claims.get("email")
    if identity is not None:
        identity.identity_data = claims
        identity.email = email
        identity.last_sign_in_at = now
        identity.save()
        return identity.user
    user = None
    if email and claims.get("email_verified"):
        user = User.objects.filter(email=email, is_anonymous_user=False).first()
    if user is None:
        if not settings.AUTH_ENABLE_SIGNUP:
            raise SignupDisabled()
        metadata = {
            k: claims[k]
            for k in (
                "iss",
                "sub",
                "name",
                "full_name",
                "email",
                "email_verified",
                "picture",
                "avatar_url",
                "user_name",
                "preferred_username",
                "provider_id",
            )
            if k in claims
        }
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email,
                    password=None,
                    raw_user_meta_data=metadata,
                    raw_app_meta_data={"provider": name},
                    email_confirmed_at=now if claims.get("email_verified") else None,
                )
        except IntegrityError:
            # An unverified address someone already has: linking would let the
            # provider's user take over that account.
            raise EmailExists() from None
    elif user.email_confirmed_at is None:
        # The provider vouches for the address: that confirms it.
        user.email_confirmed_at = now
        user.save(update_fields=["email_confirmed_at", "updated_at"])
    Identity.objects.create(
        user=user,
        provider=name,
        provider_id=claims["sub"],
        identity_data=claims,
        email=email,
        last_sign_in_at=now,
    )
    return user


def identity_user(name: str, claims: dict[str, Any], link_to: str = "") -> User:
    """The user that provider `name`'s account in `claims` signs in — or, with
    `link_to`, the user it is linked to — if that user may sign in."""
    if link_to:
        user = identities.link(link_to, name, claims)
    else:
        with transaction.atomic():
            user = _user_for(name, claims)
    if is_banned(user) or not user.is_active:
        raise UserBanned()
    return user


@dataclass(frozen=True, slots=True)
class SignedIn:
    session: IssuedSession | None = None
    auth_code: str | None = None


def complete(
    request: HttpRequest,
    state: State,
    code: str | None,
    *,
    user_agent: str = "",
    ip: str = "",
) -> SignedIn:
    """`/callback`: the provider's code → a session (or a PKCE auth code)."""
    if not code:
        raise BadOAuthCallback("OAuth callback missing authorization code")
    chosen = provider(request, state.provider)
    found = profile(request, chosen, state, code)
    user = identity_user(state.provider, found.claims, state.link_to)
    if state.challenge is not None:
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        return SignedIn(
            auth_code=pkce.issue_code(
                user, state.challenge, "oauth", found.provider_tokens
            )
        )
    session = start_session(user, "oauth", user_agent=user_agent, ip=ip)
    return SignedIn(session=replace(session, provider_tokens=found.provider_tokens))


def error_fragment(error: AuthApiError) -> dict[str, str]:
    kind = "server_error" if error.status >= 500 else "access_denied"
    if isinstance(error, BadOAuthState | BadOAuthCallback):
        kind = "invalid_request"
    return {
        "error": kind,
        "error_code": error.error_code,
        "error_description": error.message,
    }
