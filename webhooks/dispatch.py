"""The worker's webhook tick: fan change events out, queue what is due.

Fan-out reads the outbox after the webhooks' cursor and makes one delivery per
(event, endpoint that wants it) in the transaction that moves the cursor: an
event is taken up once, whichever worker ticks. Queueing hands due deliveries
to the job queue, marking each `queued` with a lease first; `delivery.deliver`
claims it before sending, so a delivery queued twice is sent once.
"""

from __future__ import annotations

import orjson
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from database import outbox
from database.executor import locked_atomic
from koyalite.jobs import hand_out
from webhooks.delivery import PER_JOB
from webhooks.models import Delivery, Endpoint

CURSOR = "webhooks"
BATCH = 500
MAX_BATCHES_PER_TICK = 20
QUEUE_PER_TICK = 500

Status = Delivery.Status


def tick() -> None:
    for _ in range(MAX_BATCHES_PER_TICK):
        if fan_out() < BATCH:
            break
    queue_due()


def fan_out() -> int:
    """Make deliveries for the next batch of events; how many events it read."""
    position = outbox.cursor_position(CURSOR)
    events = outbox.read_after(position, BATCH)
    if not events:
        return 0
    endpoints = list(Endpoint.objects.all())
    keys: dict[int, str] = {}
    deliveries = []
    for event in events:
        row = None
        for endpoint in endpoints:
            if event.id <= endpoint.start_after or not endpoint.wants(
                event.schema, event.table, event.type
            ):
                continue
            if endpoint.row_filter:
                if row is None:
                    changed = (
                        event.old_record if event.type == "DELETE" else event.record
                    )
                    row = orjson.loads(changed or "{}")
                if not endpoint.wants_row(row):
                    continue
            if event.id not in keys:
                keys[event.id] = row_key(event)
            deliveries.append(
                Delivery(
                    endpoint=endpoint,
                    event_id=event.id,
                    row_key=keys[event.id],
                    event_type=event.type,
                    payload=event.payload(),
                )
            )
    with locked_atomic():
        if outbox.cursor_position(CURSOR) != position:
            return 0  # another worker took this batch
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        outbox.advance(CURSOR, events[-1].id)
    return len(events)


def row_key(event: outbox.Event) -> str:
    """The changed row, for ordering its deliveries: its primary key (before
    the change, for updates and deletes), else the whole row."""
    row = orjson.loads(event.old_record or event.record or "{}")
    key = primary_key(event.schema, event.table) or tuple(sorted(row))
    values = orjson.dumps([row.get(column) for column in key]).decode()
    return f"{event.schema}.{event.table}:{values}"[:512]


def primary_key(schema: str, table: str) -> tuple[str, ...]:
    if schema != "public":
        return ("id",)  # storage.objects, storage.buckets, auth.users
    from database.executor import catalog

    info = catalog()[0].table(table)
    return info.primary_key if info is not None else ()


def queue_due() -> int:
    """Hand the deliveries that are due to the job queue; how many."""
    now = timezone.now()
    earlier_unfinished = Delivery.objects.filter(
        endpoint=OuterRef("endpoint"),
        row_key=OuterRef("row_key"),
        event_id__lt=OuterRef("event_id"),
    ).exclude(status__in=(Status.SUCCEEDED, Status.FAILED))
    due = (
        Delivery.objects.filter(
            Q(status=Status.PENDING, next_attempt_at__lte=now)
            | Q(status__in=(Status.QUEUED, Status.SENDING), lease_until__lt=now)
        )
        .filter(endpoint__active=True)
        .exclude(endpoint__circuit_open_until__gt=now)
        .exclude(Exists(earlier_unfinished))
        .order_by("event_id")
        .values_list("id", "endpoint_id", "endpoint__consecutive_failures")
    )[:QUEUE_PER_TICK]
    chosen: list = []
    probing: set[int] = set()
    # By endpoint, so that a job's deliveries mostly share one (a slow
    # endpoint holds up its own job, not others').
    for delivery_id, endpoint_id, failures in sorted(due, key=lambda d: d[1]):
        if failures >= settings.WEBHOOKS_BREAKER_THRESHOLD:
            # Half-open: one delivery tries an endpoint whose circuit was open.
            if endpoint_id in probing or _in_flight(endpoint_id):
                continue
            probing.add(endpoint_id)
        chosen.append(delivery_id)
    return hand_out(
        Delivery,
        chosen,
        queued=Status.QUEUED,
        task="webhooks.delivery.deliver",
        label="webhook",
        per_job=PER_JOB,
    )


def _in_flight(endpoint_id: int) -> bool:
    return Delivery.objects.filter(
        endpoint_id=endpoint_id,
        status__in=(Status.QUEUED, Status.SENDING),
        lease_until__gte=timezone.now(),
    ).exists()
