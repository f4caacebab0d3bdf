"""The project's encrypted function secrets and the log of invocations."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Secret(models.Model):
    """One `koyalite secrets set NAME=value`; the value is Fernet-encrypted
    with a key derived from the project's JWT secret (edge_functions.secrets)."""

    name = models.CharField(max_length=255, unique=True)
    encrypted_value = models.BinaryField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "functions_secrets"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Invocation(models.Model):
    """One call of a function: through /functions/v1, the Studio or a job."""

    class Source(models.TextChoices):
        HTTP = "http", "HTTP"
        STUDIO = "studio", "Studio"
        JOB = "job", "Scheduled job"

    function = models.CharField(max_length=128, db_index=True)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=16)
    path = models.CharField(max_length=1024, default="")
    status = models.PositiveSmallIntegerField()
    duration_ms = models.FloatField()
    # The Deno process's resident set after the call, in KiB.
    memory_kb = models.PositiveIntegerField(null=True)
    cold_start = models.BooleanField(default=False)
    # KoyaLite's own error code (BOOT_ERROR, IDLE_TIMEOUT…) when the relay
    # failed, "" when the function answered.
    error = models.CharField(max_length=32, blank=True, default="")
    # What the function wrote to stdout/stderr while the call ran, capped.
    output = models.TextField(blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.HTTP)

    class Meta:
        db_table = "functions_invocations"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["function", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.function} {self.method} {self.status}"
