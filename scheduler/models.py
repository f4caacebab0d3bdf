"""Cron jobs and the record of each of their runs (pg_cron's cron.job and
cron.job_run_details).

A job's `next_run_at` is the slot the worker's tick starts it at; the run row
is the truth about one execution, the job queue only carries "run N now".
"""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now


class CronJob(models.Model):
    class Kind(models.TextChoices):
        SQL = "sql", "SQL"
        FUNCTION = "function", "Edge function"
        URL = "url", "URL"

    # The id is pg_cron's jobid: cron.schedule returns it, cron.unschedule takes it.
    # Unnamed jobs (cron.schedule(schedule, command)) have no name, as in pg_cron.
    name = models.CharField(max_length=255, unique=True, null=True, blank=True)
    schedule = models.CharField(max_length=100)  # '*/5 * * * *' or '30 seconds'
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SQL)
    command = models.TextField()  # SQL text, a function's name, or a URL
    timezone = models.CharField(max_length=64, default="UTC")  # IANA name
    active = models.BooleanField(default=True)
    # The slot the job runs at next; a job still running when it comes keeps
    # it, and starts once the run in flight ends (pg_cron queues it so).
    next_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "scheduler_jobs"
        ordering = ["id"]
        indexes = [models.Index(fields=["active", "next_run_at"])]
        verbose_name = "cron job"

    def __str__(self) -> str:
        return self.name or f"job {self.id}"

    @property
    def label(self) -> str:
        return self.name or f"#{self.id}"


class JobRun(models.Model):
    class Status(models.TextChoices):
        STARTING = "starting"  # queued; no worker has taken it yet
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    job = models.ForeignKey(CronJob, on_delete=models.CASCADE, related_name="runs")
    scheduled_for = models.DateTimeField()
    status = models.CharField(
        max_length=9, choices=Status.choices, default=Status.STARTING
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    output = models.TextField(blank=True, default="")  # first 2 KiB
    error = models.TextField(blank=True, default="")
    # A run whose lease passes while starting or running is failed: its
    # worker died, or its job was lost from the queue.
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "scheduler_runs"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["job", "status"]),
            models.Index(fields=["status", "lease_until"]),
        ]
        verbose_name = "job run"

    def __str__(self) -> str:
        return f"run {self.id} of {self.job_id}"
