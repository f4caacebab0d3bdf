"""System checks of the email settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def resend_has_a_key(app_configs, **kwargs) -> list[Error]:
    if settings.EMAIL_QUEUE_BACKEND == "resend" and not settings.RESEND_API_KEY:
        return [
            Error(
                "KOYALITE_EMAIL_BACKEND is resend but KOYALITE_RESEND_API_KEY is empty.",
                hint="Create an API key at resend.com and set KOYALITE_RESEND_API_KEY.",
                id="emails.E001",
            )
        ]
    return []
