"""Making, changing and starting cron jobs: what SQL (`cron.schedule`), the
Studio and the admin call.

Every write happens behind the write lock in a transaction; called from a SQL
script it joins the script's transaction, so a script that fails later leaves
no job behind.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from database.executor import locked_atomic
from koyalite.errors import KoyaError
from scheduler.errors import InvalidJob, JobAlreadyRunning, JobNotFound
from scheduler.models import CronJob, JobRun
from scheduler.schedules import parse_schedule, zone_info

Kind = CronJob.Kind
Status = JobRun.Status
IN_FLIGHT = (Status.STARTING, Status.RUNNING)
# A run handed to the queue that no worker has taken by then is given up as
# failed (its job was lost), so the cron job is not held back for ever.
QUEUED_LEASE = timedelta(minutes=10)


def validate_job(
    *, name: str | None, schedule: str, kind: str, command: str, zone: str
) -> None:
    """Raise a `KoyaError` naming what is wrong with a job's fields."""
    if name is not None and not name.strip():
        raise InvalidJob("a job name may not be empty")
    if name is not None and len(name) > 255:
        raise InvalidJob("a job name is at most 255 characters")
    parse_schedule(schedule)
    zone_info(zone)
    if kind not in Kind.values:
        raise InvalidJob(f"unknown job kind {kind!r}; use sql, function or url")
    if not command.strip():
        raise InvalidJob("a job needs a command")
    if kind == Kind.SQL:
        _check_sql(command)
    elif kind == Kind.FUNCTION:
        from edge_functions.config import validate_name
        from edge_functions.errors import InvalidFunctionName

        try:
            validate_name(command)
        except InvalidFunctionName as error:
            raise InvalidJob(error.message) from None
    elif kind == Kind.URL:
        from webhooks.targets import check_url

        check_url(command)


def _check_sql(command: str) -> None:
    """Refuse SQL that cannot run here (plpgsql, other schemas) when the job
    is made rather than at every run."""
    from database.sqlscript import split_statements, translate_statement

    statements = split_statements(command)
    if not statements:
        raise InvalidJob("a job needs a command")
    for statement in statements:
        try:
            translate_statement(statement)
        except KoyaError as error:
            raise InvalidJob(f"the job's SQL cannot run: {error.message}") from error


def schedule_job(
    name: str | None,
    schedule: str,
    command: str,
    *,
    kind: str = Kind.SQL,
    zone: str | None = None,
    active: bool = True,
) -> CronJob:
    """`cron.schedule`: make a job, or replace the job of that name (as pg_cron)."""
    with locked_atomic():
        job = CronJob.objects.filter(name=name).first() if name else None
        zone = zone or (job.timezone if job else "UTC")
        validate_job(
            name=name, schedule=schedule, kind=kind, command=command, zone=zone
        )
        if job is None:
            job = CronJob(name=name)
        job.schedule, job.kind, job.command = schedule.strip(), kind, command
        job.timezone, job.active = zone, active
        job.next_run_at = _first_slot(job)
        job.save()
    return job


def create_job(
    *, name: str, schedule: str, kind: str, command: str, zone: str, active: bool
) -> CronJob:
    """A new job from the Studio; a name already taken is refused."""
    with locked_atomic():
        if CronJob.objects.filter(name=name).exists():
            raise InvalidJob(f"a job named '{name}' already exists")
        return schedule_job(
            name, schedule, command, kind=kind, zone=zone, active=active
        )


def update_job(job_id: int, **changes: object) -> CronJob:
    """Change some of a job's fields (name, schedule, kind, command, timezone,
    active); the next run is worked out again from now."""
    with locked_atomic():
        job = find_job(job_id)
        name = changes.get("name", job.name)
        if name and name != job.name and CronJob.objects.filter(name=name).exists():
            raise InvalidJob(f"a job named '{name}' already exists")
        for field in ("name", "schedule", "kind", "command", "timezone", "active"):
            if field in changes and changes[field] is not None:
                setattr(job, field, changes[field])
        validate_job(
            name=job.name,
            schedule=job.schedule,
            kind=job.kind,
            command=job.command,
            zone=job.timezone,
        )
        job.schedule = job.schedule.strip()
        job.next_run_at = _first_slot(job)
        job.save()
    return job


def alter_job(
    job_id: int,
    *,
    schedule: str | None = None,
    command: str | None = None,
    active: bool | None = None,
) -> CronJob:
    """`cron.alter_job`: arguments left null keep their value."""
    return update_job(job_id, schedule=schedule, command=command, active=active)


def unschedule(job: str | int) -> None:
    """`cron.unschedule(name or id)`: the job and its history go."""
    with locked_atomic():
        find_job(job).delete()


def delete_job(job_id: int) -> None:
    unschedule(job_id)


def find_job(job: str | int) -> CronJob:
    found = (
        CronJob.objects.filter(name=job)
        if isinstance(job, str)
        else CronJob.objects.filter(id=job)
    ).first()
    if found is None:
        raise JobNotFound(job)
    return found


def run_now(job_id: int) -> JobRun:
    """Start a run at once, paused or not; refused while one is in flight."""
    now = timezone.now()
    with locked_atomic():
        job = find_job(job_id)
        if is_running(job.id):
            raise JobAlreadyRunning(job.label)
        return start_run(job, now, now)


def is_running(job_id: int) -> bool:
    return JobRun.objects.filter(job_id=job_id, status__in=IN_FLIGHT).exists()


def in_flight() -> Exists:
    """For a CronJob query: whether the job has a run starting or running."""
    return Exists(JobRun.objects.filter(job=OuterRef("pk"), status__in=IN_FLIGHT))


def start_run(job: CronJob, scheduled_for: datetime, now: datetime) -> JobRun:
    """Record a run and queue it, in the caller's transaction (behind the
    write lock): on the ORM broker the queued job commits with the row."""
    from django_q.tasks import async_task

    run = JobRun.objects.create(
        job=job,
        scheduled_for=scheduled_for,
        status=Status.STARTING,
        lease_until=now + QUEUED_LEASE,
    )
    async_task(
        "scheduler.runs.execute", run.id, task_name=f"cron {job.id} run {run.id}"
    )
    return run


def _first_slot(job: CronJob) -> datetime:
    return parse_schedule(job.schedule).following(None, timezone.now(), job.timezone)
