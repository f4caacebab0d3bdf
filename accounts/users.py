"""Users as GoTrue shows them: the JSON user object and the states that matter.

The user object is built by SQLite (`json_object`) in one query, as /rest/v1
builds its bodies: it carries the user's identities and factors, and building
it from model instances cost more than the rest of a `GET /user` together.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.db import connection
from django.utils import timezone

from accounts.errors import UserNotFound
from accounts.models import Factor, Identity, User
from database.executor import raw_connection

_USERS = User._meta.db_table
_IDENTITIES = Identity._meta.db_table
_FACTORS = Factor._meta.db_table


def is_banned(user: User) -> bool:
    return user.banned_until is not None and user.banned_until > timezone.now()


def save_fields(user: User, fields: list[str]) -> None:
    """Save `fields` of `user`, and its `updated_at`; 404 if the user was
    deleted meanwhile (where `save()` would fail with a DatabaseError)."""
    user.updated_at = timezone.now()
    values = {name: getattr(user, name) for name in [*fields, "updated_at"]}
    if not User.objects.filter(pk=user.pk).update(**values):
        raise UserNotFound()


def _iso(column: str) -> str:
    # Django keeps UTC datetimes as 'YYYY-MM-DD HH:MM:SS[.ffffff]'; GoTrue
    # shows them in RFC 3339. NULL stays NULL.
    return f"(replace({column}, ' ', 'T') || 'Z')"


def _boolean(condition: str) -> str:
    return f"json(CASE WHEN {condition} THEN 'true' ELSE 'false' END)"


# A user an OAuth provider created has its address, but no email sign-in.
_HAS_EMAIL_IDENTITY = f"""(coalesce(u.email, '') <> '' AND NOT EXISTS (
    SELECT 1 FROM "{_IDENTITIES}" AS i WHERE i.user_id = u.id
    AND i.provider = json_extract(u.raw_app_meta_data, '$.provider')))"""

# The sign-in methods, email (or phone) first, then providers by first use.
_PROVIDERS = f"""CASE WHEN u.is_anonymous_user THEN '[]' ELSE (
    SELECT json_group_array(name) FROM (
        SELECT name, min(rank) AS rank FROM (
            SELECT 'email' AS name, '' AS rank WHERE {_HAS_EMAIL_IDENTITY}
            UNION ALL SELECT 'phone', '' WHERE coalesce(u.email, '') = ''
                AND coalesce(u.phone, '') <> ''
            UNION ALL SELECT provider, created_at FROM "{_IDENTITIES}"
                WHERE user_id = u.id)
        GROUP BY name ORDER BY rank)) END"""

_EMAIL_IDENTITY = f"""json_object(
    'identity_id', u.id, 'id', u.id, 'user_id', u.id,
    'identity_data', json_object('email', u.email,
        'email_verified', {_boolean("u.email_confirmed_at IS NOT NULL")},
        'phone_verified', json('false'), 'sub', u.id),
    'provider', 'email', 'last_sign_in_at', {_iso("u.last_login")},
    'created_at', {_iso("u.created_at")}, 'updated_at', {_iso("u.updated_at")},
    'email', u.email)"""

_OAUTH_IDENTITY = f"""json_object(
    'identity_id', i.id, 'id', i.provider_id, 'user_id', i.user_id,
    'identity_data', json(i.identity_data), 'provider', i.provider,
    'last_sign_in_at', {_iso("i.last_sign_in_at")},
    'created_at', {_iso("i.created_at")}, 'updated_at', {_iso("i.updated_at")},
    'email', coalesce(i.email, ''))"""

_IDENTITIES_JSON = f"""(SELECT json_group_array(json(identity)) FROM (
    SELECT {_EMAIL_IDENTITY} AS identity, '' AS rank
        WHERE NOT u.is_anonymous_user AND u.has_email_identity
    UNION ALL SELECT {_OAUTH_IDENTITY}, i.created_at FROM "{_IDENTITIES}" AS i
        WHERE i.user_id = u.id
    ORDER BY rank))"""

_FACTORS_JSON = f"""(SELECT json_group_array(json(factor)) FROM (
    SELECT json_object('id', f.id, 'friendly_name', f.friendly_name,
        'factor_type', f.factor_type, 'status', f.status,
        'created_at', {_iso("f.created_at")}, 'updated_at', {_iso("f.updated_at")})
        AS factor
    FROM "{_FACTORS}" AS f WHERE f.user_id = u.id ORDER BY f.created_at))"""

# GoTrue fills in `provider`/`providers` only where app_metadata lacks them.
_APP_METADATA = """CASE WHEN u.providers = '[]' THEN json(u.raw_app_meta_data)
    ELSE json_insert(u.raw_app_meta_data, '$.provider', json_extract(u.providers, '$[0]'),
        '$.providers', json(u.providers)) END"""

_PROFILE = f"""json_object(
    'id', u.id, 'aud', 'authenticated', 'role', 'authenticated',
    'email', coalesce(u.email, ''), 'phone', coalesce(u.phone, ''),
    'email_confirmed_at', {_iso("u.email_confirmed_at")},
    'confirmed_at', {_iso("u.email_confirmed_at")},
    'confirmation_sent_at', {_iso("u.confirmation_sent_at")},
    'new_email', nullif(u.new_email, ''),
    'email_change_sent_at', {_iso("u.email_change_sent_at")},
    'invited_at', {_iso("u.invited_at")},
    'last_sign_in_at', {_iso("u.last_login")},
    'app_metadata', {_APP_METADATA},
    'user_metadata', json(u.raw_user_meta_data),
    'identities', {_IDENTITIES_JSON},
    'created_at', {_iso("u.created_at")}, 'updated_at', {_iso("u.updated_at")},
    'banned_until', {_iso("u.banned_until")},
    'is_anonymous', {_boolean("u.is_anonymous_user")},
    'factors', {_FACTORS_JSON})"""


def profile_query(source: str, where: str, columns: str = "") -> str:
    """A SELECT of `columns` (if any) and the user JSON of the users in
    `source` (aliased `u`) that match `where`."""
    return (
        f"SELECT {columns}{', ' if columns else ''}{_PROFILE} FROM ("
        f"SELECT u.*, {_HAS_EMAIL_IDENTITY} AS has_email_identity, "
        f"{_PROVIDERS} AS providers FROM {source} AS u WHERE {where}) AS u"
    )


_PROFILE_BY_ID = profile_query(f'"{_USERS}"', "u.id = ?")


def profile_text(user_id: str) -> str | None:
    """The JSON user object of the user with `user_id`, as text."""
    # On the raw connection: Django's cursor rewrites every `%s` of this long
    # statement with a regex on each call.
    row = raw_connection().execute(_PROFILE_BY_ID, (user_id,)).fetchone()
    return row[0] if row else None


def _unsaved_profile(user: User) -> str:
    # A user that is not in the table (the decoy of a sign-up for a taken
    # address) goes through the same query, from a one-row source of its values.
    fields = User._meta.concrete_fields
    source = "(SELECT " + ", ".join(f'? AS "{f.column}"' for f in fields) + ")"
    values = [f.get_db_prep_save(getattr(user, f.attname), connection) for f in fields]
    return raw_connection().execute(profile_query(source, "1"), values).fetchone()[0]


def user_json(user: User) -> dict[str, Any]:
    """The user object GoTrue returns for `user`, as stored now; 404 if the
    user was deleted meanwhile."""
    if user._state.adding:
        return orjson.loads(_unsaved_profile(user))
    text = profile_text(str(user.pk))
    if text is None:
        raise UserNotFound()
    return orjson.loads(text)
