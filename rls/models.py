"""Row-level security bookkeeping: policies, per-table flags, a catalog version."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class Policy(models.Model):
    """One `create policy`, kept as the text the user wrote.

    Expressions are stored as text and compiled against the current schema when
    loaded, the way Postgres keeps a policy's parse tree next to its table.
    """

    class Command(models.TextChoices):
        ALL = "all"
        SELECT = "select"
        INSERT = "insert"
        UPDATE = "update"
        DELETE = "delete"

    table = models.CharField(max_length=255)
    name = models.CharField(max_length=255)
    permissive = models.BooleanField(default=True)
    command = models.CharField(
        max_length=6, choices=Command.choices, default=Command.ALL
    )
    roles = models.JSONField(default=list)
    using = models.TextField(null=True, blank=True)
    # Not `check`: that name belongs to Model.check(), Django's system checks.
    with_check = models.TextField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["table", "name"]
        verbose_name_plural = "policies"
        constraints = [
            models.UniqueConstraint(
                fields=["table", "name"], name="rls_policy_unique_name"
            )
        ]

    def __str__(self) -> str:
        return f'policy "{self.name}" on {self.table}'


class TableSecurity(models.Model):
    """`alter table ... enable|force row level security` for one table."""

    table = models.CharField(max_length=255, unique=True)
    enabled = models.BooleanField(default=False)
    # Postgres' FORCE makes the table owner obey policies too. KoyaLite has no
    # owner role: service_role bypasses RLS as BYPASSRLS roles do even under
    # FORCE, so the flag is kept for fidelity and shown, not enforced.
    forced = models.BooleanField(default=False)

    class Meta:
        ordering = ["table"]

    def __str__(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        return f"row level security {state} on {self.table}"


class CatalogVersion(models.Model):
    """A single-row counter bumped by every policy change, in the same transaction.

    Servers in other processes compare it with the version of the catalog they
    hold and reload when it moved.
    """

    version = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(id=1), name="rls_catalogversion_single_row"
            )
        ]

    def __str__(self) -> str:
        return f"policy catalog version {self.version}"
