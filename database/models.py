"""KoyaLite's bookkeeping for the data engine: which SQL migrations ran."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SqlMigration(models.Model):
    """A file of the project's `migrations/*.sql`, applied once."""

    name = models.CharField(max_length=255, unique=True)
    checksum = models.CharField(max_length=64)  # sha256 hex of the file
    applied_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = "SQL migration"

    def __str__(self) -> str:
        return self.name


class OutboxEvent(models.Model):
    """One committed change to a row, as Supabase's database webhooks send it.

    Written by a trigger inside the change's own transaction (`database.outbox`),
    never by Python: a change is recorded if and only if it committed. Ids only
    grow (AUTOINCREMENT), so a reader keeps its place by the last id it saw.
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField()
    schema_name = models.CharField(max_length=63)  # public, storage, auth
    table_name = models.CharField(max_length=255)
    type = models.CharField(max_length=6)  # INSERT, UPDATE, DELETE
    record = models.TextField(null=True)  # JSON, as /rest/v1 renders the row
    old_record = models.TextField(null=True)

    class Meta:
        db_table = "koyalite_outbox"
        verbose_name = "change event"

    def __str__(self) -> str:
        return f"{self.type} {self.schema_name}.{self.table_name} #{self.id}"


class OutboxCursor(models.Model):
    """How far one consumer of the outbox (webhooks, ...) has read.

    Moved in the same transaction as the consumer's own writes, so an event is
    taken up exactly once; events every consumer has passed may be deleted.
    """

    name = models.CharField(max_length=63, unique=True)
    last_id = models.BigIntegerField(default=0)

    class Meta:
        db_table = "koyalite_outbox_cursors"

    def __str__(self) -> str:
        return f"{self.name} at {self.last_id}"
