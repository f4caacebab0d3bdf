"""The audit log: what operators changed, through the Studio or the admin."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """One state-changing request an operator (or someone signing in) made.

    Written by `admin_dashboard.audit.AuditMiddleware` for every POST, PUT,
    PATCH and DELETE under /studio/ and /admin/, refused ones included. The
    body is not kept: it may hold passwords, secrets or users' data.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text too: the trail outlives a deleted operator.
    operator_email = models.CharField(max_length=254, blank=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=1024)
    # The view's URL name (`studio:api_webhook_replay`), and the object it
    # names (`endpoint_id=3`): what was done, to what.
    action = models.CharField(max_length=200, blank=True)
    target = models.CharField(max_length=500, blank=True)
    status = models.PositiveSmallIntegerField()
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        db_table = "koyalite_audit_events"
        ordering = ["-at", "-id"]
        verbose_name = "audit event"

    def __str__(self) -> str:
        who = self.operator_email or "anonymous"
        return f"{who} {self.method} {self.path} → {self.status}"
