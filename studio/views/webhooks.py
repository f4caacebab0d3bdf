"""The Webhooks page: endpoints, one endpoint with its delivery log, the
create and edit forms, every delivery, and one delivery with its attempts.

The query string is the state (`status`, `page`); each page renders from the
functions its JSON twin (`studio/api/webhooks.py`) uses, and its script calls
that twin to change things. The signing secret is never rendered.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from database.sqlscript.webhook_triggers import MAX_TIMEOUT_MS, METHODS
from studio.api.webhooks import (
    STATUS_FILTERS,
    delivery_page,
    payload_of,
    status_filter,
)
from studio.permissions import operator_required
from webhooks import services
from webhooks.models import EVENTS, Delivery, Endpoint


@operator_required
def endpoint_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "studio/webhooks.html",
        {
            "endpoints": services.with_delivery_counts(Endpoint.objects.all()),
            "now": timezone.now(),
        },
    )


@operator_required
def endpoint_new(request: HttpRequest) -> HttpResponse:
    return _form(request, None)


@operator_required
def endpoint_edit(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
    if endpoint.from_sql:
        messages.warning(
            request,
            "This endpoint is declared in SQL; change it with SQL, in a migration.",
        )
        return redirect("studio:webhook", endpoint_id=endpoint.pk)
    return _form(request, endpoint)


@operator_required
def endpoint_page(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    found = get_object_or_404(Endpoint, pk=endpoint_id)
    endpoint = services.with_delivery_counts([found])[0]
    return render(
        request,
        "studio/webhook.html",
        {
            "endpoint": endpoint,
            "now": timezone.now(),
            "headers": json.dumps(endpoint.headers, indent=2)
            if endpoint.headers
            else "",
            **_log(request, endpoint),
        },
    )


@operator_required
def delivery_list(request: HttpRequest) -> HttpResponse:
    return render(request, "studio/webhook_deliveries.html", _log(request, None))


@operator_required
def delivery_detail(request: HttpRequest, delivery_id: UUID) -> HttpResponse:
    delivery = get_object_or_404(
        Delivery.objects.select_related("endpoint"), pk=delivery_id
    )
    payload = payload_of(delivery)
    return render(
        request,
        "studio/webhook_delivery.html",
        {
            "delivery": delivery,
            "payload": payload
            if isinstance(payload, str)
            else json.dumps(payload, indent=2, ensure_ascii=False),
            "attempts": [
                {
                    "attempt": attempt,
                    "headers": sorted(attempt.request_headers.items()),
                }
                for attempt in delivery.attempt_log.all()
            ],
            "in_flight": delivery.status
            in (Delivery.Status.QUEUED, Delivery.Status.SENDING),
        },
    )


def _form(request: HttpRequest, endpoint: Endpoint | None) -> HttpResponse:
    current = (
        services.settings_of(endpoint)
        if endpoint is not None
        else services.EndpointSettings(name="", url="")
    )
    tables = services.webhook_tables()
    if current.table_name and current.table_name not in tables[current.schema_name]:
        # A table dropped since: still shown, so saving says what is wrong.
        tables[current.schema_name].append(current.table_name)
    return render(
        request,
        "studio/webhook_form.html",
        {
            "endpoint": endpoint,
            "current": current,
            "headers": json.dumps(current.headers, indent=2) if current.headers else "",
            "methods": METHODS,
            "schemas": services.SCHEMAS,
            "events": EVENTS,
            "tables": tables,
            "max_timeout_ms": MAX_TIMEOUT_MS,
        },
    )


def _log(request: HttpRequest, endpoint: Endpoint | None) -> dict[str, Any]:
    page = delivery_page(endpoint, request.GET)
    status = status_filter(request.GET)
    return {
        "page": page,
        "status": status,
        "statuses": STATUS_FILTERS,
        "previous": _query(status, page.previous_page_number())
        if page.has_previous()
        else "",
        "next": _query(status, page.next_page_number()) if page.has_next() else "",
    }


def _query(status: str, number: int) -> str:
    return urlencode({k: v for k, v in (("status", status), ("page", number)) if v})
