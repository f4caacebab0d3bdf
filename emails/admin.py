"""Email templates (edited, checked before saving) and the mail log (read,
resent)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest

from admin_dashboard.readonly import ReadOnlyAdmin
from emails import services
from emails.errors import InvalidEmailTemplate
from emails.models import EmailTemplate, OutgoingEmail
from emails.rendering import validate_template


class EmailTemplateForm(forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = ("name", "subject", "html", "text")

    def clean(self) -> dict:
        data = super().clean()
        try:
            validate_template(
                data.get("name", ""),
                data.get("subject", ""),
                data.get("html", ""),
                data.get("text", ""),
            )
        except InvalidEmailTemplate as error:
            self.add_error(error.part, error.message)
        return data


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    form = EmailTemplateForm
    list_display = ("name", "subject", "updated_at")
    search_fields = ("name", "subject")


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(ReadOnlyAdmin):
    list_display = ("to", "template", "subject", "status", "attempts", "created_at")
    list_filter = ("status", "template")
    search_fields = ("to", "subject", "template", "provider_message_id")
    ordering = ("-created_at",)
    actions = ["resend"]
    fields = (
        "id",
        "to",
        "from_email",
        "template",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "provider_message_id",
        "created_at",
        "sent_at",
        "text",
        "html",
    )

    @admin.action(description="Resend the selected emails")
    def resend(self, request: HttpRequest, queryset) -> None:
        with transaction.atomic():
            for email in queryset:
                services.resend(email.id)
        self.message_user(
            request, f"Queued {queryset.count()} email(s) again.", messages.SUCCESS
        )
