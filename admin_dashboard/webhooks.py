"""Webhook endpoints, their deliveries and attempts in the admin.

Endpoints are edited here; deliveries and attempts are history, listed
read-only, with replay as the one thing an operator does to them. Endpoints
declared in SQL (`create trigger … http_request`) belong to their migration:
shown, not edited.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest

from admin_dashboard.readonly import ReadOnlyAdmin
from webhooks import services
from webhooks.models import Attempt, Delivery, Endpoint


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = (
        "number",
        "started_at",
        "duration_ms",
        "response_status",
        "error",
        "response_body",
        "request_headers",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "url",
        "schema_name",
        "table_name",
        "active",
        "from_sql",
        "consecutive_failures",
    )
    list_filter = ("active", "from_sql", "schema_name")
    search_fields = ("name", "url", "table_name")
    readonly_fields = (
        "secret",
        "from_sql",
        "start_after",
        "consecutive_failures",
        "failing_since",
        "circuit_open_until",
        "disabled_reason",
        "created_at",
        "updated_at",
    )
    actions = ("replay_failed", "switch_on")

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None or not obj.from_sql

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None or not obj.from_sql

    @admin.action(description="Replay failed deliveries")
    def replay_failed(self, request: HttpRequest, queryset) -> None:
        count = sum(services.replay_failed(endpoint) for endpoint in queryset)
        self.message_user(request, f"{count} deliveries will be sent again.")

    @admin.action(description="Switch on (clears the failure record)")
    def switch_on(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            services.enable(endpoint)
        self.message_user(request, f"{queryset.count()} endpoints switched on.")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "message_id",
        "endpoint",
        "event_type",
        "event_id",
        "status",
        "attempts",
        "last_status_code",
        "created_at",
    )
    list_filter = ("status", "event_type", "endpoint")
    search_fields = ("id", "row_key", "endpoint__name")
    list_select_related = ("endpoint",)
    ordering = ("-created_at",)
    exclude = ("payload",)
    readonly_fields = ("payload_text",)
    inlines = (AttemptInline,)
    actions = ("replay",)

    @admin.display(description="payload")
    def payload_text(self, delivery: Delivery) -> str:
        return bytes(delivery.payload).decode("utf-8", "replace")

    @admin.action(description="Replay (send again now)")
    def replay(self, request: HttpRequest, queryset) -> None:
        count = services.replay(queryset)
        skipped = queryset.count() - count
        self.message_user(
            request,
            f"{count} deliveries will be sent again"
            + (f"; {skipped} in flight were left alone." if skipped else "."),
            messages.SUCCESS if not skipped else messages.WARNING,
        )
