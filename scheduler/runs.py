"""One run of a cron job: claim it, run its command, record the outcome.

Run as a job by the worker (`ticks.tick` or "run now" queue it). The claim
moves the run from `starting` to `running` with one conditional update, so a
run queued twice runs once. SQL runs through `database.runner.run_sql` as the
service role under a time limit; functions and URLs get a POST whose status
and first bytes of body are kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

import httpx
import orjson
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from database.executor import locked_atomic
from koyalite import jobs
from koyalite.errors import KoyaError
from koyalite.logging import get_logger
from scheduler.models import CronJob, JobRun

log = get_logger("koyalite.scheduler")

Status = JobRun.Status
EXCERPT = 2048
ROWS_SHOWN = 5
USER_AGENT = "KoyaLite-Cron/1"


@dataclass(frozen=True, slots=True)
class Outcome:
    succeeded: bool
    output: str = ""
    error: str = ""


def execute(run_id: int) -> str:
    """The job: run the cron job's command once, unless another job has it."""
    run = claim(run_id)
    if run is None:
        return "skipped"
    clock = time.monotonic()
    outcome = perform(run)
    record(run, outcome, int((time.monotonic() - clock) * 1000))
    return "succeeded" if outcome.succeeded else "failed"


def claim(run_id: int) -> JobRun | None:
    now = timezone.now()
    # Past the longest a command may take, the run is taken for lost.
    longest = max(
        settings.CRON_SQL_TIME_LIMIT_MS,
        settings.CRON_HTTP_TIMEOUT_MS,
        settings.FUNCTIONS_TIMEOUT_SECONDS * 1000,
    )
    taken = jobs.take(
        JobRun.objects.filter(id=run_id),
        Q(status=Status.STARTING),
        status=Status.RUNNING,
        started_at=now,
        lease_until=now + timedelta(milliseconds=longest, seconds=30),
    )
    return JobRun.objects.select_related("job").get(id=run_id) if taken else None


def perform(run: JobRun) -> Outcome:
    job = run.job
    if job.kind == CronJob.Kind.SQL:
        return run_sql_command(job.command)
    if job.kind == CronJob.Kind.FUNCTION:
        return call_function(run)
    return post(run)


def run_sql_command(command: str) -> Outcome:
    from database.runner import run_sql

    limit = settings.CRON_SQL_TIME_LIMIT_MS
    try:
        results = run_sql(command, time_limit_ms=limit)
    except KoyaError as error:
        return Outcome(False, error=error.message[:EXCERPT])
    lines: list[str] = []
    for result in results:
        lines.append(result.status)
        for row in result.rows[:ROWS_SHOWN]:
            values = dict(zip(result.columns, row, strict=False))
            lines.append(orjson.dumps(values, default=str).decode())
    return Outcome(True, output="\n".join(lines)[:EXCERPT])


def _body(run: JobRun) -> bytes:
    job = run.job
    return orjson.dumps(
        {
            "job_id": job.id,
            "job_name": job.name,
            "scheduled_for": run.scheduled_for.isoformat(),
        }
    )


def _answered(status: int, answer: str) -> Outcome:
    """A 2xx answer is success; the status and the answer's start are kept."""
    output = f"HTTP {status}\n{answer}"[:EXCERPT]
    if 200 <= status < 300:
        return Outcome(True, output=output)
    return Outcome(False, output=output, error=f"the answer was HTTP {status}")


def call_function(run: JobRun) -> Outcome:
    """Call the function as `/functions/v1` does (the same relay, log and
    limits), as the service role, from this process."""
    import edge_functions
    from edge_functions.errors import FunctionError

    try:
        answer = edge_functions.invoke(
            run.job.command,
            "POST",
            {"content-type": "application/json", "user-agent": USER_AGENT},
            _body(run),
        )
    except FunctionError as error:
        return Outcome(False, error=error.message[:EXCERPT])
    if answer.relay_error:
        return Outcome(
            False,
            output=answer.body[:EXCERPT].decode("utf-8", "replace"),
            error=f"the function failed ({answer.relay_error}, HTTP {answer.status})",
        )
    return _answered(answer.status, answer.body[:EXCERPT].decode("utf-8", "replace"))


def post(run: JobRun) -> Outcome:
    """POST to the URL, checked as webhooks' targets are."""
    from webhooks.targets import TargetRefused, excerpt, outgoing_client, stream

    headers = {"content-type": "application/json", "user-agent": USER_AGENT}
    timeout_ms = settings.CRON_HTTP_TIMEOUT_MS
    try:
        with (
            outgoing_client(timeout_ms) as client,
            stream(
                client, "POST", run.job.command, content=_body(run), headers=headers
            ) as response,
        ):
            status = response.status_code
            answer = excerpt(response, EXCERPT)
    except TargetRefused as error:
        return Outcome(False, error=error.message)
    except httpx.TimeoutException:
        return Outcome(False, error=f"no answer within {timeout_ms} ms")
    except httpx.HTTPError as error:
        return Outcome(False, error=f"{type(error).__name__}: {error}")
    return _answered(status, answer)


def record(run: JobRun, outcome: Outcome, duration_ms: int) -> None:
    """Store the outcome, unless the run was given up meanwhile; trim history."""
    with locked_atomic():
        JobRun.objects.filter(id=run.id, status=Status.RUNNING).update(
            status=Status.SUCCEEDED if outcome.succeeded else Status.FAILED,
            finished_at=timezone.now(),
            duration_ms=duration_ms,
            output=outcome.output,
            error=outcome.error,
            lease_until=None,
        )
        trim_history(run.job_id)
    log.info(
        "cron.run_finished",
        job=run.job_id,
        run=run.id,
        succeeded=outcome.succeeded,
        duration_ms=duration_ms,
    )


def trim_history(job_id: int) -> None:
    keep = settings.CRON_HISTORY_PER_JOB
    runs = JobRun.objects.filter(job_id=job_id)
    oldest_kept = runs.order_by("-id").values_list("id", flat=True)[keep - 1 : keep]
    cutoff = next(iter(oldest_kept), None)
    if cutoff is not None:
        runs.filter(id__lt=cutoff).delete()
