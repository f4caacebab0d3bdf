"""Tokens mailed to users — confirm sign-up, magic link, recovery — and their
redemption. Each mail carries a link (a long random token) and a 6-digit
code; both are stored only as hashes, expire after KOYALITE_AUTH_OTP_EXPIRY,
work once, and a code dies after five wrong guesses."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.errors import (
    OtpExpired,
    OverEmailSendRateLimit,
    ReauthenticationNotValid,
    ValidationFailed,
)
from accounts.mail import safe_redirect, send_auth_email, verify_link
from accounts.models import OneTimeToken, User
from accounts.pkce import Challenge

Kind = OneTimeToken.Kind
# The `type` a client verifies with → the kinds of mailed token it may redeem.
# "email" is GoTrue's type for a 6-digit code from a sign-up or magic-link mail.
KINDS_FOR_TYPE: dict[str, tuple[str, ...]] = {
    "signup": (Kind.CONFIRMATION,),
    "magiclink": (Kind.MAGIC_LINK,),
    "recovery": (Kind.RECOVERY,),
    "email": (Kind.CONFIRMATION, Kind.MAGIC_LINK),
    "email_change": (Kind.EMAIL_CHANGE_CURRENT, Kind.EMAIL_CHANGE_NEW),
    "invite": (Kind.INVITE,),
}
EMAIL_CHANGE = (Kind.EMAIL_CHANGE_CURRENT, Kind.EMAIL_CHANGE_NEW)
# The `type` a link carries, per kind.
LINK_TYPE = {
    Kind.CONFIRMATION: "signup",
    Kind.MAGIC_LINK: "magiclink",
    Kind.RECOVERY: "recovery",
    Kind.EMAIL_CHANGE_CURRENT: "email_change",
    Kind.EMAIL_CHANGE_NEW: "email_change",
    Kind.INVITE: "invite",
}
MAX_CODE_ATTEMPTS = 5


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _code_hash(user: User, code: str) -> str:
    return _hash(f"{user.pk}:{code}")


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # the link's secret; POST /verify takes it as `token_hash`
    code: str  # the 6-digit code
    link: str
    redirect_to: str
    recipient: str


def issue_token(
    user: User,
    kind: str,
    redirect_to: str | None,
    to: str | None = None,
    challenge: Challenge | None = None,
    *,
    limit_rate: bool = True,
) -> IssuedToken:
    """Store a fresh token of `kind` for `user`, replacing any earlier one.

    With `limit_rate`, at most one per kind and address every
    KOYALITE_AUTH_EMAIL_INTERVAL seconds (429 `over_email_send_rate_limit`),
    as GoTrue limits mail.
    """
    token = secrets.token_hex(28)
    code = f"{secrets.randbelow(1_000_000):06d}"
    recipient = to or user.email
    with transaction.atomic():
        earlier = OneTimeToken.objects.filter(user=user, kind=kind).first()
        if earlier is not None:
            waited = (timezone.now() - earlier.created_at).total_seconds()
            if limit_rate and waited < settings.AUTH_EMAIL_INTERVAL:
                raise OverEmailSendRateLimit(
                    "For security purposes, you can only request this after "
                    f"{int(settings.AUTH_EMAIL_INTERVAL - waited) + 1} seconds."
                )
            earlier.delete()
        OneTimeToken.objects.create(
            user=user,
            kind=kind,
            token_hash=_hash(token),
            code_hash=_code_hash(user, code),
            email=recipient,
            code_challenge=challenge.value if challenge else "",
            code_challenge_method=challenge.method if challenge else "",
        )
        if kind == Kind.CONFIRMATION:
            User.objects.filter(pk=user.pk).update(confirmation_sent_at=timezone.now())
        elif kind == Kind.INVITE:
            User.objects.filter(pk=user.pk).update(invited_at=timezone.now())
    target = safe_redirect(redirect_to)
    link = verify_link(token, LINK_TYPE.get(kind, kind), target)
    return IssuedToken(token, code, link, target, recipient)


def mail_token(
    user: User,
    kind: str,
    redirect_to: str | None,
    to: str | None = None,
    challenge: Challenge | None = None,
) -> None:
    """Mail `user` (at `to`, by default their address) a fresh token of `kind`."""
    issued = issue_token(user, kind, redirect_to, to, challenge)
    context = {
        "link": issued.link,
        "code": issued.code,
        "email": issued.recipient,
        "new_email": user.new_email or "",
    }
    send_auth_email(kind, issued.recipient, context)


def check_reauthentication(user: User, code: object) -> None:
    """Spend the code `GET /reauthenticate` mailed; 422 if it is not valid.

    Wrong guesses count as they do for sign-in codes (five, then it is gone).
    """
    valid = False
    with transaction.atomic():
        row = OneTimeToken.objects.filter(user=user, kind=Kind.REAUTHENTICATION).first()
        if row is not None:
            age = (timezone.now() - row.created_at).total_seconds()
            valid = (
                age <= settings.AUTH_OTP_EXPIRY
                and isinstance(code, str)
                and hmac.compare_digest(row.code_hash, _code_hash(user, code.strip()))
            )
            row.failed_attempts += 0 if valid else 1
            if valid or row.failed_attempts >= MAX_CODE_ATTEMPTS:
                row.delete()
            else:
                row.save(update_fields=["failed_attempts"])
    if not valid:
        raise ReauthenticationNotValid()


def _fresh(row: OneTimeToken | None) -> OneTimeToken:
    if (
        row is None
        or (timezone.now() - row.created_at).total_seconds() > settings.AUTH_OTP_EXPIRY
    ):
        raise OtpExpired()
    return row


def redeem(
    kind_type: str,
    *,
    token: str | None = None,
    email: str | None = None,
    code: str | None = None,
) -> tuple[User, str, Challenge | None]:
    """Spend a link token, or an email's 6-digit code; return the user, the
    token's kind and the PKCE challenge the flow began with, if any.

    Redeeming any mailed token proves the address, so it confirms it too.
    """
    kinds = KINDS_FOR_TYPE.get(kind_type)
    if kinds is None:
        raise ValidationFailed(
            f"Verify requires a verification type; {kind_type!r} is not supported"
        )
    if not token and not (email and code):
        raise ValidationFailed("Verify requires a token_hash, or an email and a token")
    wrong_code = False
    with transaction.atomic():
        rows = OneTimeToken.objects.select_related("user").filter(kind__in=kinds)
        if token:
            row = _fresh(rows.filter(token_hash=_hash(token)).first())
        else:
            row = _fresh(
                rows.filter(email=email.strip().lower()).order_by("-created_at").first()
            )
            if not hmac.compare_digest(
                row.code_hash, _code_hash(row.user, code.strip())
            ):
                # Counted in a transaction that commits: the error is raised
                # only after it, so guesses cannot be replayed for free.
                wrong_code = True
                row.failed_attempts += 1
                if row.failed_attempts >= MAX_CODE_ATTEMPTS:
                    row.delete()
                else:
                    row.save(update_fields=["failed_attempts"])
        if not wrong_code:
            user, kind = row.user, row.kind
            challenge = (
                Challenge(row.code_challenge, row.code_challenge_method)
                if row.code_challenge
                else None
            )
            row.delete()
            if kind in EMAIL_CHANGE:
                _finish_email_change(user)
            elif user.email_confirmed_at is None:
                User.objects.filter(pk=user.pk).update(
                    email_confirmed_at=timezone.now()
                )
                user.refresh_from_db()
    if wrong_code:
        raise OtpExpired("Token has expired or is invalid")
    return user, kind, challenge


def _finish_email_change(user: User) -> None:
    """Switch to the new address once both addresses have confirmed."""
    waiting = OneTimeToken.objects.filter(user=user, kind__in=EMAIL_CHANGE).exists()
    if waiting or not user.new_email:
        return
    User.objects.filter(pk=user.pk).update(
        email=user.new_email, new_email=None, email_confirmed_at=timezone.now()
    )
    user.refresh_from_db()


def email_change_pending(user: User) -> bool:
    return bool(user.new_email)
