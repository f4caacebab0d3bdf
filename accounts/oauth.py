"""OAuth sign-in (`/authorize`, `/callback`), as GoTrue runs it.

`/authorize` sends the browser to the provider with a `state` that KoyaLite
signed (provider, redirect_to, PKCE challenge; ten minutes). The provider sends
it back to `/callback` with a code, which is exchanged server-to-server for an
access token, which fetches the user's profile. The user is found by the
identity (provider, provider's user id), else by a verified email address,
else created; then a session starts (amr "oauth") and the browser goes to
`redirect_to` with the tokens in the fragment, or `?code=` under PKCE.

The code exchange and the profile request are plain OAuth 2.0 / OpenID Connect
(RFC 6749 §4.1.3, OIDC Core §5.3) over urllib: no third-party client.
"""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import pkce
from accounts.errors import AuthApiError, UserBanned, ValidationFailed, _auth_error
from accounts.models import Identity, User
from accounts.sessions import IssuedSession, start_session
from accounts.users import is_banned

STATE_MAX_AGE = 600
_STATE_SALT = "koyalite.auth.oauth-state"
_TIMEOUT = 10

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
SignupDisabled = _auth_error(
    "SignupDisabled", 422, "signup_disabled", "Signups not allowed for this instance"
)
EmailExists = _auth_error(
    "EmailExists",
    422,
    "email_exists",
    "A user with this email address has already been registered",
)

_KNOWN = {
    "github": {
        "authorization_endpoint": "https://github.com/login/oauth/authorize",
        "token_endpoint": "https://github.com/login/oauth/access_token",
        "userinfo_endpoint": "https://api.github.com/user",
        "scopes": "user:email",
    },
    "google": {
        "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
        "token_endpoint": "https://oauth2.googleapis.com/token",
        "userinfo_endpoint": "https://openidconnect.googleapis.com/v1/userinfo",
        "scopes": "openid email profile",
    },
}
_discovered: dict[str, dict[str, Any]] = {}


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    kind: str  # github, google, oidc
    client_id: str
    secret: str
    url: str = ""

    def endpoints(self) -> dict[str, Any]:
        if self.kind in _KNOWN:
            return _KNOWN[self.kind]
        if self.url not in _discovered:
            document = _get_json(f"{self.url}/.well-known/openid-configuration")
            for key in ("authorization_endpoint", "token_endpoint"):
                if not isinstance(document.get(key), str):
                    raise ProviderFailed(f"OpenID discovery document lacks {key}")
            _discovered[self.url] = {**document, "scopes": "openid email profile"}
        return _discovered[self.url]


def enabled() -> list[str]:
    return sorted(settings.AUTH_EXTERNAL_PROVIDERS)


def provider(name: str | None) -> Provider:
    entry = settings.AUTH_EXTERNAL_PROVIDERS.get((name or "").lower())
    if entry is None:
        raise ValidationFailed("Unsupported provider: provider is not enabled")
    return Provider(
        (name or "").lower(),
        entry["kind"],
        entry["client_id"],
        entry["secret"],
        entry.get("url", ""),
    )


def callback_url() -> str:
    return f"{settings.API_URL}/auth/v1/callback"


def authorization_url(
    name: str | None,
    redirect_to: str | None,
    scopes: str | None,
    challenge: pkce.Challenge | None,
) -> str:
    """Where `/authorize` sends the browser: the provider's consent page."""
    chosen = provider(name)
    endpoints = chosen.endpoints()
    state = signing.dumps(
        {
            "p": chosen.name,
            "r": redirect_to or "",
            "c": challenge.value if challenge else "",
            "m": challenge.method if challenge else "",
            "n": secrets.token_urlsafe(8),
        },
        salt=_STATE_SALT,
        compress=True,
    )
    wanted = endpoints["scopes"].split()
    wanted += [s for s in (scopes or "").replace(",", " ").split() if s not in wanted]
    query = {
        "client_id": chosen.client_id,
        "redirect_uri": callback_url(),
        "response_type": "code",
        "scope": " ".join(wanted),
        "state": state,
    }
    base = endpoints["authorization_endpoint"]
    return f"{base}{'&' if '?' in base else '?'}{urlencode(query)}"


@dataclass(frozen=True, slots=True)
class State:
    provider: str
    redirect_to: str
    challenge: pkce.Challenge | None


def read_state(value: str | None) -> State:
    if not value:
        raise BadOAuthCallback()
    try:
        data = signing.loads(value, salt=_STATE_SALT, max_age=STATE_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        raise BadOAuthState() from None
    challenge = pkce.Challenge(data["c"], data["m"]) if data.get("c") else None
    return State(data["p"], data["r"], challenge)


def _request(request: urllib.request.Request) -> Any:
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
            body = response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise ProviderFailed(
            f"Error contacting the external provider: {error}"
        ) from None
    try:
        return json.loads(body)
    except ValueError:
        raise ProviderFailed(
            "The external provider answered with invalid JSON"
        ) from None


def _get_json(url: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Accept": "application/json", "User-Agent": "KoyaLite"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    answer = _request(urllib.request.Request(url, headers=headers))
    if not isinstance(answer, dict):
        raise ProviderFailed()
    return answer


def exchange(chosen: Provider, code: str) -> str:
    """The provider's access token for an authorization code (RFC 6749 §4.1.3)."""
    form = urlencode(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": callback_url(),
            "client_id": chosen.client_id,
            "client_secret": chosen.secret,
        }
    ).encode()
    request = urllib.request.Request(
        chosen.endpoints()["token_endpoint"],
        data=form,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": "KoyaLite",
        },
    )
    answer = _request(request)
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise ProviderFailed("Unable to exchange external code")
    return token


def profile(chosen: Provider, token: str) -> dict[str, Any]:
    """The user's claims, normalized: sub, email, email_verified, name, picture."""
    endpoints = chosen.endpoints()
    url = endpoints.get("userinfo_endpoint")
    if not isinstance(url, str):
        raise ProviderFailed("The provider has no userinfo endpoint")
    raw = _get_json(url, token)
    if chosen.kind == "github":
        claims = {
            "sub": str(raw.get("id", "")),
            "name": raw.get("name") or raw.get("login"),
            "user_name": raw.get("login"),
            "preferred_username": raw.get("login"),
            "picture": raw.get("avatar_url"),
            "avatar_url": raw.get("avatar_url"),
            "email": None,
            "email_verified": False,
        }
        emails = _request(
            urllib.request.Request(
                "https://api.github.com/user/emails",
                headers={
                    "Accept": "application/json",
                    "Authorization": f"Bearer {token}",
                    "User-Agent": "KoyaLite",
                },
            )
        )
        for entry in emails if isinstance(emails, list) else []:
            if isinstance(entry, dict) and entry.get("primary"):
                claims["email"] = entry.get("email")
                claims["email_verified"] = bool(entry.get("verified"))
    else:
        verified = raw.get("email_verified")
        claims = {
            "sub": str(raw.get("sub", "")),
            "name": raw.get("name"),
            "picture": raw.get("picture"),
            "avatar_url": raw.get("picture"),
            "email": raw.get("email"),
            "email_verified": verified is True or verified == "true",
        }
    if not claims["sub"]:
        raise ProviderFailed("The provider's profile has no user id")
    if not isinstance(claims["email"], str) or not claims["email"]:
        claims["email"] = None
        claims["email_verified"] = False
    else:
        claims["email"] = claims["email"].strip().lower()
    claims["iss"] = endpoints.get("issuer") or endpoints["authorization_endpoint"]
    claims["provider_id"] = claims["sub"]
    if claims.get("name"):
        claims["full_name"] = claims["name"]
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


@dataclass(frozen=True, slots=True)
class SignedIn:
    session: IssuedSession | None = None
    auth_code: str | None = None


def complete(
    state: State, code: str | None, *, user_agent: str = "", ip: str = ""
) -> SignedIn:
    """`/callback`: the provider's code → a session (or a PKCE auth code)."""
    if not code:
        raise BadOAuthCallback("OAuth callback missing authorization code")
    chosen = provider(state.provider)
    claims = profile(chosen, exchange(chosen, code))
    with transaction.atomic():
        user = _user_for(chosen.name, claims)
    if is_banned(user) or not user.is_active:
        raise UserBanned()
    if state.challenge is not None:
        User.objects.filter(pk=user.pk).update(last_login=timezone.now())
        return SignedIn(auth_code=pkce.issue_code(user, state.challenge, "oauth"))
    return SignedIn(session=start_session(user, "oauth", user_agent=user_agent, ip=ip))


def error_fragment(error: AuthApiError) -> dict[str, str]:
    kind = "server_error" if error.status >= 500 else "access_denied"
    if isinstance(error, BadOAuthState | BadOAuthCallback):
        kind = "invalid_request"
    return {
        "error": kind,
        "error_code": error.error_code,
        "error_description": error.message,
    }
