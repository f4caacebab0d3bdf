"""The email backend that keeps a copy of each mail for the Studio's Mailbox.

Installed by settings only when KOYALITE_EMAIL_URL names a local backend
(console or file): it stores every message as a `CapturedMail`, trims the
table to the newest `MAILBOX_LIMIT`, then hands the messages to the backend
the URL configured (`MAILBOX_DELIVERY_BACKEND`), so the console still prints
and the file backend still writes. SMTP is never wrapped: real mail is the
mail server's business, not a local inbox's.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

from studio.models import CapturedMail


def captured(message: EmailMessage) -> CapturedMail:
    """The unsaved `CapturedMail` for `message`, headers as a client sees them."""
    mime = message.message()
    html = ""
    if isinstance(message, EmailMultiAlternatives):
        for content, mimetype in message.alternatives:
            if mimetype == "text/html":
                html = str(content)
                break
    if message.content_subtype == "html":
        html, text = message.body, ""
    else:
        text = message.body
    return CapturedMail(
        sender=message.from_email or "",
        to=", ".join(message.recipients()),
        subject=message.subject or "",
        headers=[[name, str(value)] for name, value in mime.items()],
        text_body=text,
        html_body=html,
    )


def keep_newest(limit: int) -> None:
    """Delete all but the newest `limit` captured mails."""
    ids = CapturedMail.objects.order_by("-id").values_list("id", flat=True)
    first_dropped = list(ids[limit : limit + 1])
    if first_dropped:
        CapturedMail.objects.filter(id__lte=first_dropped[0]).delete()


class CapturingEmailBackend(BaseEmailBackend):
    """Store each message, then deliver it through the configured backend."""

    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        super().__init__(fail_silently=fail_silently)
        self.delivery = get_connection(
            settings.MAILBOX_DELIVERY_BACKEND, fail_silently=fail_silently, **kwargs
        )

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        # Its own transaction: a mail that was sent stays in the Mailbox even
        # if the caller's transaction later rolls back, as it would have
        # reached a real inbox.
        with transaction.atomic():
            CapturedMail.objects.bulk_create(captured(m) for m in email_messages)
            keep_newest(settings.MAILBOX_LIMIT)
        return self.delivery.send_messages(email_messages)
