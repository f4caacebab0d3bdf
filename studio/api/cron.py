"""The Cron page's JSON twin: jobs listed, made, changed, paused, run at
once and deleted, and each job's run history. Every change goes through
`scheduler.services`, the code `select cron.schedule(…)` runs."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from scheduler import services
from scheduler.errors import InvalidJob
from scheduler.models import CronJob, JobRun
from studio.api.auth_users import koya_errors

RUNS_SHOWN = 50
FIELDS = ("name", "schedule", "kind", "command", "timezone", "active")


def jobs_with_last_run() -> QuerySet[CronJob]:
    last = JobRun.objects.filter(job=OuterRef("pk")).order_by("-id")
    return CronJob.objects.annotate(
        last_status=Subquery(last.values("status")[:1]),
        last_started_at=Subquery(last.values("scheduled_for")[:1]),
    ).order_by("name", "id")


def job_json(job: CronJob) -> dict[str, Any]:
    next_run = job.next_run_at
    return {
        "id": job.id,
        "name": job.name,
        "schedule": job.schedule,
        "kind": job.kind,
        "command": job.command,
        "timezone": job.timezone,
        "active": job.active,
        "next_run_at": next_run.isoformat() if next_run else None,
        # The same moment on the job's own clock, as its schedule reads.
        "next_run_local": (
            next_run.astimezone(ZoneInfo(job.timezone)).isoformat()
            if next_run
            else None
        ),
        "last_status": getattr(job, "last_status", None),
        "created_at": job.created_at.isoformat(),
        "updated_at": job.updated_at.isoformat(),
    }


def run_json(run: JobRun) -> dict[str, Any]:
    def moment(value):
        return value.isoformat() if value else None

    return {
        "id": run.id,
        "status": run.status,
        "scheduled_for": moment(run.scheduled_for),
        "started_at": moment(run.started_at),
        "finished_at": moment(run.finished_at),
        "duration_ms": run.duration_ms,
        "output": run.output,
        "error": run.error,
    }


def job_runs(job: CronJob) -> list[JobRun]:
    return list(job.runs.order_by("-id")[:RUNS_SHOWN])


def job_fields(data: Any, *, partial: bool) -> dict[str, Any]:
    """The job fields of a request body, typed; unknown fields are refused."""
    if not isinstance(data, dict):
        raise InvalidJob("the body must be a JSON object")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise InvalidJob(
            f"unknown field {unknown[0]!r}; the fields are {', '.join(FIELDS)}"
        )
    fields: dict[str, Any] = {}
    for name in FIELDS:
        if name not in data:
            if not partial and name in ("name", "schedule", "command"):
                raise InvalidJob(f"{name} is required")
            continue
        value = data[name]
        wanted = bool if name == "active" else str
        if not isinstance(value, wanted):
            raise InvalidJob(
                f"{name} must be {'true or false' if wanted is bool else 'text'}"
            )
        fields[name] = value.strip() if name == "name" else value
    return fields


class JobList(APIView):
    def get(self, request: Request) -> Response:
        return Response({"jobs": [job_json(job) for job in jobs_with_last_run()]})

    @koya_errors
    def post(self, request: Request) -> Response:
        fields = job_fields(request.data, partial=False)
        job = services.create_job(
            name=fields["name"],
            schedule=fields["schedule"],
            kind=fields.get("kind", CronJob.Kind.SQL),
            command=fields["command"],
            zone=fields.get("timezone", "UTC"),
            active=fields.get("active", True),
        )
        return Response(job_json(job), status=201)


class JobDetail(APIView):
    def get(self, request: Request, job_id: int) -> Response:
        job = get_object_or_404(jobs_with_last_run(), id=job_id)
        return Response(job_json(job) | {"runs": [run_json(r) for r in job_runs(job)]})

    @koya_errors
    def patch(self, request: Request, job_id: int) -> Response:
        get_object_or_404(CronJob, id=job_id)
        job = services.update_job(job_id, **job_fields(request.data, partial=True))
        return Response(job_json(job))

    @koya_errors
    def delete(self, request: Request, job_id: int) -> Response:
        get_object_or_404(CronJob, id=job_id)
        services.delete_job(job_id)
        return Response(status=204)


class JobRunNow(APIView):
    @koya_errors
    def post(self, request: Request, job_id: int) -> Response:
        get_object_or_404(CronJob, id=job_id)
        run = services.run_now(job_id)
        return Response(run_json(run), status=202)
