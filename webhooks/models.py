"""Webhook endpoints, the deliveries made to them, and every attempt's record.

The delivery row is the truth about an event's fate at one endpoint; the job
queue only carries "try delivery N now". A delivery is made once per (endpoint,
change event), in the transaction that moves the webhooks' outbox cursor.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from django.db import models
from django.utils import timezone

EVENTS = ("INSERT", "UPDATE", "DELETE")


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class Endpoint(models.Model):
    name = models.CharField(max_length=255, unique=True)
    url = models.URLField(max_length=2048)
    method = models.CharField(max_length=8, default="POST")
    # Which changes: a schema, a table ("" for every table of the schema) and
    # the kinds of change.
    schema_name = models.CharField(max_length=63, default="public")
    table_name = models.CharField(max_length=255, blank=True, default="")
    events = models.JSONField(default=list)  # ["INSERT", "UPDATE", "DELETE"]
    # Only rows that match, in Supabase Realtime's syntax: `status=eq.done`
    # (database.row_filter); "" for every row.
    row_filter = models.CharField(max_length=1024, blank=True, default="")
    headers = models.JSONField(default=dict, blank=True)  # sent with each delivery
    timeout_ms = models.PositiveIntegerField(default=5000)
    secret = models.CharField(max_length=128, default=new_secret)
    active = models.BooleanField(default=True)
    # Created by SQL (`create trigger … supabase_functions.http_request`);
    # such endpoints are changed and dropped by SQL too.
    from_sql = models.BooleanField(default=False)
    owner_email = models.EmailField(blank=True, default="")
    # Only events after this one: an endpoint never receives the past.
    start_after = models.BigIntegerField(default=0)
    # Circuit breaker and automatic disabling.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    circuit_open_until = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "webhooks_endpoints"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self._state.adding and not self.start_after:
            from database.outbox import last_event_id

            self.start_after = last_event_id()
        super().save(*args, **kwargs)

    def wants(self, schema: str, table: str, event_type: str) -> bool:
        return (
            self.schema_name == schema
            and self.table_name in ("", table)
            and event_type in self.events
        )

    def wants_row(self, row: dict[str, object]) -> bool:
        """Whether the changed row (the old one, for a delete) passes the
        endpoint's row filter."""
        from database.row_filter import parse

        parsed = getattr(self, "_parsed_filter", False)
        if parsed is False:
            parsed = self._parsed_filter = parse(self.row_filter)
        return parsed is None or parsed.matches(row)


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for its next attempt
        QUEUED = "queued"  # handed to the job queue
        SENDING = "sending"  # a worker is sending it
        SUCCEEDED = "succeeded"
        FAILED = "failed"  # every attempt of the schedule failed

    # The Standard Webhooks message id: the same on every attempt and replay.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.BigIntegerField()
    # Deliveries of one row's changes to one endpoint go in order.
    row_key = models.CharField(max_length=512)
    event_type = models.CharField(max_length=6)
    payload = models.BinaryField()
    status = models.CharField(
        max_length=9, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    # Attempts made before the last replay: a replay starts the retry
    # schedule again.
    replayed_after = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A queued or sending delivery whose lease passed is taken up again: its
    # worker died.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "webhooks_deliveries"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="one_delivery_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["endpoint", "row_key", "event_id"]),
            # The delivery log, newest first: per endpoint, and for all.
            models.Index(fields=["endpoint", "created_at", "event_id"]),
            models.Index(fields=["created_at", "event_id"]),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} #{self.event_id} to {self.endpoint_id}"

    @property
    def message_id(self) -> str:
        return f"msg_{self.id.hex}"


class Attempt(models.Model):
    """One HTTP request of a delivery, as sent and as answered."""

    delivery = models.ForeignKey(
        Delivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    url = models.URLField(max_length=2048)
    request_headers = models.JSONField(default=dict)  # the signature, not the secret
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, default="")  # first 2 KiB
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "webhooks_attempts"
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300
