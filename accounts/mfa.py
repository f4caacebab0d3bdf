"""TOTP multi-factor authentication, as GoTrue's `/factors` endpoints run it.

Enrolling returns the secret, its otpauth:// URI and a QR code (SVG). A
verified code against a fresh challenge lifts the *same* session to `aal2`
(amr gains `totp`) and rotates its refresh token. A code is accepted once:
the factor remembers the last time step it accepted.
"""

from __future__ import annotations

import time
from typing import Any

import pyotp
import segno
from django.db import transaction
from django.utils import timezone

from accounts.errors import (
    InsufficientAal,
    MfaChallengeExpired,
    MfaFactorNotFound,
    MfaVerificationFailed,
    TooManyEnrolledFactors,
    ValidationFailed,
)
from accounts.models import Challenge, Factor, Session, User
from accounts.sessions import IssuedSession, reissue
from database.executor import locked_atomic

CHALLENGE_LIFETIME = 300
MAX_FACTORS = 10
MAX_FRIENDLY_NAME_LENGTH = 120  # Factor.friendly_name's max_length
# The otpauth:// URI, which holds the issuer twice (percent-encoded), must fit
# in one QR code: 2,331 bytes at error correction level M.
MAX_ISSUER_LENGTH = 255
_STEP = 30


def enroll(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    if body.get("factor_type") != "totp":
        raise ValidationFailed(
            "factor_type must be totp; phone factors are not supported"
        )
    user = session.user
    friendly_name = body.get("friendly_name", "")
    if len(friendly_name) > MAX_FRIENDLY_NAME_LENGTH:
        raise ValidationFailed(
            f"friendly_name must be at most {MAX_FRIENDLY_NAME_LENGTH} characters"
        )
    issuer = body.get("issuer") or "KoyaLite"
    if len(issuer) > MAX_ISSUER_LENGTH:
        raise ValidationFailed(f"issuer must be at most {MAX_ISSUER_LENGTH} characters")
    if friendly_name and user.factors.filter(friendly_name=friendly_name).exists():
        raise ValidationFailed(
            f"A factor with the friendly name {friendly_name!r} for this user already exists"
        )
    if user.factors.count() >= MAX_FACTORS:
        raise TooManyEnrolledFactors()
    secret = pyotp.random_base32()
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=user.email or str(user.id), issuer_name=issuer
    )
    try:
        svg = segno.make(uri, error="m").svg_inline(scale=4)
    except segno.DataOverflowError:
        raise ValidationFailed(
            "issuer is too long: the otpauth URI does not fit in a QR code"
        ) from None
    # Stored only once the answer can be made: a failed enrolment leaves none.
    factor = Factor.objects.create(
        user=user, friendly_name=friendly_name, secret=secret
    )
    return {
        "id": str(factor.id),
        "type": "totp",
        "friendly_name": friendly_name,
        "totp": {"qr_code": svg, "secret": secret, "uri": uri},
    }


def _factor(session: Session, factor_id: str) -> Factor:
    return factor_of(session.user, factor_id)


def factor_of(user: User, factor_id: str) -> Factor:
    """`user`'s factor `factor_id`; anyone else's is not found."""
    factor = user.factors.filter(pk=factor_id).first() if _is_uuid(factor_id) else None
    if factor is None:
        raise MfaFactorNotFound()
    return factor


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def challenge(session: Session, factor_id: str) -> dict[str, Any]:
    factor = _factor(session, factor_id)
    made = Challenge.objects.create(factor=factor)
    return {
        "id": str(made.id),
        "type": factor.factor_type,
        "expires_at": int(made.created_at.timestamp()) + CHALLENGE_LIFETIME,
    }


def verify(session: Session, factor_id: str, body: dict[str, Any]) -> IssuedSession:
    factor = _factor(session, factor_id)
    challenge_id, code = body.get("challenge_id"), body.get("code")
    if not isinstance(challenge_id, str) or not _is_uuid(challenge_id):
        raise ValidationFailed("challenge_id is required")
    if not isinstance(code, str) or not code.isdigit():
        raise ValidationFailed("code must be the 6 digits the authenticator shows")
    with transaction.atomic():
        made = Challenge.objects.filter(pk=challenge_id, factor=factor).first()
        if (
            made is None
            or (timezone.now() - made.created_at).total_seconds() > CHALLENGE_LIFETIME
        ):
            raise MfaChallengeExpired()
        step = _accepted_step(factor, code)
        if step is None:
            raise MfaVerificationFailed()
        made.delete()
        factor.last_step = step
        factor.status = Factor.Status.VERIFIED
        factor.save(update_fields=["last_step", "status", "updated_at"])
        session.aal = "aal2"
        session.amr = [*session.amr, {"method": "totp", "timestamp": int(time.time())}]
        session.save(update_fields=["aal", "amr"])
        # A new refresh token: the session's older ones, which would mint aal1
        # tokens again, are no longer its newest and so no longer live.
        return reissue(session)


def _accepted_step(factor: Factor, code: str) -> int | None:
    """The time step `code` belongs to (now, or one step either side), if new."""
    totp = pyotp.TOTP(factor.secret)
    now = int(time.time()) // _STEP
    for step in (now, now - 1, now + 1):
        if step > factor.last_step and totp.at(step * _STEP) == code:
            return step
    return None


def unenroll(session: Session, factor_id: str) -> dict[str, Any]:
    factor = _factor(session, factor_id)
    if factor.status == Factor.Status.VERIFIED and session.aal != "aal2":
        raise InsufficientAal()
    remove_factor(factor)
    return {"id": factor_id}


def remove_factor(factor: Factor) -> None:
    """Delete `factor` and take its user's sessions back to aal1, as GoTrue
    does: a session lifted by a factor that is gone must not keep minting
    aal2 tokens. (Sessions do not record which factor lifted them, so all of
    the user's are lowered; another factor lifts them again.)"""
    with locked_atomic():
        factor.delete()
        for session in Session.objects.filter(user_id=factor.user_id, aal="aal2"):
            session.aal = "aal1"
            session.amr = [e for e in session.amr if e.get("method") != "totp"]
            session.save(update_fields=["aal", "amr"])
