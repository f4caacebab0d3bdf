"""The worker's email tick: hand the mails that are due to the job queue."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from emails.models import OutgoingEmail
from koyalite.jobs import hand_out

Status = OutgoingEmail.Status
QUEUE_PER_TICK = 500


def tick() -> None:
    queue_due()


def queue_due() -> int:
    """Queue retries whose time has come, and mails whose process died
    before or during an attempt (their lease passed); how many."""
    now = timezone.now()
    lapsed = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    due = (
        OutgoingEmail.objects.filter(
            Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(status=Status.SENDING)
        )
        .filter(lapsed)
        .order_by("next_attempt_at")
        .values_list("id", flat=True)
    )[:QUEUE_PER_TICK]
    return hand_out(
        OutgoingEmail,
        due,
        queued=Status.QUEUED,
        task="emails.services.attempt",
        label="email",
    )
