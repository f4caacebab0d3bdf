"""What operators and the API do to endpoints and deliveries: one place for
each rule, used by the HTTP API, the Studio and the admin."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from database.executor import locked_atomic
from webhooks.models import Delivery, Endpoint

Status = Delivery.Status


def replay(deliveries: Iterable[Delivery]) -> int:
    """Send these deliveries again, now, under their own webhook-ids; a
    replay restarts the retry schedule. Deliveries in flight are left alone."""
    ids = [d.pk for d in deliveries]
    replayed = 0
    with locked_atomic():
        for delivery in Delivery.objects.filter(pk__in=ids).exclude(
            status__in=(Status.QUEUED, Status.SENDING)
        ):
            delivery.status = Status.PENDING
            delivery.next_attempt_at = timezone.now()
            delivery.replayed_after = delivery.attempts
            delivery.lease_until = None
            delivery.save(
                update_fields=[
                    "status",
                    "next_attempt_at",
                    "replayed_after",
                    "lease_until",
                ]
            )
            replayed += 1
    return replayed


def replay_failed(endpoint: Endpoint, since: datetime | None = None) -> int:
    """Bulk replay: every failed delivery of `endpoint` (made since `since`)."""
    found = Delivery.objects.filter(endpoint=endpoint, status=Status.FAILED)
    if since is not None:
        found = found.filter(created_at__gte=since)
    return replay(found)


def enable(endpoint: Endpoint) -> None:
    """Switch an endpoint on again, its failure record cleared."""
    with locked_atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(
            active=True,
            disabled_reason="",
            consecutive_failures=0,
            failing_since=None,
            circuit_open_until=None,
        )


def counts_by_status() -> dict[str, int]:
    from django.db.models import Count

    rows = Delivery.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
