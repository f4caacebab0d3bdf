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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts import keys, users
from accounts.errors import (
    RefreshTokenAlreadyUsed,
    RefreshTokenNotFound,
    SessionNotFound,
    UserBanned,
)
from accounts.models import RefreshToken, Session, User
from database.executor import (
    locked_atomic,
    raw_connection,
    write_lock,
    write_transaction,
)


@dataclass(frozen=True, slots=True)
class IssuedSession:
    access_token: str
    refresh_token: str
    expires_in: int
    expires_at: int
    profile: dict[str, Any]  # the user's JSON, built once for token and body
    # After OAuth: the provider's own tokens, for the app to call its API.
    provider_tokens: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "expires_at": self.expires_at,
            "refresh_token": self.refresh_token,
            "user": self.profile,
            **self.provider_tokens,
        }


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_token(
    session_id: str, aal: str, amr: list, issued_at: int, profile: dict[str, Any]
) -> tuple[str, int]:
    expires_at = issued_at + settings.AUTH_JWT_EXPIRY
    claims = {
        "iss": f"{settings.API_URL}/auth/v1",
        "exp": expires_at,
        "iat": issued_at,
        **user_claims(profile),
        "aal": aal,
        "amr": amr,
        "session_id": session_id,
    }
    return keys.sign(claims), expires_at


def user_claims(profile: dict[str, Any]) -> dict[str, Any]:
    """The claims of a user's access token that say who they are: what
    policies read through `auth.uid()` and `auth.jwt()`."""
    return {
        "sub": profile["id"],
        "aud": "authenticated",
        "role": "authenticated",
        "email": profile["email"],
        "phone": profile["phone"],
        "app_metadata": profile["app_metadata"],
        "user_metadata": profile["user_metadata"],
        "is_anonymous": profile["is_anonymous"],
    }


def auth_as_user(user_id: str) -> keys.Auth | None:
    """The `Auth` an access token of the user would give (aal1, no session),
    for the Studio's "view as" and policy tester; None for no such user."""
    text = users.profile_text(user_id)
    if text is None:
        return None
    return keys.auth_from_claims(
        {**user_claims(orjson.loads(text)), "aal": "aal1", "amr": []}
    )


def _child_of(parent: str) -> str:
    key = hashlib.sha256(b"koyalite.refresh:" + settings.JWT_SECRET.encode()).digest()
    return hmac.new(key, parent.encode(), hashlib.sha256).hexdigest()[:32]


def _store(session: Session, token: str, parent_hash: str | None) -> str:
    RefreshToken.objects.create(
        session=session, token_hash=token_hash(token), parent_hash=parent_hash
    )
    return token


def _issue(
    user_id: str, session_id: str, aal: str, amr: list, refresh_token: str
) -> IssuedSession:
    profile_text = users.profile_text(user_id)
    if profile_text is None:  # deleted in between
        raise SessionNotFound()
    profile = orjson.loads(profile_text)
    token, expires_at = access_token(session_id, aal, amr, int(time.time()), profile)
    return IssuedSession(
        token, refresh_token, settings.AUTH_JWT_EXPIRY, expires_at, profile
    )


def _issue_for(session: Session, refresh_token: str) -> IssuedSession:
    return _issue(
        str(session.user_id), str(session.pk), session.aal, session.amr, refresh_token
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
    return _issue_for(session, refresh)


_TOKENS = RefreshToken._meta.db_table
_SESSIONS = Session._meta.db_table
_USERS = User._meta.db_table

# Hand-written SQL on the raw connection: refresh is the busiest write in
# /auth/v1, and the ORM's query compilation and model instances cost several
# times the statements themselves.
# A token is live while it is the newest of its session: a refresh, or
# MFA lifting the session, revokes the older ones just by adding a token.
_PRESENTED = f"""SELECT s.id, s.user_id, s.aal, s.amr,
    u.is_active AND coalesce(u.banned_until <= ?, 1),
    (SELECT created_at FROM "{_TOKENS}" AS n
        WHERE n.session_id = r.session_id AND n.id > r.id ORDER BY n.id LIMIT 1),
    (SELECT token_hash FROM "{_TOKENS}" AS n
        WHERE n.session_id = r.session_id ORDER BY n.id DESC LIMIT 1)
    FROM "{_TOKENS}" AS r JOIN "{_SESSIONS}" AS s ON s.id = r.session_id
    JOIN "{_USERS}" AS u ON u.id = s.user_id WHERE r.token_hash = ?"""
_CHILD = f"""INSERT INTO "{_TOKENS}" (session_id, token_hash, parent_hash, created_at)
    VALUES (?, ?, ?, ?)"""
# Tokens rotated more than a day ago are forgotten, as GoTrue's cleanup does:
# a session's chain would otherwise grow by a row every refresh, forever. A
# replay of one is then an unknown token rather than a revoked one. Swept on
# every FORGET_EVERY-th token: the sweep reads the session's recent tokens.
_FORGOTTEN = f"""DELETE FROM "{_TOKENS}" WHERE session_id = ? AND id < (
    SELECT max(id) FROM "{_TOKENS}" WHERE session_id = ? AND created_at < ?)"""
FORGET_AFTER = timedelta(days=1)
FORGET_EVERY = 32


def refresh_session(presented: str) -> IssuedSession:
    """Swap a refresh token for a new access token and refresh token."""
    digest = token_hash(presented)
    child = _child_of(presented)
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    with write_lock():
        with write_transaction() as tx:
            row = tx.raw.execute(_PRESENTED, (stamp, digest)).fetchone()
            if row is None:
                raise RefreshTokenNotFound()
            session_id, user_id, aal, amr, allowed, rotated_at, live = row
            if not allowed:
                raise UserBanned("Invalid Refresh Token: User Banned")
            if rotated_at is None:
                row_id = tx.raw.execute(
                    _CHILD, (session_id, token_hash(child), digest, stamp)
                ).lastrowid
                if row_id % FORGET_EVERY == 0:
                    cutoff = connection.ops.adapt_datetimefield_value(
                        now - FORGET_AFTER
                    )
                    tx.raw.execute(_FORGOTTEN, (session_id, session_id, cutoff))
        if rotated_at is not None and _replayed(now, rotated_at, live, child):
            # Only a stolen copy is replayed this late: end the whole session
            # (in its own transaction; Django cascades to its tokens).
            with locked_atomic():
                Session.objects.filter(pk=session_id).delete()
            raise RefreshTokenAlreadyUsed()
    return _issue(user_id, session_id, aal, orjson.loads(amr), child)


def _replayed(now: datetime, rotated_at: datetime, live: str, child: str) -> bool:
    """Whether a rotated token is a replay rather than a lost answer: it is
    forgiven within the reuse interval, and only as the live token's parent."""
    grace = timedelta(seconds=settings.AUTH_REFRESH_REUSE_INTERVAL)
    # Naive UTC, from Django's converter for the column's declared type.
    rotated = rotated_at.replace(tzinfo=UTC)
    return live != token_hash(child) or now > rotated + grace


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


def _session_ids(claims: dict[str, Any]) -> tuple[str, str]:
    try:
        return str(uuid.UUID(str(claims.get("session_id")))), str(
            uuid.UUID(str(claims.get("sub")))
        )
    except ValueError:
        raise SessionNotFound() from None


def require_session(claims: dict[str, Any]) -> Session:
    """The live session behind an access token; /auth/v1 checks it exists."""
    loaded = _load(*_session_ids(claims))
    if loaded is None:
        raise SessionNotFound()
    return loaded[0]


_SESSION_PROFILE = users.profile_query(
    f'"{_USERS}"',
    f'u.id = ? AND EXISTS (SELECT 1 FROM "{_SESSIONS}" AS s '
    "WHERE s.id = ? AND s.user_id = u.id)",
    columns="coalesce(u.banned_until > ?, 0)",
)


def session_profile(claims: dict[str, Any]) -> str:
    """`GET /user` in one query: the user JSON, if the token's session lives
    and the user is not banned."""
    session_id, user_id = _session_ids(claims)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params = (now, user_id, session_id)
    row = raw_connection().execute(_SESSION_PROFILE, params).fetchone()
    if row is None:
        raise SessionNotFound()
    if row[0]:
        raise UserBanned()
    return row[1]


def reissue(session: Session) -> IssuedSession:
    """Fresh tokens for a session whose claims changed (MFA lifted its aal)."""
    refresh = _store(session, secrets.token_hex(16), None)
    return _issue_for(session, refresh)
