"""API keys and access tokens → `Auth(role, uid, claims)`; the only place a JWT
is turned into a role.

Keys and tokens are HS256 JWTs signed with `KOYALITE_JWT_SECRET`: the anon key
`{role: anon}`, the service key `{role: service_role}` and user access tokens
`{sub, role: authenticated, ...}`. Every request carries `apikey: <key>`; an
`Authorization: Bearer` token, when present, decides the role. A valid token is
trusted until its `exp` without touching the database, as PostgREST does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cache
from threading import Lock
from typing import Any

import jwt
import orjson
from django.conf import settings

from accounts.errors import InvalidApiKey, InvalidToken, MissingApiKey

ROLES = frozenset({"anon", "authenticated", "service_role"})
# Fixed so `koyalite keys` prints the same keys every time for one secret.
_KEY_ISSUED_AT = 1_700_000_000
_KEY_LIFETIME = 10 * 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Auth:
    role: str
    uid: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def bypasses_rls(self) -> bool:
        return self.role == "service_role"


ANON = Auth("anon", None, {"role": "anon"})
SERVICE = Auth("service_role", None, {"role": "service_role"})


_HS256_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def sign(claims: dict[str, Any], secret: str | None = None) -> str:
    """An HS256 JWT of `claims`. Written out (RFC 7515) rather than through
    PyJWT, whose generic encoder cost 8x this on every sign-in and refresh."""
    message = _HS256_HEADER + b"." + _b64(orjson.dumps(claims))
    key = (secret or settings.JWT_SECRET).encode()
    signature = hmac.new(key, message, hashlib.sha256).digest()
    return (message + b"." + _b64(signature)).decode()


def _project_key(role: str, secret: str) -> str:
    return sign(
        {
            "iss": "koyalite",
            "role": role,
            "iat": _KEY_ISSUED_AT,
            "exp": _KEY_ISSUED_AT + _KEY_LIFETIME,
        },
        secret,
    )


@cache
def _keys_for(secret: str) -> tuple[str, str]:
    return _project_key("anon", secret), _project_key("service_role", secret)


def anon_key() -> str:
    return _keys_for(settings.JWT_SECRET)[0]


def service_role_key() -> str:
    return _keys_for(settings.JWT_SECRET)[1]


@cache
def _key_bytes_for(secret: str) -> tuple[bytes, bytes]:
    return tuple(key.encode() for key in _keys_for(secret))  # type: ignore[return-value]


def _known_key(value: str) -> Auth | None:
    anon, service = _key_bytes_for(settings.JWT_SECRET)
    # Both comparisons always run, so timing does not tell which key matched.
    encoded = value.encode()
    is_anon = hmac.compare_digest(encoded, anon)
    is_service = hmac.compare_digest(encoded, service)
    if is_service:
        return SERVICE
    if is_anon:
        return ANON
    return None


class _VerifiedTokens:
    """A small LRU of signature-checked claims: verifying HS256 on every request
    of a busy client costs more than the query it guards. `exp` is still checked
    on every use, so a cached token expires on time."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = Lock()

    def get(self, token: str) -> dict[str, Any] | None:
        with self._lock:
            claims = self._items.get(token)
            if claims is not None:
                self._items.move_to_end(token)
            return claims

    def put(self, token: str, claims: dict[str, Any]) -> None:
        with self._lock:
            self._items[token] = claims
            if len(self._items) > self._size:
                self._items.popitem(last=False)


_verified = _VerifiedTokens()


def decode_token(token: str) -> dict[str, Any]:
    """Return the verified claims of `token` or raise InvalidToken."""
    claims = _verified.get(token)
    if claims is None:
        try:
            claims = jwt.decode(
                token,
                settings.JWT_SECRET,
                algorithms=["HS256"],
                options={"verify_exp": False, "verify_aud": False, "verify_iat": False},
            )
        except jwt.InvalidTokenError as error:
            raise InvalidToken(_token_reason(error)) from None
        if not isinstance(claims, dict):
            raise InvalidToken("JWT claims must be a JSON object")
        _verified.put(token, claims)
    exp = claims.get("exp")
    if exp is not None:
        if not isinstance(exp, int | float):
            raise InvalidToken("JWT claim 'exp' must be a number", code="PGRST303")
        if exp <= time.time():
            raise InvalidToken("JWT expired", code="PGRST303")
    return claims


def _token_reason(error: jwt.InvalidTokenError) -> str:
    if isinstance(error, jwt.InvalidAlgorithmError):
        return "JWT algorithm is not allowed; tokens must be signed with HS256"
    if isinstance(error, jwt.InvalidSignatureError):
        return "JWT signature does not match the project's secret"
    if isinstance(error, jwt.DecodeError):
        return "JWT could not be decoded"
    return "JWT is invalid"


def auth_from_claims(claims: dict[str, Any]) -> Auth:
    role = claims.get("role")
    if role not in ROLES:
        raise InvalidToken(
            f"JWT role {role!r} is not one of anon, authenticated, service_role"
        )
    if role == "service_role":
        return SERVICE
    if role == "anon":
        return ANON
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidToken(
            "JWT for role 'authenticated' has no 'sub' claim", code="PGRST303"
        )
    return Auth("authenticated", sub, claims)


def authenticate(apikey: str | None, authorization: str | None) -> Auth:
    """Resolve the request's role from its `apikey` and `Authorization` headers."""
    if not apikey:
        raise MissingApiKey()
    key_auth = _known_key(apikey)
    if key_auth is None:
        raise InvalidApiKey()
    if not authorization:
        return key_auth
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise InvalidToken("Authorization header must be 'Bearer <token>'")
    return authenticate_token(token)


def authenticate_token(token: str) -> Auth:
    """The role of a bearer token alone: a project key or a signed JWT."""
    known = _known_key(token)
    if known is not None:
        return known
    return auth_from_claims(decode_token(token))
