"""Claiming a status row for one job: what makes a job queued twice run once.

A tick hands work to the queue by id; the job first moves the row from a
claimable status to its running status with one conditional update, behind
the write lock. The job that updated the row runs the work; any other copy
(queued twice, or handed out again after a lost message) finds nothing to
take and stops. A row left running by a worker that died carries a lease:
once it has passed, the row is claimable again, or given up, as its app says.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from database.executor import locked_atomic


def claim(rows: QuerySet, claimable: Q, **changes: object) -> bool:
    """Apply `changes` to `rows` that match `claimable`; whether any did."""
    with locked_atomic():
        return rows.filter(claimable).update(**changes) > 0


def lapsed(now: object) -> Q:
    """Rows whose lease has passed (or was never set)."""
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)
