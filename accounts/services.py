"""Sign-up, sign-in, confirmation and profile changes for /auth/v1."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, replace
from typing import Any

import orjson
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import pkce, tokens
from accounts.errors import (
    AnonymousDisabled,
    EmailExists,
    EmailNotConfirmed,
    InvalidCredentials,
    NotAdmin,
    OtpDisabled,
    PhoneLoginsDisabled,
    PhoneProviderDisabled,
    SignupDisabled,
    UserAlreadyExists,
    UserBanned,
    UserNotFound,
    ValidationFailed,
)
from accounts.models import OneTimeToken, User
from accounts.passwords import validate_password
from accounts.sessions import IssuedSession, start_session
from accounts.users import is_banned, save_fields, user_json

# Checked against when no user matches, so a wrong email costs the same time
# as a wrong password and timing does not reveal which emails exist.
_DUMMY_HASH = None
# GoTrue's validateEmail refuses longer addresses.
MAX_EMAIL_LENGTH = 255
# Metadata rides in every access token, which clients send back in a header;
# the server refuses request headers past a few hundred KiB, so a user's two
# metadata documents together stay well below that.
MAX_METADATA_BYTES = 64 * 1024


def normalize_email(email: object) -> str:
    """The address in the one form it is stored and looked up in."""
    if not isinstance(email, str):
        raise ValidationFailed("Unable to validate email address: invalid format")
    if len(email) > MAX_EMAIL_LENGTH:
        raise ValidationFailed("An email address is too long")
    cleaned = email.strip().lower()
    try:
        validate_email(cleaned)
    except DjangoValidationError:
        raise ValidationFailed(
            "Unable to validate email address: invalid format"
        ) from None
    return cleaned


def validate_metadata(
    document: dict[str, Any] | None, name: str = "data"
) -> dict[str, Any]:
    """`document` (None reads as `{}`) if it may be stored as a user's
    metadata: at most MAX_METADATA_BYTES as JSON."""
    if document is None:
        return {}
    if len(orjson.dumps(document)) > MAX_METADATA_BYTES:
        raise ValidationFailed(
            f"{name} is larger than {MAX_METADATA_BYTES} bytes as JSON"
        )
    return document


def sign_up(
    body: dict[str, Any], redirect_to: str | None, *, user_agent: str = "", ip: str = ""
) -> dict[str, Any]:
    """POST /signup: a session (auto-confirm, anonymous) or the unconfirmed user."""
    if not settings.AUTH_ENABLE_SIGNUP:
        raise SignupDisabled()
    email, password = body.get("email"), body.get("password")
    if body.get("phone") and not email:
        raise PhoneProviderDisabled("Phone signups are disabled")
    if not email and password is None:
        return _sign_up_anonymously(body, user_agent, ip)
    if not email:
        raise ValidationFailed("Phone sign-ups are not supported; use an email address")
    email = normalize_email(email)
    password = validate_password(password)
    challenge = pkce.challenge_from(body)
    data = validate_metadata(body.get("data"))
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        if settings.AUTH_AUTOCONFIRM:
            raise UserAlreadyExists()
        if existing.email_confirmed_at is None:
            tokens.mail_token(
                existing, tokens.Kind.CONFIRMATION, redirect_to, challenge=challenge
            )
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
    tokens.mail_token(user, tokens.Kind.CONFIRMATION, redirect_to, challenge=challenge)
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
        raw_user_meta_data=validate_metadata(body.get("data")),
    )
    return start_session(user, "anonymous", user_agent=user_agent, ip=ip).as_json()


def sign_in_with_password(
    body: dict[str, Any], *, user_agent: str = "", ip: str = ""
) -> IssuedSession:
    global _DUMMY_HASH
    email, password = body.get("email"), body.get("password")
    if body.get("phone") and not email:
        raise PhoneLoginsDisabled()
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


# GoTrue's answer when one of the two email-change links has been followed.
EMAIL_CHANGE_HALFWAY = (
    "Confirmation link accepted. Please proceed to confirm link sent to the other email"
)


@dataclass(frozen=True, slots=True)
class Verified:
    """What following a mailed link or entering a code yields: a session, a
    PKCE auth code (for a link from a PKCE flow), or neither while an email
    change still waits for its other address."""

    session: IssuedSession | None = None
    auth_code: str | None = None


def verify(
    kind_type: str,
    *,
    token: str | None = None,
    email: str | None = None,
    code: str | None = None,
    from_link: bool = False,
    user_agent: str = "",
    ip: str = "",
) -> Verified:
    """Redeem a mailed link or code and sign the user in."""
    user, kind, challenge = tokens.redeem(
        kind_type, token=token, email=email, code=code
    )
    if is_banned(user) or not user.is_active:
        raise UserBanned()
    if kind in tokens.EMAIL_CHANGE and tokens.email_change_pending(user):
        return Verified()
    method = "recovery" if kind == tokens.Kind.RECOVERY else "otp"
    if from_link and challenge is not None:
        return Verified(auth_code=pkce.issue_code(user, challenge, method))
    return Verified(session=start_session(user, method, user_agent=user_agent, ip=ip))


def exchange_code(
    body: dict[str, Any], *, user_agent: str = "", ip: str = ""
) -> IssuedSession:
    """POST /token?grant_type=pkce: an auth code and its verifier → a session."""
    redeemed = pkce.redeem_code(body.get("auth_code"), body.get("code_verifier"))
    user = redeemed.user
    if is_banned(user) or not user.is_active:
        raise UserBanned()
    session = start_session(
        user, redeemed.authentication_method, user_agent=user_agent, ip=ip
    )
    return replace(session, provider_tokens=redeemed.provider_tokens)


def recover(body: dict[str, Any], redirect_to: str | None) -> None:
    """POST /recover: mail a password-reset link if the address has an account.

    The answer is the same either way, so it tells nobody which addresses exist.
    """
    email = normalize_email(body.get("email"))
    user = User.objects.filter(email=email, is_anonymous_user=False).first()
    if user is not None:
        tokens.mail_token(
            user, tokens.Kind.RECOVERY, redirect_to, challenge=pkce.challenge_from(body)
        )


def send_one_time_code(body: dict[str, Any], redirect_to: str | None) -> None:
    """POST /otp: a magic link and a code; an unknown address signs up unless
    `create_user` is false."""
    if body.get("phone") and not body.get("email"):
        raise PhoneProviderDisabled("Unsupported phone provider")
    email = normalize_email(body.get("email"))
    challenge = pkce.challenge_from(body)  # before a user may be created
    user = User.objects.filter(email=email).first()
    if user is None:
        if body.get("create_user") is False or not settings.AUTH_ENABLE_SIGNUP:
            raise OtpDisabled()
        data = validate_metadata(body.get("data"))
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email, password=None, raw_user_meta_data=data
                )
        except IntegrityError:
            user = User.objects.get(email=email)
    kind = (
        tokens.Kind.MAGIC_LINK if user.email_confirmed_at else tokens.Kind.CONFIRMATION
    )
    tokens.mail_token(user, kind, redirect_to, challenge=challenge)


def resend(body: dict[str, Any], redirect_to: str | None) -> None:
    """POST /resend: the sign-up confirmation, or the email-change mails, again.
    Answers the same whether or not there was anything to resend."""
    kind = body.get("type")
    if kind in ("sms", "phone_change") or (body.get("phone") and not body.get("email")):
        raise PhoneProviderDisabled("Phone logins are disabled")
    if kind not in ("signup", "email_change"):
        raise ValidationFailed(
            "Missing one of these types: signup, email_change, sms, phone_change"
        )
    user = User.objects.filter(email=normalize_email(body.get("email"))).first()
    challenge = pkce.challenge_from(body)
    if user is None:
        return
    if kind == "signup" and user.email_confirmed_at is None:
        tokens.mail_token(
            user, tokens.Kind.CONFIRMATION, redirect_to, challenge=challenge
        )
    elif kind == "email_change" and user.new_email:
        _mail_email_change(user, redirect_to, challenge)


def update_user(
    user: User, body: dict[str, Any], redirect_to: str | None = None
) -> User:
    """PUT /user: metadata, password, and an email change (confirmed from both
    the current and the new address before it takes effect).

    Everything is checked before anything is saved, in GoTrue's order.
    """
    new_email = normalize_email(body["email"]) if body.get("email") else None
    password = validate_password(body["password"]) if "password" in body else None
    if "app_metadata" in body:
        raise NotAdmin("Updating app_metadata requires admin privileges")
    metadata = None
    if "data" in body:
        metadata = validate_metadata(
            {**(user.raw_user_meta_data or {}), **body["data"]}
        )
    changes_email = new_email is not None and new_email != user.email
    challenge = pkce.challenge_from(body) if changes_email else None
    if (
        changes_email
        and User.objects.filter(email=new_email).exclude(pk=user.pk).exists()
    ):
        raise EmailExists()
    if "nonce" in body:
        tokens.check_reauthentication(user, body["nonce"])
    fields = []
    if metadata is not None:
        user.raw_user_meta_data = metadata
        fields.append("raw_user_meta_data")
    if password is not None:
        user.set_password(password)
        fields.append("password")
    if fields:
        save_fields(user, fields)
    if changes_email:
        _start_email_change(user, new_email, redirect_to, challenge)
    return user


def _start_email_change(
    user: User,
    new_email: str,
    redirect_to: str | None,
    challenge: pkce.Challenge | None,
) -> None:
    User.objects.filter(pk=user.pk).update(
        new_email=new_email, email_change_sent_at=timezone.now()
    )
    user.refresh_from_db()
    _mail_email_change(user, redirect_to, challenge)


def _mail_email_change(
    user: User, redirect_to: str | None, challenge: pkce.Challenge | None
) -> None:
    """Mail both addresses of `user`'s pending change; both must confirm."""
    if user.email:
        tokens.mail_token(
            user, tokens.Kind.EMAIL_CHANGE_CURRENT, redirect_to, challenge=challenge
        )
    tokens.mail_token(
        user,
        tokens.Kind.EMAIL_CHANGE_NEW,
        redirect_to,
        to=user.new_email,
        challenge=challenge,
    )


def invite(body: dict[str, Any], redirect_to: str | None) -> User:
    """POST /invite (service role): create the user if new and mail an invite;
    following it confirms the address and signs them in."""
    email = normalize_email(body.get("email"))
    user = User.objects.filter(email=email).first()
    if user is not None and user.email_confirmed_at is not None:
        raise EmailExists()
    if user is None:
        data = validate_metadata(body.get("data"))
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=email, password=None, raw_user_meta_data=data
                )
        except IntegrityError:
            raise EmailExists() from None
    tokens.mail_token(user, tokens.Kind.INVITE, redirect_to)
    user.refresh_from_db()
    return user


# generate_link's `type` → the kind of token it issues.
LINK_KINDS = {
    "signup": tokens.Kind.CONFIRMATION,
    "invite": tokens.Kind.INVITE,
    "magiclink": tokens.Kind.MAGIC_LINK,
    "recovery": tokens.Kind.RECOVERY,
    "email_change_current": tokens.Kind.EMAIL_CHANGE_CURRENT,
    "email_change_new": tokens.Kind.EMAIL_CHANGE_NEW,
}


def generate_link(body: dict[str, Any]) -> dict[str, Any]:
    """POST /admin/generate_link: the link and code an email would carry, for
    an app that sends its own mail; nothing is mailed."""
    link_type = body.get("type")
    if link_type not in LINK_KINDS:
        raise ValidationFailed(
            f"Invalid email action link type requested: {link_type}; "
            f"one of {', '.join(LINK_KINDS)}"
        )
    email = normalize_email(body.get("email"))
    user = User.objects.filter(email=email).first()
    recipient = None
    if link_type in ("signup", "invite"):
        user = _new_user_for_link(link_type, email, user, body)
    elif user is None:
        raise UserNotFound()
    elif link_type.startswith("email_change"):
        new_email = _pending_email_change(user, body.get("new_email"))
        recipient = new_email if link_type == "email_change_new" else None
    redirect_to = body.get("redirect_to")
    issued = tokens.issue_token(
        user,
        LINK_KINDS[link_type],
        redirect_to if isinstance(redirect_to, str) else None,
        to=recipient,
        limit_rate=False,
    )
    user.refresh_from_db()
    return {
        **user_json(user),
        "action_link": issued.link,
        "email_otp": issued.code,
        "hashed_token": issued.token,
        "redirect_to": issued.redirect_to,
        "verification_type": link_type,
    }


def _new_user_for_link(
    link_type: str, email: str, user: User | None, body: dict[str, Any]
) -> User:
    """The user a signup or invite link is for, created if new."""
    if user is not None and user.email_confirmed_at is not None:
        raise EmailExists()
    if user is not None:
        return user
    password = (
        validate_password(body.get("password")) if link_type == "signup" else None
    )
    return User.objects.create_user(
        email=email,
        password=password,
        raw_user_meta_data=validate_metadata(body.get("data")),
    )


def _pending_email_change(user: User, new_email: object) -> str:
    """Start `user`'s change to `new_email` with only the generated link to
    confirm it: any pending change and its mailed links are replaced."""
    new_email = normalize_email(new_email)
    if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
        raise EmailExists()
    with transaction.atomic():
        OneTimeToken.objects.filter(user=user, kind__in=tokens.EMAIL_CHANGE).delete()
        User.objects.filter(pk=user.pk).update(
            new_email=new_email, email_change_sent_at=timezone.now()
        )
    return new_email


def reauthenticate(user: User) -> None:
    """GET /reauthenticate: mail a code that `update_user` takes as `nonce`."""
    if not user.email:
        raise ValidationFailed("Reauthentication requires an email address")
    tokens.mail_token(user, tokens.Kind.REAUTHENTICATION, None)
