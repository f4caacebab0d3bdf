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
    per_job: int = 1,
) -> int:
    """Mark the rows `queued` with a lease and queue `task(*ids)` for each run
    of up to `per_job` of them, in the order given; how many rows.

    A row another tick handed out, or a job claimed, since `ids` was read
    holds a fresh lease by now, and is left alone.
    """
    from django_q.tasks import async_task

    wanted = list(ids)
    if not wanted:
        return 0
    now = timezone.now()
    with locked_atomic():
        rows = model._default_manager.filter(pk__in=wanted).filter(lapsed(now))
        free = set(rows.values_list("pk", flat=True))
        chosen = [pk for pk in wanted if pk in free]
        rows.filter(pk__in=chosen).update(status=queued, lease_until=now + QUEUED_LEASE)
        # One commit for the whole batch on the ORM broker.
        with transaction.atomic():
            for start in range(0, len(chosen), per_job):
                run = [str(pk) for pk in chosen[start : start + per_job]]
                async_task(task, *run, task_name=f"{label} {run[0]}")
    return len(chosen)


def claim(
    model: type[Model], pk: object, *, queued: str, working: str, lease: timedelta
) -> bool:
    """Move row `pk` from `queued` (or `working` with a lapsed lease: its
    worker died) to `working` with a fresh lease; whether this caller got it."""
    rows = model._default_manager.filter(pk=pk)
    return bool(claim_all(rows, queued=queued, working=working, lease=lease))


def claim_all(
    rows: QuerySet, *, queued: str, working: str, lease: timedelta
) -> list[object]:
    """`claim` for each of `rows`: the primary keys of those this caller got."""
    now = timezone.now()
    claimable = Q(status=queued) | (Q(status=working) & lapsed(now))
    with locked_atomic():
        mine = list(rows.filter(claimable).values_list("pk", flat=True))
        rows.model._default_manager.filter(pk__in=mine).update(
            status=working, lease_until=now + lease
        )
    return mine


def take(rows: QuerySet, claimable: Q, **changes: object) -> bool:
    """Apply `changes` to those of `rows` that match `claimable`, behind the
    write lock; whether any did. For claims other than queued → working (a
    cron run moves from starting to running)."""
    with locked_atomic():
        return rows.filter(claimable).update(**changes) > 0


def lapsed(now: object) -> Q:
    """Rows whose lease has passed (or was never set)."""
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def jittered(seconds: float) -> timedelta:
    """`seconds`, give or take a fifth: spreads the retries of a burst that
    failed together."""
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))
