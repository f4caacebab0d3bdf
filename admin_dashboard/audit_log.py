"""The audit log in the admin: read only, for every operator to see."""

from __future__ import annotations

from django.contrib import admin

from admin_dashboard.models import AuditEvent
from admin_dashboard.readonly import ReadOnlyAdmin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "operator_email",
        "method",
        "action",
        "target",
        "status",
        "ip",
    )
    list_filter = ("method", "status", "operator_email")
    search_fields = ("operator_email", "path", "action", "target")
    date_hierarchy = "at"
    fields = (
        "at",
        "operator_email",
        "method",
        "path",
        "action",
        "target",
        "status",
        "ip",
    )
