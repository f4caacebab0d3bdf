"""The worker's cron tick, called directly: a due job starts once, never
twice at once, runs once after downtime, and a run whose worker died is
given up so the job carries on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from scheduler import services, ticks
from scheduler.models import CronJob, JobRun
from scheduler.runs import claim, execute, trim_history

pytestmark = pytest.mark.django_db(transaction=True)
Status = JobRun.Status


def due_job(schedule: str = "* * * * *", *, late: timedelta) -> CronJob:
    job = services.schedule_job("job", schedule, "select 1")
    CronJob.objects.filter(id=job.id).update(next_run_at=timezone.now() - late)
    return CronJob.objects.get(id=job.id)


def test_job_due_after_downtime_runs_once_then_keeps_to_its_next_future_slot():
    job = due_job(late=timedelta(days=2))  # 2880 slots missed

    ticks.tick()
    ticks.tick()

    runs = list(JobRun.objects.filter(job=job))
    job.refresh_from_db()
    assert len(runs) == 1
    assert runs[0].status == Status.STARTING
    assert runs[0].scheduled_for < timezone.now() - timedelta(days=1)
    now = timezone.now()
    assert now < job.next_run_at <= now + timedelta(minutes=1)
    assert job.next_run_at.second == 0


def test_due_job_waits_while_its_run_is_in_flight_then_starts_once():
    job = due_job(schedule="1 seconds", late=timedelta(seconds=5))
    ticks.tick()
    CronJob.objects.filter(id=job.id).update(
        next_run_at=timezone.now() - timedelta(seconds=1)
    )

    ticks.tick()  # its slot came, but the first run is still going
    waiting = JobRun.objects.filter(job=job).count()
    JobRun.objects.filter(job=job).update(status=Status.SUCCEEDED)
    ticks.tick()
    ticks.tick()

    assert waiting == 1
    assert JobRun.objects.filter(job=job).count() == 2
    assert JobRun.objects.filter(job=job, status=Status.STARTING).count() == 1


def test_paused_job_does_not_start():
    job = due_job(late=timedelta(minutes=5))
    services.alter_job(job.id, active=False)
    CronJob.objects.filter(id=job.id).update(
        next_run_at=timezone.now() - timedelta(minutes=5)
    )

    ticks.tick()

    assert JobRun.objects.filter(job=job).count() == 0


def test_run_whose_worker_died_is_failed_and_the_job_starts_again():
    job = due_job(late=timedelta(minutes=1))
    ticks.tick()
    JobRun.objects.filter(job=job).update(
        status=Status.RUNNING, lease_until=timezone.now() - timedelta(seconds=1)
    )
    CronJob.objects.filter(id=job.id).update(
        next_run_at=timezone.now() - timedelta(seconds=1)
    )

    ticks.tick()

    lost, fresh = JobRun.objects.filter(job=job).order_by("id")
    assert lost.status == Status.FAILED
    assert lost.error == "the worker running it stopped before it finished"
    assert lost.finished_at is not None
    assert fresh.status == Status.STARTING


def test_run_queued_twice_runs_once():
    job = due_job(late=timedelta(minutes=1))
    ticks.tick()
    run = JobRun.objects.get(job=job)

    first = claim(run.id)
    second = claim(run.id)

    assert first is not None
    assert first.status == Status.RUNNING
    assert first.lease_until > timezone.now()
    assert second is None


def test_history_keeps_the_newest_runs_per_job(settings):
    settings.CRON_HISTORY_PER_JOB = 3
    job = services.schedule_job("kept", "* * * * *", "select 1")
    now = timezone.now()
    ids = [
        JobRun.objects.create(job=job, scheduled_for=now, status=Status.SUCCEEDED).id
        for _ in range(5)
    ]
    trim_history(job.id)

    assert (
        list(JobRun.objects.filter(job=job).values_list("id", flat=True)) == ids[:1:-1]
    )


def test_url_job_to_a_private_address_fails_without_the_setting(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    job = services.schedule_job(
        "private", "* * * * *", "http://127.0.0.1:9/hook", kind=CronJob.Kind.URL
    )
    run = services.run_now(job.id)

    outcome = execute(run.id)

    run.refresh_from_db()
    assert outcome == "failed"
    assert run.status == Status.FAILED
    assert run.error == (
        "127.0.0.1 resolves to 127.0.0.1, a private or reserved address; "
        "set KOYALITE_WEBHOOKS_ALLOW_PRIVATE=true to allow it"
    )


def test_job_edited_with_no_name_keeps_its_name_beside_unnamed_jobs():
    services.schedule_job(None, "* * * * *", "select 1")
    job = services.schedule_job("named", "* * * * *", "select 1")

    edited = services.update_job(job.id, name=None, schedule="5 * * * *")

    assert (edited.name, edited.schedule) == ("named", "5 * * * *")
    assert edited.next_run_at.minute == 5
