"""Sessions, access tokens and refresh-token rotation, as GoTrue runs them.

An access token is a short-lived HS256 JWT that `/rest/v1` trusts until `exp`
without a database hit. A refresh token is an opaque string stored only as its
SHA-256; every refresh revokes it and issues a child. A revoked token presented
again is accepted only within the reuse interval (two tabs refreshing at once,
or a client that lost the response) and only as the parent of the live token;
then the same child comes back. Anything else revokes the whole session — the
signature of a stolen token being replayed.

A child token is an HMAC of its parent under a key derived from the project
secret, so the server can hand the live child back to its parent's holder
without ever storing a token in the clear.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts import keys
from accounts.errors import (
    RefreshTokenAlreadyUsed,
    RefreshTokenNotFound,
    SessionNotFound,
    UserBanned,
)
from accounts.models import RefreshToken, Session, User
from accounts.users import is_banned, user_json
from database.executor import locked_atomic


@dataclass(frozen=True, slots=True)
class IssuedSession:
    access_token: str
    refresh_token: str
    expires_in: int
    expires_at: int
    user: User
    profile: dict[str, Any]  # the user's JSON, built once for token and body

    def as_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "expires_at": self.expires_at,
            "refresh_token": self.refresh_token,
            "user": self.profile,
        }


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_token(
    user: User, session: Session, issued_at: int, profile: dict[str, Any]
) -> tuple[str, int]:
    expires_at = issued_at + settings.AUTH_JWT_EXPIRY
    claims = {
        "iss": f"{settings.API_URL}/auth/v1",
        "sub": str(user.id),
        "aud": "authenticated",
        "exp": expires_at,
        "iat": issued_at,
        "email": user.email or "",
        "phone": user.phone or "",
        "app_metadata": profile["app_metadata"],
        "user_metadata": profile["user_metadata"],
        "role": "authenticated",
        "aal": session.aal,
        "amr": session.amr,
        "session_id": str(session.id),
        "is_anonymous": user.is_anonymous_user,
    }
    return keys.sign(claims), expires_at


def _child_of(parent: str) -> str:
    key = hashlib.sha256(b"koyalite.refresh:" + settings.JWT_SECRET.encode()).digest()
    return hmac.new(key, parent.encode(), hashlib.sha256).hexdigest()[:32]


def _store(session: Session, token: str, parent_hash: str | None) -> str:
    RefreshToken.objects.create(
        session=session, token_hash=token_hash(token), parent_hash=parent_hash
    )
    return token


def _issue(user: User, session: Session, refresh_token: str) -> IssuedSession:
    now = int(time.time())
    profile = user_json(user)
    token, expires_at = access_token(user, session, now, profile)
    return IssuedSession(
        token, refresh_token, settings.AUTH_JWT_EXPIRY, expires_at, user, profile
    )


def start_session(
    user: User, method: str, *, user_agent: str = "", ip: str = ""
) -> IssuedSession:
    """Sign `user` in with `method` ("password", "otp", ...): a new session."""
    now = timezone.now()
    with locked_atomic():
        session = Session.objects.create(
            user=user,
            amr=[{"method": method, "timestamp": int(now.timestamp())}],
            user_agent=user_agent[:512],
            ip=ip[:64],
        )
        refresh = _store(session, secrets.token_hex(16), None)
        User.objects.filter(pk=user.pk).update(last_login=now)
        user.last_login = now
    return _issue(user, session, refresh)


def refresh_session(presented: str) -> IssuedSession:
    """Swap a refresh token for a new access token and refresh token.

    Hand-written SQL: this is the busiest write in /auth/v1, and the ORM's
    query compilation cost several times the statements themselves.
    """
    digest = token_hash(presented)
    table = RefreshToken._meta.db_table
    replayed = False
    with locked_atomic():
        rows = list(
            RefreshToken.objects.raw(
                f'SELECT * FROM "{table}" WHERE token_hash = %s', [digest]
            )
        )
        if not rows:
            raise RefreshTokenNotFound()
        row = rows[0]
        loaded = _load(str(row.session_id))
        if loaded is None:
            raise RefreshTokenNotFound()
        session, user = loaded
        if is_banned(user) or not user.is_active:
            raise UserBanned("Invalid Refresh Token: User Banned")
        child = _child_of(presented)
        now = timezone.now()
        if row.revoked:
            live = list(
                RefreshToken.objects.raw(
                    f'SELECT * FROM "{table}" WHERE session_id = %s AND NOT revoked ORDER BY id DESC LIMIT 1',
                    [str(session.pk)],
                )
            )
            grace = row.updated_at + timedelta(
                seconds=settings.AUTH_REFRESH_REUSE_INTERVAL
            )
            if not live or live[0].token_hash != token_hash(child) or now > grace:
                session.delete()
                replayed = True
        else:
            stamp = connection.ops.adapt_datetimefield_value(now)
            with connection.cursor() as cursor:
                cursor.execute(
                    f'UPDATE "{table}" SET revoked = 1, updated_at = %s WHERE id = %s',
                    [stamp, row.pk],
                )
                cursor.execute(
                    f'INSERT INTO "{table}" (session_id, token_hash, parent_hash, revoked, created_at, updated_at) '
                    "VALUES (%s, %s, %s, 0, %s, %s)",
                    [str(session.pk), token_hash(child), digest, stamp, stamp],
                )
                cursor.execute(
                    f'UPDATE "{Session._meta.db_table}" SET refreshed_at = %s WHERE id = %s',
                    [stamp, str(session.pk)],
                )
    if replayed:
        # Raised after the commit: the session must stay revoked.
        raise RefreshTokenAlreadyUsed()
    return _issue(user, session, child)


def _load(session_id: str, user_id: str | None = None) -> tuple[Session, User] | None:
    """A session and its user by raw queries (see `refresh_session`)."""
    query = f'SELECT * FROM "{Session._meta.db_table}" WHERE id = %s'
    params = [session_id]
    if user_id is not None:
        query += " AND user_id = %s"
        params.append(user_id)
    sessions = list(Session.objects.raw(query, params))
    if not sessions:
        return None
    users = list(
        User.objects.raw(
            f'SELECT * FROM "{User._meta.db_table}" WHERE id = %s',
            [str(sessions[0].user_id)],
        )
    )
    if not users:
        return None
    sessions[0].user = users[0]
    return sessions[0], users[0]


def end_sessions(session_id: str, user_id: str, scope: str) -> None:
    """Sign out: this session (local), the user's others, or all (global)."""
    sessions = Session.objects.filter(user_id=user_id)
    if scope == "local":
        sessions = sessions.filter(pk=session_id)
    elif scope == "others":
        sessions = sessions.exclude(pk=session_id)
    sessions.delete()


def require_session(claims: dict[str, Any]) -> Session:
    """The live session behind an access token; /auth/v1 checks it exists."""
    try:
        session_id = uuid.UUID(str(claims.get("session_id")))
        user_id = uuid.UUID(str(claims.get("sub")))
    except ValueError:
        raise SessionNotFound() from None
    loaded = _load(str(session_id), str(user_id))
    if loaded is None:
        raise SessionNotFound()
    return loaded[0]


def reissue(session: Session) -> IssuedSession:
    """Fresh tokens for a session whose claims changed (MFA lifted its aal)."""
    refresh = _store(session, secrets.token_hex(16), None)
    return _issue(session.user, session, refresh)
