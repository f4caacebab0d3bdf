"""The Cron page: scheduled jobs, each with its history, made and changed
from the browser through the page's JSON twin (studio.api.cron)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from scheduler.models import CronJob
from studio.api.cron import job_runs, jobs_with_last_run
from studio.permissions import operator_required


@operator_required
def job_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "studio/cron.html",
        {"jobs": list(jobs_with_last_run()), "kinds": CronJob.Kind.choices},
    )


@operator_required
def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(jobs_with_last_run(), id=job_id)
    return render(
        request,
        "studio/cron_job.html",
        {"job": job, "runs": job_runs(job), "kinds": CronJob.Kind.choices},
    )
