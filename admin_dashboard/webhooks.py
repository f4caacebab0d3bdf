"""Webhook endpoints, their deliveries and attempts in the admin.

Endpoints are edited here through `webhooks.services`, the functions the
Studio calls, so both check the same rules; deliveries and attempts are
history, listed read-only, with replay as the one thing an operator does to
them. Endpoints declared in SQL (`create trigger … http_request`) belong to
their migration: shown, not edited. The signing secret is never shown here
(the Studio's Webhooks page reveals it on request); it can be rotated.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from admin_dashboard.readonly import ReadOnlyAdmin
from database.sqlscript.webhook_triggers import METHODS
from webhooks import services
from webhooks.errors import InvalidEndpoint
from webhooks.models import EVENTS, Attempt, Delivery, Endpoint


class EndpointForm(forms.ModelForm):
    method = forms.ChoiceField(choices=[(m, m) for m in METHODS], initial="POST")
    schema_name = forms.ChoiceField(
        label="Schema", choices=[(s, s) for s in services.SCHEMAS], initial="public"
    )
    table_name = forms.CharField(
        label="Table",
        required=False,
        help_text="Empty for every table of the schema.",
    )
    events = forms.MultipleChoiceField(
        choices=[(e, e) for e in EVENTS],
        initial=list(EVENTS),
        widget=forms.CheckboxSelectMultiple,
    )
    # Its URL rules are `webhooks.targets.check_url`'s, not URLField's.
    url = forms.CharField(label="URL", max_length=2048)

    class Meta:
        model = Endpoint
        fields = list(services.FIELDS)

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        data = {name: cleaned.get(name) for name in services.FIELDS}
        data["owner_email"] = data["owner_email"] or ""
        data["headers"] = data["headers"] or {}
        endpoint = self.instance if self.instance.pk else None
        try:
            services.validate_endpoint(data, endpoint=endpoint)
        except InvalidEndpoint as error:
            raise forms.ValidationError(error.message) from None
        self.settings = data
        return cleaned


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
    form = EndpointForm
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
        "from_sql",
        "start_after",
        "consecutive_failures",
        "failing_since",
        "circuit_open_until",
        "disabled_reason",
        "created_at",
        "updated_at",
    )
    actions = ("replay_failed", "switch_on", "rotate_secret")

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        fields = [*services.FIELDS]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None or not obj.from_sql

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None or not obj.from_sql

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        if change:
            saved = services.update_endpoint(
                Endpoint.objects.get(pk=obj.pk), form.settings
            )
        else:
            saved = services.create_endpoint(form.settings)
        # The admin's log entry, message and redirect read `obj`.
        vars(obj).update(vars(saved))

    def delete_model(self, request: HttpRequest, obj) -> None:
        services.delete_endpoint(obj)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            services.delete_endpoint(endpoint)

    @admin.action(description="Replay failed deliveries")
    def replay_failed(self, request: HttpRequest, queryset) -> None:
        count = sum(services.replay_failed(endpoint) for endpoint in queryset)
        self.message_user(request, f"{count} deliveries will be sent again.")

    @admin.action(description="Switch on (clears the failure record)")
    def switch_on(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            services.enable(endpoint)
        self.message_user(request, f"{queryset.count()} endpoints switched on.")

    @admin.action(description="Rotate the signing secret")
    def rotate_secret(self, request: HttpRequest, queryset) -> None:
        for endpoint in queryset:
            services.rotate_secret(endpoint)
        self.message_user(
            request,
            f"{queryset.count()} endpoints have a new secret; "
            "the Studio's Webhooks page shows it.",
        )


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
