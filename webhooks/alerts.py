"""Telling people about an endpoint KoyaLite switched off."""

from __future__ import annotations

from emails import send_email
from koyalite.errors import KoyaError
from koyalite.logging import get_logger

log = get_logger("koyalite.webhooks")
TEMPLATE = "webhooks/endpoint_disabled"


def endpoint_disabled(endpoint, reason: str) -> None:
    """Mail the endpoint's owner (else every operator) through the email
    queue, in the switch-off's transaction; a mail that cannot be rendered is
    logged, never undoes the switch-off."""
    recipients = [endpoint.owner_email] if endpoint.owner_email else _operators()
    log.warning("webhook.endpoint_disabled", endpoint=endpoint.name, reason=reason)
    context = {"name": endpoint.name, "url": endpoint.url, "reason": reason}
    for recipient in recipients:
        try:
            send_email(TEMPLATE, recipient, context)
        except KoyaError:  # the template was deleted or broken in the Studio
            log.exception("webhook.alert_failed", endpoint=endpoint.name)


def _operators() -> list[str]:
    from studio.models import Operator

    return list(
        Operator.objects.filter(is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
