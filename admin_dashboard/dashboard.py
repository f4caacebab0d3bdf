"""The admin's index page: counts of what the project holds and the latest
failed API requests, above the model list Django's admin shows."""

from __future__ import annotations

from dataclasses import dataclass

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


def index_with_counts(site_index):
    """Wrap the admin site's `index` view to add the counts to its context."""

    def index(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        context = {"counts": counts(), "recent_errors": recent_errors()}
        return site_index(request, {**context, **(extra_context or {})})

    return index
