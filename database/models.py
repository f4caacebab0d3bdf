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
