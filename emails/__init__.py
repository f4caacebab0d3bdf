"""The email queue: templates in the database, one row per mail, retries."""

from __future__ import annotations

from typing import Any


def send_email(template: str, to: str, context: dict[str, Any] | None = None) -> Any:
    """Queue the mail `template` renders for `to`; see `emails.services.send_email`."""
    # Imported here: this package is imported before Django's models are ready.
    from emails.services import send_email as send

    return send(template, to, {} if context is None else context)
