"""System checks for the cron settings."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register("koyalite")
def check_cron_limits(app_configs, **kwargs):
    """A cron job's limit must end it before the worker kills its process,
    which would leave the run to be given up only when its lease passes."""
    errors = []
    timeout_ms = settings.WORKER_JOB_TIMEOUT * 1000
    for name in ("CRON_SQL_TIME_LIMIT_MS", "CRON_HTTP_TIMEOUT_MS"):
        if getattr(settings, name) >= timeout_ms:
            errors.append(
                Error(
                    f"KOYALITE_{name} is not below KOYALITE_WORKER_JOB_TIMEOUT "
                    f"({settings.WORKER_JOB_TIMEOUT} s).",
                    hint="Lower the cron limit or raise the worker's job timeout.",
                    id="scheduler.E001",
                )
            )
    return errors
