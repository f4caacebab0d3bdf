"""Manual identity linking, as GoTrue's `/user/identities` runs it.

A signed-in user links another provider's account (`GET
/user/identities/authorize` starts the OAuth dance; the callback attaches the
identity to them) or unlinks one (`DELETE /user/identities/<id>`), keeping at
least one. Off by default, as in Supabase (`KOYALITE_AUTH_MANUAL_LINKING`).

The email identity is not a row: a user has one while they have an address
and `app_metadata.provider` is not one of their OAuth identities (see
`accounts.users`). So unlinking moves `provider` to the first identity left,
which is also what keeps a removed OAuth identity from turning into an email
identity.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.errors import (
    EmailConflictIdentityNotDeletable,
    EmailExists,
    IdentityAlreadyExists,
    IdentityIdInvalid,
    IdentityNotFound,
    ManualLinkingDisabled,
    SingleIdentityNotDeletable,
    UserNotFound,
)
from accounts.models import Identity, User
from accounts.users import user_json


def require_manual_linking() -> None:
    if not settings.AUTH_MANUAL_LINKING:
        raise ManualLinkingDisabled()


def link(user_id: str, name: str, claims: dict[str, Any]) -> User:
    """Attach provider `name`'s account in `claims` to the user `user_id`."""
    require_manual_linking()  # however the link was asked for
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=user_id).first()
        if user is None:
            raise UserNotFound()
        identity = Identity.objects.filter(
            provider=name, provider_id=claims["sub"]
        ).first()
        if identity is not None and identity.user_id != user.pk:
            raise IdentityAlreadyExists()
        if identity is None:
            identity = Identity(user=user, provider=name, provider_id=claims["sub"])
        identity.identity_data = claims
        identity.email = claims.get("email")
        identity.last_sign_in_at = now
        identity.save()
        if user.is_anonymous_user:
            _make_permanent(user, name, claims)
    return user


def _make_permanent(user: User, name: str, claims: dict[str, Any]) -> None:
    # An anonymous user who links an identity becomes that identity's user.
    user.is_anonymous_user = False
    user.raw_app_meta_data = {**(user.raw_app_meta_data or {}), "provider": name}
    if claims.get("email") and claims.get("email_verified"):
        user.email = claims["email"]
        user.email_confirmed_at = timezone.now()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise EmailExists() from None


def unlink(user: User, identity_id: str) -> None:
    """Remove one of `user`'s identities; the last one stays."""
    try:
        wanted = str(uuid.UUID(identity_id))
    except ValueError:
        raise IdentityIdInvalid() from None
    with transaction.atomic():
        identities = user_json(user)["identities"]
        if len(identities) <= 1:
            raise SingleIdentityNotDeletable()
        removed = next((i for i in identities if i["identity_id"] == wanted), None)
        if removed is None:
            raise IdentityNotFound()
        left = [i for i in identities if i is not removed]
        if removed["provider"] != "email":
            Identity.objects.filter(pk=wanted, user=user).delete()
        user.raw_app_meta_data = {
            **(user.raw_app_meta_data or {}),
            "provider": left[0]["provider"],
        }
        fields = ["raw_app_meta_data", "updated_at"]
        addresses = [i["email"] for i in left if i.get("email")]
        if user.email and user.email not in addresses and addresses:
            # The address came with the identity that went: take one that stays.
            user.email = addresses[0]
            fields.append("email")
        try:
            with transaction.atomic():
                user.save(update_fields=fields)
        except IntegrityError:
            raise EmailConflictIdentityNotDeletable() from None
