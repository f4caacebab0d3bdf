"""User administration: the rules behind GoTrue's `/admin/users` API and the
Django admin's user actions — create, list, update, ban, confirm, delete.

Both front ends call these functions, so each rule (password strength, hash
formats, ban durations, what a password change revokes) lives here once.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.errors import (
    EmailExists,
    InvalidUserId,
    PhoneExists,
    UserAlreadyExists,
    UserNotFound,
    UserReferenced,
    ValidationFailed,
)
from accounts.models import OneTimeToken, Session, User
from accounts.passwords import validate_password
from accounts.services import normalize_email, validate_metadata
from database.executor import locked_atomic

DEFAULT_PER_PAGE = 50
# GoTrue's offset paging has no cap; KoyaLite renders every user of a page as
# JSON in one response, so a page is bounded like GoTrue's cursor paging is.
MAX_PER_PAGE = 1000

# GoTrue's `password_hash` accepts what `bcrypt.Cost` parses; these are the
# variants Python's bcrypt (and so Django's BCryptPasswordHasher) verifies.
_BCRYPT_HASH = re.compile(r"^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$")
_E164 = re.compile(r"^[1-9][0-9]{1,14}$")
_NANOSECONDS = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 MICRO SIGN
    "μs": 1_000,  # U+03BC GREEK SMALL LETTER MU
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
# One "<number><unit>" of a Go duration; Go reads only ASCII digits.
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")
# Go's time.Duration is an int64 of nanoseconds (about 292 years).
_MAX_NANOSECONDS = 2**63 - 1


@dataclass(frozen=True, slots=True)
class UserAttributes:
    """GoTrue's `AdminUserParams`. An empty string, None or False leaves the
    field as it is, as GoTrue's zero values do."""

    email: str = ""
    phone: str = ""
    password: str | None = None
    password_hash: str = ""
    email_confirm: bool = False
    phone_confirm: bool = False
    user_metadata: dict[str, Any] | None = None
    app_metadata: dict[str, Any] | None = None
    ban_duration: str = ""
    role: str = ""
    id: str = ""


@dataclass(frozen=True, slots=True)
class UserPage:
    users: list[User]
    total: int
    page: int
    per_page: int

    @property
    def last_page(self) -> int:
        """The number of the last page; 0 when there are no users, as in GoTrue."""
        return math.ceil(self.total / self.per_page)


# ------------------------------------------------------------------ reading


def get_user(user_id: str | uuid.UUID) -> User:
    """The user with `user_id`; a malformed id is a 404 too, as in GoTrue."""
    try:
        key = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(user_id)
    except ValueError:
        raise InvalidUserId() from None
    user = User.objects.filter(pk=key).first()
    if user is None:
        raise UserNotFound()
    return user


def list_users(
    page: int = 1,
    per_page: int = DEFAULT_PER_PAGE,
    *,
    search: str = "",
    ascending: bool = False,
) -> UserPage:
    """One page of users, newest first unless `ascending`; `search` matches
    the email or `user_metadata.full_name`, as GoTrue's `filter` does."""
    if page < 1 or per_page < 1:
        raise ValidationFailed(
            "Bad Pagination Parameters: page and per_page must be at least 1"
        )
    per_page = min(per_page, MAX_PER_PAGE)
    users: QuerySet[User] = User.objects.prefetch_related("factors")
    if search:
        users = users.filter(
            Q(email__icontains=search)
            | Q(raw_user_meta_data__full_name__icontains=search)
        )
    # The id breaks ties, so pages never overlap or skip a user.
    order = ("created_at", "id") if ascending else ("-created_at", "-id")
    start = (page - 1) * per_page
    return UserPage(
        users=list(users.order_by(*order)[start : start + per_page]),
        total=users.count(),
        page=page,
        per_page=per_page,
    )


# ------------------------------------------------------------------ rules


def parse_ban_duration(text: str) -> timedelta:
    """A Go duration ("24h", "1h30m", "876000h", "none") as GoTrue reads
    `ban_duration`; "none" and zero mean no ban."""
    if text == "none":
        return timedelta(0)
    invalid = _bad_duration(f'time: invalid duration "{text}"')
    rest = text
    negative = rest[:1] == "-"
    if rest[:1] in ("-", "+"):
        rest = rest[1:]
    if rest == "0":
        return timedelta(0)
    if not rest:
        raise invalid
    total = 0
    while rest:
        part = _DURATION_PART.match(rest)
        assert part is not None  # every group may be empty, so it always matches
        whole, fraction, unit = part.group(1), part.group(2) or "", part.group(3)
        if not whole and not fraction:
            raise invalid
        if not unit:
            raise _bad_duration(f'time: missing unit in duration "{text}"')
        if unit not in _NANOSECONDS:
            raise _bad_duration(f'time: unknown unit "{unit}" in duration "{text}"')
        # More digits than an int64 holds: overflow, as Go reports it.
        if len(whole) > 19:
            raise invalid
        rest = rest[part.end() :]
        scale = _NANOSECONDS[unit]
        total += int(whole or "0") * scale
        if fraction:
            fraction = fraction[:19]  # digits past nanoseconds change nothing
            total += int(fraction) * scale // 10 ** len(fraction)
        if total > _MAX_NANOSECONDS:
            raise invalid
    return timedelta(microseconds=(-total if negative else total) // 1000)


def _bad_duration(reason: str) -> ValidationFailed:
    return ValidationFailed(f"invalid format for ban duration: {reason}")


def stored_password_hash(password_hash: str) -> str:
    """Django's encoding of a GoTrue bcrypt hash (`$2a$`, `$2b$`, `$2y$`).

    Django's BCryptPasswordHasher verifies it as it is; being not the preferred
    hasher, the hash is replaced by Argon2id at the user's next sign-in.
    """
    match = _BCRYPT_HASH.match(password_hash)
    if match is None or not 4 <= int(match.group(1)) <= 31:
        raise ValidationFailed(
            "password_hash must be a bcrypt hash ($2a$, $2b$ or $2y$); "
            "other formats are not supported"
        )
    return "bcrypt$" + password_hash


def validate_phone(phone: str) -> str:
    """An E.164 number without its "+", as GoTrue stores phones."""
    digits = phone.removeprefix("+").replace(" ", "")
    if not _E164.match(digits):
        raise ValidationFailed("Invalid phone number format (E.164 required)")
    return digits


def _merged(current: dict[str, Any] | None, updates: dict[str, Any]) -> dict[str, Any]:
    # GoTrue merges metadata key by key; a null value deletes the key.
    merged = dict(current or {})
    for key, value in updates.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _reject_unsupported(attributes: UserAttributes) -> None:
    if attributes.role not in ("", "authenticated"):
        raise ValidationFailed(
            f"role {attributes.role!r} is not supported; users have the role "
            "'authenticated'"
        )
    if attributes.phone_confirm:
        raise ValidationFailed(
            "phone_confirm is not supported: KoyaLite has no phone sign-in"
        )


def _check_email_free(email: str, user_id: uuid.UUID | None = None) -> None:
    taken = User.objects.filter(email=email)
    if user_id is not None:
        taken = taken.exclude(pk=user_id)
    if taken.exists():
        raise EmailExists()


def _check_phone_free(phone: str, user_id: uuid.UUID | None = None) -> None:
    taken = User.objects.filter(phone=phone)
    if user_id is not None:
        taken = taken.exclude(pk=user_id)
    if taken.exists():
        raise PhoneExists()


# ------------------------------------------------------------------ writing


def create_user(attributes: UserAttributes) -> User:
    """POST /admin/users: a user, confirmed or not; no email is sent."""
    _reject_unsupported(attributes)
    if not attributes.email and not attributes.phone:
        raise ValidationFailed("Cannot create a user without either an email or phone")
    email = normalize_email(attributes.email) if attributes.email else None
    phone = validate_phone(attributes.phone) if attributes.phone else None
    if attributes.password is not None and attributes.password_hash:
        raise ValidationFailed("Only a password or a password hash should be provided")
    user_id = uuid.uuid4()
    if attributes.id:
        try:
            user_id = uuid.UUID(attributes.id)
        except ValueError:
            raise ValidationFailed("ID must conform to the uuid v4 format") from None
        if user_id.int == 0:
            raise ValidationFailed("ID cannot be a nil uuid")
    ban = (
        parse_ban_duration(attributes.ban_duration) if attributes.ban_duration else None
    )
    if email:
        _check_email_free(email)
    if phone:
        _check_phone_free(phone)
    user = User(
        id=user_id,
        email=email,
        phone=phone,
        raw_user_meta_data=validate_metadata(attributes.user_metadata, "user_metadata"),
        raw_app_meta_data=validate_metadata(
            _merged({}, attributes.app_metadata or {}), "app_metadata"
        ),
        email_confirmed_at=(
            timezone.now() if attributes.email_confirm and email else None
        ),
        banned_until=_ban_end(ban) if ban is not None else None,
    )
    if attributes.password_hash:
        user.password = stored_password_hash(attributes.password_hash)
    elif attributes.password:
        user.set_password(validate_password(attributes.password))
    else:
        # GoTrue sets a random password nobody knows; Django says so directly.
        user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:
        # Lost a race for the email or phone, or the id is taken.
        if email:
            _check_email_free(email)
        if phone:
            _check_phone_free(phone)
        raise UserAlreadyExists("A user with this ID already exists") from None
    return user


def update_user(user_id: str, attributes: UserAttributes) -> User:
    """PUT /admin/users/<id>: applied directly, without confirmation mails.

    A new password (or hash) ends all the user's sessions and voids the
    tokens mailed to them, as GoTrue's UpdatePassword does.
    """
    _reject_unsupported(attributes)
    get_user(user_id)  # an unknown user is a 404 before any other complaint
    email = normalize_email(attributes.email) if attributes.email else None
    phone = validate_phone(attributes.phone) if attributes.phone else None
    if attributes.password is not None and attributes.password_hash:
        raise ValidationFailed("Only a password or a password hash should be provided")
    password = None
    if attributes.password_hash:
        password = stored_password_hash(attributes.password_hash)
    elif attributes.password is not None:
        # Hashed here, not under the write lock: it takes tens of milliseconds.
        password = make_password(validate_password(attributes.password))
    ban = (
        parse_ban_duration(attributes.ban_duration) if attributes.ban_duration else None
    )
    # Read, checked and written in one write transaction: a user deleted
    # meanwhile is gone before it starts (404), or after it ends.
    with locked_atomic():
        user = get_user(user_id)
        _apply(user, attributes, email, phone, password)
        if password is not None:
            end_sessions(user)
        if attributes.email_confirm:
            confirm_email(user)
        if ban is not None:
            ban_user(user, ban)
    return user


def _apply(
    user: User,
    attributes: UserAttributes,
    email: str | None,
    phone: str | None,
    password: str | None,
) -> None:
    """Save the fields of `attributes` that change `user`'s own row."""
    if email and email != user.email:
        _check_email_free(email, user.pk)
    if phone and phone != user.phone:
        _check_phone_free(phone, user.pk)
    fields: list[str] = []
    if email:
        user.email = email
        fields.append("email")
        # Confirming an email turns an anonymous user into a permanent one.
        if attributes.email_confirm and user.is_anonymous_user:
            user.is_anonymous_user = False
            fields.append("is_anonymous_user")
    if phone:
        user.phone = phone
        fields.append("phone")
    if password is not None:
        user.password = password
        fields.append("password")
    if attributes.app_metadata is not None:
        user.raw_app_meta_data = validate_metadata(
            _merged(user.raw_app_meta_data, attributes.app_metadata), "app_metadata"
        )
        fields.append("raw_app_meta_data")
    if attributes.user_metadata is not None:
        user.raw_user_meta_data = validate_metadata(
            _merged(user.raw_user_meta_data, attributes.user_metadata),
            "user_metadata",
        )
        fields.append("raw_user_meta_data")
    if fields:
        user.save(update_fields=[*fields, "updated_at"])


def ban_user(user: User, duration: timedelta) -> User:
    """Ban `user` for `duration` from now; zero (or less) lifts a ban.

    Sessions stay: a banned user's refresh and sign-in fail while the ban
    lasts, and work again once it is lifted, as in GoTrue.
    """
    user.banned_until = _ban_end(duration)
    user.save(update_fields=["banned_until", "updated_at"])
    return user


def _ban_end(duration: timedelta) -> datetime | None:
    return timezone.now() + duration if duration > timedelta(0) else None


def confirm_email(user: User) -> User:
    """Mark the user's email confirmed (keeping an earlier confirmation time)
    and void the tokens mailed to them, as GoTrue's Confirm does."""
    with transaction.atomic():
        if user.email_confirmed_at is None:
            user.email_confirmed_at = timezone.now()
            user.save(update_fields=["email_confirmed_at", "updated_at"])
        OneTimeToken.objects.filter(user=user).delete()
    return user


def end_sessions(user: User) -> None:
    """Sign the user out everywhere and void the tokens mailed to them."""
    Session.objects.filter(user=user).delete()
    OneTimeToken.objects.filter(user=user).delete()


def delete_user(user_id: str, *, soft_delete: bool = False) -> None:
    """DELETE /admin/users/<id>: the user, their sessions and (through
    `on delete cascade`) the rows of user tables that reference them."""
    if soft_delete:
        raise ValidationFailed(
            "should_soft_delete is not supported; users are deleted for good"
        )
    user = get_user(user_id)
    try:
        with transaction.atomic():
            user.delete()
    except IntegrityError:
        raise UserReferenced() from None
