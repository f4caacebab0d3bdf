"""Telling people about an endpoint KoyaLite switched off."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from koyalite.logging import get_logger

log = get_logger("koyalite.webhooks")


def endpoint_disabled(endpoint, reason: str) -> None:
    """Mail the endpoint's owner (else every operator) once the switch-off
    committed; a mail that cannot be sent is logged, never undoes it."""
    recipients = [endpoint.owner_email] if endpoint.owner_email else _operators()
    log.warning("webhook.endpoint_disabled", endpoint=endpoint.name, reason=reason)
    if not recipients:
        return
    subject = f"Webhook endpoint {endpoint.name!r} was switched off"
    body = (
        f"KoyaLite switched off the webhook endpoint {endpoint.name!r} "
        f"({endpoint.url}): {reason}.\n\n"
        "Its undelivered events are kept. Fix the receiver, switch the endpoint "
        "on again in the Studio or the admin, and replay the failed deliveries.\n"
    )

    def send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        except Exception:
            log.exception("webhook.alert_failed", endpoint=endpoint.name)

    transaction.on_commit(send)


def _operators() -> list[str]:
    from studio.models import Operator

    return list(
        Operator.objects.filter(is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
