"""Admin pages of cron jobs and their runs, with a "run now" action.

Jobs are made and changed through `scheduler.services`, as SQL and the Studio
do, so a schedule is checked and the next run worked out the same way; runs
are a record, only listed.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from admin_dashboard.readonly import ReadOnlyAdmin
from koyalite.errors import KoyaError
from scheduler import services
from scheduler.models import CronJob, JobRun


class CronJobForm(forms.ModelForm):
    class Meta:
        model = CronJob
        fields = ("name", "schedule", "kind", "command", "timezone", "active")

    def clean(self) -> dict:
        data = super().clean()
        try:
            services.validate_job(
                name=data.get("name") or None,
                schedule=data.get("schedule") or "",
                kind=data.get("kind") or "",
                command=data.get("command") or "",
                zone=data.get("timezone") or "",
            )
        except KoyaError as error:
            raise forms.ValidationError(error.message) from error
        return data


def _run_now(modeladmin, request: HttpRequest, job_ids: list[int]) -> None:
    for job_id in dict.fromkeys(job_ids):
        try:
            run = services.run_now(job_id)
        except KoyaError as error:
            modeladmin.message_user(request, error.message, messages.WARNING)
        else:
            modeladmin.message_user(request, f"Started run {run.id} of job {job_id}.")


@admin.register(CronJob)
class CronJobAdmin(admin.ModelAdmin):
    form = CronJobForm
    list_display = ("__str__", "schedule", "kind", "timezone", "active", "next_run_at")
    list_filter = ("kind", "active")
    search_fields = ("name", "command")
    readonly_fields = ("next_run_at", "created_at", "updated_at")
    actions = ["run_now"]

    def save_model(self, request, obj: CronJob, form, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in CronJobForm.Meta.fields}
        fields["name"] = fields["name"] or None
        if change:
            saved = services.update_job(obj.pk, **fields)
        else:
            saved = services.schedule_job(
                fields["name"],
                fields["schedule"],
                fields["command"],
                kind=fields["kind"],
                zone=fields["timezone"],
                active=fields["active"],
            )
        obj.pk, obj.next_run_at = saved.pk, saved.next_run_at

    @admin.action(description="Run now")
    def run_now(self, request: HttpRequest, queryset) -> None:
        _run_now(self, request, list(queryset.values_list("id", flat=True)))


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("id", "job", "status", "scheduled_for", "duration_ms", "error")
    list_filter = ("status",)
    search_fields = ("job__name", "error", "output")
    list_select_related = ("job",)
    ordering = ("-id",)
    actions = ["run_now"]

    @admin.action(description="Run these runs' jobs now")
    def run_now(self, request: HttpRequest, queryset) -> None:
        _run_now(self, request, list(queryset.values_list("job_id", flat=True)))
