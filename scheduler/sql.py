"""pg_cron's SQL functions, called by `database.runner` for
`select cron.schedule(…)` and kin, with pg_cron's signatures and results."""

from __future__ import annotations

from database.sqlscript.cron import CronCall, Value
from scheduler import services
from scheduler.errors import InvalidJob

# Parameter names as pg_cron declares them, in order.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "schedule": ("job_name", "schedule", "command"),
    "unschedule": ("job_id",),
    "alter_job": ("job_id", "schedule", "command", "database", "username", "active"),
}


def call_cron(call: CronCall) -> tuple[str, Value]:
    """Run the call; (result column, value) as pg_cron returns them."""
    arguments = _bind(call)
    if call.function == "schedule":
        job = services.schedule_job(
            _text(call, arguments, "job_name", optional=True),
            _text(call, arguments, "schedule"),
            _text(call, arguments, "command"),
        )
        return "schedule", job.id
    if call.function == "unschedule":
        job = arguments.get("job_id")
        if not isinstance(job, str | int) or isinstance(job, bool):
            raise InvalidJob("cron.unschedule takes a job id or a job name")
        services.unschedule(job)
        return "unschedule", True
    for unsupported in ("database", "username"):
        if arguments.get(unsupported) is not None:
            raise InvalidJob(
                f"cron.alter_job: {unsupported} is not supported; "
                "jobs run on this database as the service role"
            )
    job_id = arguments.get("job_id")
    if not isinstance(job_id, int) or isinstance(job_id, bool):
        raise InvalidJob("cron.alter_job takes a job id (a number) first")
    active = arguments.get("active")
    if active is not None and not isinstance(active, bool):
        raise InvalidJob("cron.alter_job: active is true, false or null")
    services.alter_job(
        job_id,
        schedule=_text(call, arguments, "schedule", optional=True),
        command=_text(call, arguments, "command", optional=True),
        active=active,
    )
    return "alter_job", None


def _bind(call: CronCall) -> dict[str, Value]:
    names = SIGNATURES[call.function]
    positional = call.arguments
    if call.function == "schedule" and len(positional) == 2 and not call.named:
        # The unnamed form: cron.schedule(schedule, command).
        return {"job_name": None, "schedule": positional[0], "command": positional[1]}
    if len(positional) > len(names):
        raise InvalidJob(
            f"cron.{call.function} takes at most {len(names)} arguments, "
            f"not {len(positional)}"
        )
    bound: dict[str, Value] = dict(zip(names, positional, strict=False))
    for name, value in call.named:
        if name not in names:
            raise InvalidJob(f"cron.{call.function} has no argument named {name}")
        if name in bound:
            raise InvalidJob(f"cron.{call.function}: {name} is given twice")
        bound[name] = value
    return bound


def _text(
    call: CronCall, arguments: dict[str, Value], name: str, *, optional: bool = False
) -> str | None:
    value = arguments.get(name)
    if value is None:
        if optional:
            return None
        raise InvalidJob(f"cron.{call.function} needs {name}")
    if not isinstance(value, str):
        raise InvalidJob(f"cron.{call.function}: {name} must be text, not {value!r}")
    return value
