"""Send mail: render it into a row, try it at once, retry it from the worker.

`send_email` renders the template when it is called and stores the mail;
after the caller's transaction commits it makes the first attempt right away,
in the calling process. A server without a worker (tests, `serve
--no-worker` with `koyalite worker` elsewhere) still delivers sign-up and
recovery mail while the user waits; only retries need the worker, whose tick
(`emails.ticks.tick`) hands due mails to `attempt`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from database.executor import locked_atomic
from emails import backends
from emails.backends import DeliveryFailed
from emails.errors import EmailNotFound, EmailTemplateNotFound, InvalidEmailRequest
from emails.models import EmailTemplate, OutgoingEmail
from emails.rendering import RenderedEmail, render_template
from koyalite.jobs import claim, jittered
from koyalite.logging import get_logger

log = get_logger("koyalite.emails")

Status = OutgoingEmail.Status
# The first attempt belongs to the process that queued the mail; the worker
# takes it up only if that process died before trying.
FIRST_ATTEMPT_LEASE = timedelta(minutes=2)
# Longer than one attempt may take (a few SMTP round trips of up to 30 s
# each, or Resend's 30 s).
SENDING_LEASE = timedelta(minutes=5)


def render_email(template: str, context: dict[str, Any]) -> RenderedEmail:
    """`template` rendered with `context`; the Studio previews with it."""
    found = EmailTemplate.objects.filter(name=template).first()
    if found is None:
        raise EmailTemplateNotFound(template)
    return render_template(found.name, found.subject, found.html, found.text, context)


def validate_recipient(to: object) -> str:
    if not isinstance(to, str) or not to.strip():
        raise InvalidEmailRequest("'to' must be an email address")
    try:
        validate_email(to.strip())
    except ValidationError:
        raise InvalidEmailRequest(
            f"'to' is not a valid email address: {to!r}"
        ) from None
    return to.strip()


def validate_context(context: object) -> dict[str, Any]:
    """Only JSON values reach a template: nothing it could call a method of."""
    if not isinstance(context, dict):
        raise InvalidEmailRequest("'context' must be a JSON object")

    def check(value: object, path: str) -> None:
        if value is None or isinstance(value, str | int | float | bool):
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                check(item, f"{path}[{index}]")
            return
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise InvalidEmailRequest(f"'context' key {key!r} is not text")
                check(item, f"{path}.{key}")
            return
        raise InvalidEmailRequest(
            f"'{path}' is a {type(value).__name__}; a context holds JSON values only"
        )

    check(context, "context")
    return context


def send_email(template: str, to: str, context: dict[str, Any]) -> OutgoingEmail:
    """Render `template` for `to`, store the mail, and try it once the caller's
    transaction commits. Raises `EmailTemplateNotFound`, `InvalidEmailTemplate`
    or `InvalidEmailRequest`; a failed delivery is the row's business."""
    if not isinstance(template, str) or not template:
        raise InvalidEmailRequest("'template' must be a template name")
    recipient = validate_recipient(to)
    rendered = render_email(template, validate_context(context))
    return _queue(
        OutgoingEmail(
            to=recipient,
            from_email=settings.DEFAULT_FROM_EMAIL,
            template=template,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
        )
    )


def resend(email_id: object) -> OutgoingEmail:
    """Send a logged mail again, as it was rendered, as a new mail."""
    original = OutgoingEmail.objects.filter(pk=_uuid(email_id)).first()
    if original is None:
        raise EmailNotFound(str(email_id))
    return _queue(
        OutgoingEmail(
            to=original.to,
            from_email=original.from_email,
            template=original.template,
            subject=original.subject,
            text=original.text,
            html=original.html,
        )
    )


def _uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise EmailNotFound(str(value)) from None


def _queue(email: OutgoingEmail) -> OutgoingEmail:
    email.lease_until = timezone.now() + FIRST_ATTEMPT_LEASE
    with locked_atomic():
        email.save(force_insert=True)
    log.info("email.queued", email=str(email.id), template=email.template)
    transaction.on_commit(lambda: attempt(str(email.id)))
    return email


def attempt(email_id: str) -> str:
    """One attempt of one mail, unless another process has it; the worker's job."""
    if not claim(
        OutgoingEmail,
        email_id,
        queued=Status.QUEUED,
        working=Status.SENDING,
        lease=SENDING_LEASE,
    ):
        return "skipped"
    email = OutgoingEmail.objects.get(pk=email_id)
    try:
        provider_id = backends.send(email)
    except DeliveryFailed as failure:
        return _record(email, failure=failure)
    except Exception as error:  # the job's top level: the mail must not stay stuck
        log.exception("email.send_crashed", email=email_id)
        failure = DeliveryFailed(f"{type(error).__name__}: {error}", permanent=False)
        return _record(email, failure=failure)
    return _record(email, provider_id=provider_id)


def retry_delay(failed_attempts: int) -> timedelta:
    """Exponential: the base after the first failure, doubling, capped."""
    seconds = settings.EMAIL_RETRY_SECONDS * 2 ** min(failed_attempts - 1, 20)
    return jittered(min(seconds, settings.EMAIL_RETRY_MAX_SECONDS))


def _record(
    email: OutgoingEmail,
    *,
    provider_id: str = "",
    failure: DeliveryFailed | None = None,
) -> str:
    now = timezone.now()
    number = email.attempts + 1
    changes: dict[str, object] = {"attempts": number, "lease_until": None}
    if failure is None:
        outcome = Status.SENT
        changes.update(sent_at=now, provider_message_id=provider_id, last_error="")
    elif failure.permanent or number >= settings.EMAIL_MAX_ATTEMPTS:
        outcome = Status.FAILED
        changes.update(last_error=failure.message)
    else:
        outcome = Status.QUEUED
        changes.update(
            last_error=failure.message, next_attempt_at=now + retry_delay(number)
        )
    changes["status"] = outcome
    with locked_atomic():
        OutgoingEmail.objects.filter(pk=email.pk).update(**changes)
    log.info(
        "email.attempt",
        email=str(email.id),
        template=email.template,
        attempt=number,
        outcome="retry" if outcome == Status.QUEUED else str(outcome),
        error=failure.message if failure else None,
    )
    return str(outcome)
