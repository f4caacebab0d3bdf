"""Read-only admin lists: sessions, identities, MFA factors, applied SQL
migrations, RLS policies, captured mails and the API request log.

Each is owned elsewhere (accounts, database, rls, studio) and changed only
through its services or the Studio, so here they can be searched, not edited.
A factor's TOTP secret is never shown.
"""

from __future__ import annotations

from django.contrib import admin

from accounts.models import Factor, Identity, Session
from admin_dashboard.readonly import ReadOnlyAdmin
from database.models import SqlMigration
from rls.models import Policy
from studio.models import CapturedMail, RequestLog


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "aal", "ip", "user_agent", "created_at")
    list_filter = ("aal",)
    search_fields = ("user__email", "ip", "user_agent")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    fields = ("id", "user", "aal", "amr", "ip", "user_agent", "created_at")


@admin.register(Identity)
class IdentityAdmin(ReadOnlyAdmin):
    list_display = ("provider", "email", "user", "last_sign_in_at", "created_at")
    list_filter = ("provider",)
    search_fields = ("email", "user__email", "provider_id")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    fields = (
        "id",
        "user",
        "provider",
        "provider_id",
        "email",
        "identity_data",
        "last_sign_in_at",
        "created_at",
        "updated_at",
    )


@admin.register(Factor)
class FactorAdmin(ReadOnlyAdmin):
    list_display = ("friendly_name", "factor_type", "status", "user", "created_at")
    list_filter = ("status", "factor_type")
    search_fields = ("friendly_name", "user__email")
    list_select_related = ("user",)
    ordering = ("-created_at",)
    fields = (
        "id",
        "user",
        "friendly_name",
        "factor_type",
        "status",
        "created_at",
        "updated_at",
    )


@admin.register(SqlMigration)
class SqlMigrationAdmin(ReadOnlyAdmin):
    list_display = ("name", "applied_at", "checksum")
    search_fields = ("name",)
    ordering = ("-applied_at",)


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = ("table", "name", "command", "permissive", "roles", "using")
    list_filter = ("command", "permissive")
    search_fields = ("table", "name", "using", "with_check")
    ordering = ("table", "name")


@admin.register(CapturedMail)
class CapturedMailAdmin(ReadOnlyAdmin):
    list_display = ("subject", "to", "sender", "sent_at")
    search_fields = ("subject", "to")
    ordering = ("-sent_at",)
    fields = ("sender", "to", "subject", "sent_at", "headers", "text_body")

    def has_delete_permission(self, request, obj=None) -> bool:
        # Captured mail is a local convenience, safe to clear.
        return True


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdmin):
    list_display = (
        "time",
        "method",
        "path",
        "status",
        "role",
        "user_id",
        "duration_ms",
    )
    list_filter = ("method", "role")
    search_fields = ("path", "user_id", "request_id")
    ordering = ("-id",)
    fields = (
        "time",
        "method",
        "path",
        "status",
        "role",
        "user_id",
        "duration_ms",
        "request_id",
    )
