"""The admin's index page: counts of what the project holds and the latest
failed API requests, above the model list Django's admin shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.http import HttpRequest, HttpResponse

from accounts.models import Session, User
from database.schema import get_schema
from rls.models import Policy
from studio.project_info import recent_errors


@dataclass(frozen=True, slots=True)
class Count:
    label: str
    value: int
    url_name: str


def counts() -> list[Count]:
    with connection.cursor() as cursor:
        schema = get_schema(cursor)
    tables = sum(1 for table in schema.tables.values() if not table.is_view)
    return [
        Count("Users", User.objects.count(), "admin:accounts_user_changelist"),
        Count("Sessions", Session.objects.count(), "admin:accounts_session_changelist"),
        Count("Tables", tables, ""),
        Count("Policies", Policy.objects.count(), "admin:rls_policy_changelist"),
        *_delivery_counts(),
        *_job_counts(),
    ]


def _delivery_counts() -> list[Count]:
    from webhooks.services import counts_by_status

    found = counts_by_status()
    url = "admin:webhooks_delivery_changelist"
    return [
        Count(
            "Webhook deliveries waiting",
            sum(
                n
                for status, n in found.items()
                if status not in ("succeeded", "failed")
            ),
            url,
        ),
        Count("Webhook deliveries failed", found.get("failed", 0), url),
    ]


def _job_counts() -> list[Count]:
    """The job queue, mails and cron runs: what waits and what failed."""
    from django.conf import settings
    from django.db.models import Count as Counted
    from django.db.models import Q
    from django.utils import timezone
    from django_q.brokers import get_broker
    from django_q.models import Failure

    from emails.models import OutgoingEmail
    from scheduler.models import JobRun

    mails = OutgoingEmail.objects.aggregate(
        waiting=Counted("id", filter=Q(status__in=("queued", "sending"))),
        failed=Counted("id", filter=Q(status="failed")),
    )
    day_ago = timezone.now() - timedelta(hours=24)
    runs_failed = JobRun.objects.filter(status="failed", finished_at__gte=day_ago)
    queue_url = "" if settings.REDIS_URL else "admin:django_q_ormq_changelist"
    mail_url = "admin:emails_outgoingemail_changelist"
    return [
        Count("Jobs queued", get_broker().queue_size(), queue_url),
        Count(
            "Jobs failed", Failure.objects.count(), "admin:django_q_failure_changelist"
        ),
        Count("Emails waiting", mails["waiting"], mail_url),
        Count("Emails failed", mails["failed"], mail_url),
        Count(
            "Cron runs failed in 24 hours",
            runs_failed.count(),
            "admin:scheduler_jobrun_changelist",
        ),
    ]


def index_with_counts(site_index):
    """Wrap the admin site's `index` view to add the counts to its context."""

    def index(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        context = {"counts": counts(), "recent_errors": recent_errors()}
        return site_index(request, {**context, **(extra_context or {})})

    return index
