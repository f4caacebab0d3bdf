"""Sign-up, sign-in, confirmation and profile changes for /auth/v1."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import (
    AnonymousDisabled,
    EmailNotConfirmed,
    InvalidCredentials,
    OtpExpired,
    SignupDisabled,
    UserAlreadyExists,
    UserBanned,
    ValidationFailed,
    WeakPassword,
)
from accounts.mail import safe_redirect, send_auth_email, verify_link
from accounts.models import OneTimeToken, User
from accounts.sessions import IssuedSession, start_session, token_hash
from accounts.users import is_banned, user_json

# Checked against when no user matches, so a wrong email costs the same time
# as a wrong password and timing does not reveal which emails exist.
_DUMMY_HASH = None


def validate_password(password: object) -> str:
    if not isinstance(password, str) or not password:
        raise ValidationFailed("Password is required")
    minimum = settings.AUTH_PASSWORD_MIN_LENGTH
    if len(password) < minimum:
        raise WeakPassword(
            ["length"], f"Password should be at least {minimum} characters."
        )
    return password


def normalize_email(email: object) -> str:
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        raise ValidationFailed("Unable to validate email address: invalid format")
    return email.strip().lower()


def _metadata(data: object) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationFailed("data must be a JSON object")
    return data


def sign_up(
    body: dict[str, Any], redirect_to: str | None, *, user_agent: str = "", ip: str = ""
) -> dict[str, Any]:
    """POST /signup: a session (auto-confirm, anonymous) or the unconfirmed user."""
    if not settings.AUTH_ENABLE_SIGNUP:
        raise SignupDisabled()
    email, password = body.get("email"), body.get("password")
    if not email and not body.get("phone") and password is None:
        return _sign_up_anonymously(body, user_agent, ip)
    if not email:
        raise ValidationFailed("Phone sign-ups are not supported; use an email address")
    email = normalize_email(email)
    password = validate_password(password)
    data = _metadata(body.get("data"))
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        if settings.AUTH_AUTOCONFIRM:
            raise UserAlreadyExists()
        if existing.email_confirmed_at is None:
            _send_confirmation(existing, redirect_to)
            return user_json(existing)
        # GoTrue answers a confirmed address with a user that is not it, so a
        # sign-up form cannot tell which addresses have accounts.
        decoy = user_json(
            User(
                id=uuid.uuid4(),
                email=email,
                created_at=timezone.now(),
                updated_at=timezone.now(),
            )
        )
        decoy["identities"] = []
        return decoy
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=email, password=password, raw_user_meta_data=data
            )
    except IntegrityError:
        raise UserAlreadyExists() from None
    if settings.AUTH_AUTOCONFIRM:
        User.objects.filter(pk=user.pk).update(email_confirmed_at=timezone.now())
        user.refresh_from_db()
        return start_session(user, "password", user_agent=user_agent, ip=ip).as_json()
    _send_confirmation(user, redirect_to)
    return user_json(user)


def _sign_up_anonymously(
    body: dict[str, Any], user_agent: str, ip: str
) -> dict[str, Any]:
    if not settings.AUTH_ANONYMOUS_USERS:
        raise AnonymousDisabled()
    user = User.objects.create_user(
        email=None,
        password=None,
        is_anonymous_user=True,
        raw_user_meta_data=_metadata(body.get("data")),
    )
    return start_session(user, "anonymous", user_agent=user_agent, ip=ip).as_json()


def _send_confirmation(user: User, redirect_to: str | None) -> None:
    token = secrets.token_hex(28)
    with transaction.atomic():
        OneTimeToken.objects.filter(
            user=user, kind=OneTimeToken.Kind.CONFIRMATION
        ).delete()
        OneTimeToken.objects.create(
            user=user,
            kind=OneTimeToken.Kind.CONFIRMATION,
            token_hash=token_hash(token),
            email=user.email,
        )
        User.objects.filter(pk=user.pk).update(confirmation_sent_at=timezone.now())
    link = verify_link(token, "signup", safe_redirect(redirect_to))
    send_auth_email("confirmation", user.email, {"link": link, "email": user.email})


def sign_in_with_password(
    body: dict[str, Any], *, user_agent: str = "", ip: str = ""
) -> IssuedSession:
    global _DUMMY_HASH
    email, password = body.get("email"), body.get("password")
    if not isinstance(password, str) or not email:
        raise ValidationFailed("An email address and a password are required")
    user = User.objects.filter(email=normalize_email(email)).first()
    if user is None or not user.has_usable_password():
        if _DUMMY_HASH is None:
            _DUMMY_HASH = make_password(secrets.token_hex(8))
        check_password(password, _DUMMY_HASH)
        raise InvalidCredentials()
    if not user.check_password(password):
        raise InvalidCredentials()
    if user.email_confirmed_at is None:
        raise EmailNotConfirmed()
    if is_banned(user) or not user.is_active:
        raise UserBanned()
    return start_session(user, "password", user_agent=user_agent, ip=ip)


def verify(
    kind: str, token: str, *, user_agent: str = "", ip: str = ""
) -> IssuedSession:
    """Redeem a mailed token: confirm the address and sign the user in."""
    if kind not in ("signup", "email"):
        raise ValidationFailed(
            f"Verify requires a verification type: {kind!r} is not supported yet"
        )
    with transaction.atomic():
        row = (
            OneTimeToken.objects.select_related("user")
            .filter(token_hash=token_hash(token), kind=OneTimeToken.Kind.CONFIRMATION)
            .first()
        )
        if row is None or (timezone.now() - row.created_at).total_seconds() > 24 * 3600:
            raise OtpExpired()
        user = row.user
        row.delete()
        if user.email_confirmed_at is None:
            User.objects.filter(pk=user.pk).update(email_confirmed_at=timezone.now())
            user.refresh_from_db()
    if is_banned(user):
        raise UserBanned()
    return start_session(user, "otp", user_agent=user_agent, ip=ip)


def update_user(user: User, body: dict[str, Any]) -> User:
    """PUT /user: metadata and password (email change comes with its mail flow)."""
    if (
        "email" in body
        and body["email"]
        and normalize_email(body["email"]) != user.email
    ):
        raise ValidationFailed("Changing the email address is not supported yet")
    fields = []
    if "data" in body:
        user.raw_user_meta_data = {
            **(user.raw_user_meta_data or {}),
            **_metadata(body["data"]),
        }
        fields.append("raw_user_meta_data")
    if "password" in body:
        user.set_password(validate_password(body["password"]))
        fields.append("password")
    if fields:
        user.save(update_fields=[*fields, "updated_at"])
    return user
