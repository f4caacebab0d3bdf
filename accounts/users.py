"""Users as GoTrue shows them: the JSON user object and the states that matter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from accounts.models import User


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def is_banned(user: User) -> bool:
    return user.banned_until is not None and user.banned_until > timezone.now()


def providers(user: User) -> list[str]:
    if user.is_anonymous_user:
        return []
    return ["email"] if user.email else ["phone"] if user.phone else []


def _identities(user: User) -> list[dict[str, Any]]:
    if user.is_anonymous_user or not user.email:
        return []
    user_id = str(user.id)
    return [
        {
            "identity_id": user_id,
            "id": user_id,
            "user_id": user_id,
            "identity_data": {
                "email": user.email,
                "email_verified": user.email_confirmed_at is not None,
                "phone_verified": False,
                "sub": user_id,
            },
            "provider": "email",
            "last_sign_in_at": _iso(user.last_login),
            "created_at": _iso(user.created_at),
            "updated_at": _iso(user.updated_at),
            "email": user.email,
        }
    ]


def user_json(user: User) -> dict[str, Any]:
    app_metadata = dict(user.raw_app_meta_data or {})
    names = providers(user)
    if names:
        app_metadata.setdefault("provider", names[0])
        app_metadata.setdefault("providers", names)
    return {
        "id": str(user.id),
        "aud": "authenticated",
        "role": "authenticated",
        "email": user.email or "",
        "phone": user.phone or "",
        "email_confirmed_at": _iso(user.email_confirmed_at),
        "confirmed_at": _iso(user.email_confirmed_at),
        "confirmation_sent_at": _iso(user.confirmation_sent_at),
        "new_email": user.new_email or None,
        "email_change_sent_at": _iso(user.email_change_sent_at),
        "invited_at": _iso(user.invited_at),
        "last_sign_in_at": _iso(user.last_login),
        "app_metadata": app_metadata,
        "user_metadata": dict(user.raw_user_meta_data or {}),
        "identities": _identities(user),
        "created_at": _iso(user.created_at),
        "updated_at": _iso(user.updated_at),
        "banned_until": _iso(user.banned_until),
        "is_anonymous": user.is_anonymous_user,
        "factors": [_factor(f) for f in user.factors.all()] if user.pk else [],
    }


def _factor(factor) -> dict[str, Any]:
    return {
        "id": str(factor.id),
        "friendly_name": factor.friendly_name,
        "factor_type": factor.factor_type,
        "status": factor.status,
        "created_at": _iso(factor.created_at),
        "updated_at": _iso(factor.updated_at),
    }
