"""The engines a mail leaves through: Django's mail backend or Resend's API.

`KOYALITE_EMAIL_BACKEND=url` (the default) sends through the backend
KOYALITE_EMAIL_URL configures: console or file (both also kept for the
Studio's Mailbox) or SMTP. `resend` posts to Resend's HTTP API. Each says
whether a failure may pass (SMTP 4xx, a dropped connection, Resend 5xx or
429: try again later) or will not (SMTP 5xx, Resend's other 4xx: give up).
"""

from __future__ import annotations

import smtplib

import resend
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from resend.exceptions import ResendError

from emails.models import OutgoingEmail

# An SMTP server that accepts the connection and then says nothing must not
# hold a worker (or an auth request) for ever.
SMTP_TIMEOUT_SECONDS = 30


class DeliveryFailed(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent


def send(email: OutgoingEmail) -> str:
    """Send `email` once; the provider's message id. Raises `DeliveryFailed`."""
    if settings.EMAIL_QUEUE_BACKEND == "resend":
        return send_with_resend(email)
    return send_with_django(email)


def message_id(email: OutgoingEmail) -> str:
    """The same Message-ID on every attempt, so a receiver can drop repeats."""
    domain = email.from_email.rpartition("@")[2].strip(" >") or "localhost"
    return f"<{email.id.hex}@{domain}>"


def send_with_django(email: OutgoingEmail) -> str:
    mid = message_id(email)
    message = EmailMultiAlternatives(
        email.subject,
        email.text,
        email.from_email,
        [email.to],
        headers={"Message-ID": mid},
        connection=get_connection(timeout=SMTP_TIMEOUT_SECONDS),
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        answers = list(error.recipients.values())
        text = "; ".join(f"SMTP {code} {_text(reply)}" for code, reply in answers)
        permanent = all(code >= 500 for code, _ in answers)
        raise DeliveryFailed(text, permanent=permanent) from None
    except smtplib.SMTPResponseException as error:
        text = f"SMTP {error.smtp_code} {_text(error.smtp_error)}"
        raise DeliveryFailed(text, permanent=error.smtp_code >= 500) from None
    except OSError as error:  # smtplib.SMTPException, refused, timed out
        text = f"{type(error).__name__}: {error}"
        raise DeliveryFailed(text, permanent=False) from None
    return mid


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def send_with_resend(email: OutgoingEmail) -> str:
    # The SDK reads its key and address from module globals; every thread
    # sets the same values.
    resend.api_key = settings.RESEND_API_KEY
    resend.api_url = settings.RESEND_API_URL
    params: dict[str, object] = {
        "from": email.from_email,
        "to": [email.to],
        "subject": email.subject,
    }
    if email.html:
        params["html"] = email.html
    if email.text:
        params["text"] = email.text
    try:
        # Resend answers a repeat of the same key with the first send's id
        # instead of sending twice (an attempt whose answer was lost).
        sent = resend.Emails.send(params, {"idempotency_key": str(email.id)})
    except ResendError as error:
        code = int(error.code) if str(error.code).isdigit() else 500
        text = f"Resend {code} {error.error_type}: {error.message}"
        permanent = 400 <= code < 500 and code != 429
        raise DeliveryFailed(text, permanent=permanent) from None
    return str(sent["id"])
