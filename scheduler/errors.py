"""Errors of cron jobs, as pg_cron words them where it has a word."""

from __future__ import annotations

from koyalite.errors import KoyaError


class InvalidSchedule(KoyaError):
    code = "KL300"

    def __init__(self, schedule: str, reason: str) -> None:
        super().__init__(
            f"invalid schedule: {schedule!r}: {reason}",
            hint="Use 5 cron fields ('*/5 * * * *') or '1 seconds' to '59 seconds'.",
        )


class JobNotFound(KoyaError):
    status = 404
    code = "KL301"

    def __init__(self, job: str | int) -> None:
        shown = f"'{job}'" if isinstance(job, str) else str(job)
        super().__init__(f"could not find valid entry for job {shown}")


class InvalidJob(KoyaError):
    code = "KL302"


class JobAlreadyRunning(KoyaError):
    status = 409
    code = "KL303"

    def __init__(self, label: str) -> None:
        super().__init__(
            f"job {label} is already running", hint="Run it again once that run ends."
        )
