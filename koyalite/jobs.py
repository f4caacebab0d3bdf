"""The status-row job pattern the worker's apps share: hand out, claim, back off.

A row (a webhook delivery, an outgoing mail) is the truth about its work; the
job queue only carries "try row N now". A tick hands due rows to the queue,
marking each `queued` with a lease; the job claims its row with a conditional
update before working, so a row queued twice, or handed out again after its
worker died, is worked by one job only. The models need `status` and
`lease_until` fields; a row waiting for its next attempt has no lease.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from database.executor import locked_atomic

# A row handed to the queue that no worker has claimed by then is queued
# again (its job was lost); claiming twice is harmless.
QUEUED_LEASE = timedelta(minutes=10)


def hand_out(
    model: type[Model],
    ids: Iterable[object],
    *,
    queued: str,
    task: str,
    label: str,
) -> int:
    """Mark the rows `queued` with a lease and queue `task(id)` for each; how many.

    A row another tick handed out, or a job claimed, since `ids` was read
    holds a fresh lease by now, and is left alone.
    """
    from django_q.tasks import async_task

    wanted = list(ids)
    if not wanted:
        return 0
    now = timezone.now()
    with locked_atomic():
        rows = model._default_manager.filter(pk__in=wanted).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        )
        chosen = list(rows.values_list("pk", flat=True))
        rows.filter(pk__in=chosen).update(status=queued, lease_until=now + QUEUED_LEASE)
        # One commit for the whole batch on the ORM broker.
        with transaction.atomic():
            for pk in chosen:
                async_task(task, str(pk), task_name=f"{label} {pk}")
    return len(chosen)


def claim(
    model: type[Model], pk: object, *, queued: str, working: str, lease: timedelta
) -> bool:
    """Move row `pk` from `queued` (or `working` with a lapsed lease: its
    worker died) to `working` with a fresh lease; whether this caller got it."""
    now = timezone.now()
    return take(
        model._default_manager.filter(pk=pk),
        Q(status=queued) | (Q(status=working) & lapsed(now)),
        status=working,
        lease_until=now + lease,
    )


def take(rows: QuerySet, claimable: Q, **changes: object) -> bool:
    """Apply `changes` to those of `rows` that match `claimable`, behind the
    write lock; whether any did. The one conditional update every claim is."""
    with locked_atomic():
        return rows.filter(claimable).update(**changes) > 0


def lapsed(now: object) -> Q:
    """Rows whose lease has passed (or was never set)."""
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def jittered(seconds: float) -> timedelta:
    """`seconds`, give or take a fifth: spreads the retries of a burst that
    failed together."""
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))
