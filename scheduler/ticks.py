"""The worker's cron tick: start the jobs whose slot has come.

A due job gets one run (a row, and a queued job, in one transaction) and its
next slot after now: after downtime a job runs once, not once per missed
slot. A job whose previous run is still going keeps its slot and starts when
that run ends, as pg_cron queues it; it never runs twice at once. The slot
moves with a conditional update, so two workers ticking start it once.
"""

from __future__ import annotations

from django.utils import timezone

from database.executor import locked_atomic
from koyalite.logging import get_logger
from scheduler.models import CronJob, JobRun
from scheduler.schedules import parse_schedule
from scheduler.services import IN_FLIGHT, in_flight, start_run

log = get_logger("koyalite.scheduler")
START_PER_TICK = 100
LOST = "the worker running it stopped before it finished"


def tick() -> None:
    give_up_lost_runs()
    start_due()


def give_up_lost_runs() -> int:
    """Fail runs whose lease passed: their worker died or their job was lost."""
    now = timezone.now()
    lost = JobRun.objects.filter(status__in=IN_FLIGHT, lease_until__lt=now)
    if not lost.exists():
        return 0
    with locked_atomic():
        count = lost.update(
            status=JobRun.Status.FAILED, finished_at=now, error=LOST, lease_until=None
        )
    if count:
        log.warning("cron.runs_lost", count=count)
    return count


def start_due() -> int:
    """Start every due job that is not running; how many."""
    now = timezone.now()
    due = (
        CronJob.objects.filter(active=True, next_run_at__lte=now)
        .exclude(in_flight())
        .order_by("next_run_at")[:START_PER_TICK]
    )
    started = 0
    for job in due:
        following = parse_schedule(job.schedule).following(
            job.next_run_at, now, job.timezone
        )
        with locked_atomic():
            moved = (
                CronJob.objects.filter(
                    id=job.id, active=True, next_run_at=job.next_run_at
                )
                .exclude(in_flight())
                .update(next_run_at=following)
            )
            if not moved:
                continue  # another worker started it, or it changed
            start_run(job, job.next_run_at, now)
        started += 1
    return started
