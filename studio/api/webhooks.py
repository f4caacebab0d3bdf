"""The Webhooks page's JSON twin: endpoints (create, change, delete, the
signing secret on request, switch on, replay failed), the delivery log and one
delivery with its attempts (replay).

Every change calls `webhooks.services`, as the admin does. An endpoint's JSON
never holds its secret: only `POST …/secret` returns it, uncached.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import orjson
from django.core.paginator import Page, Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from koyalite.errors import KoyaError
from webhooks import services
from webhooks.errors import InvalidEndpoint
from webhooks.models import Attempt, Delivery, Endpoint

PAGE_SIZE = 50
STATUS_FILTERS = ("waiting", *Delivery.Status.values)


def endpoint_json(endpoint: Endpoint) -> dict[str, Any]:
    """The endpoint as the page and its twin show it: no secret."""
    found = {
        "id": endpoint.pk,
        "name": endpoint.name,
        "url": endpoint.url,
        "method": endpoint.method,
        "schema_name": endpoint.schema_name,
        "table_name": endpoint.table_name,
        "events": list(endpoint.events),
        "row_filter": endpoint.row_filter,
        "headers": endpoint.headers,
        "timeout_ms": endpoint.timeout_ms,
        "owner_email": endpoint.owner_email,
        "active": endpoint.active,
        "disabled_reason": endpoint.disabled_reason,
        "from_sql": endpoint.from_sql,
        "consecutive_failures": endpoint.consecutive_failures,
        "circuit_open_until": _time(endpoint.circuit_open_until),
        "created_at": _time(endpoint.created_at),
        "updated_at": _time(endpoint.updated_at),
    }
    for count in ("waiting", "failed"):
        if hasattr(endpoint, count):
            found[count] = getattr(endpoint, count)
    return found


def delivery_json(delivery: Delivery) -> dict[str, Any]:
    return {
        "id": str(delivery.pk),
        "message_id": delivery.message_id,
        "endpoint": {"id": delivery.endpoint_id, "name": delivery.endpoint.name},
        "event_type": delivery.event_type,
        "event_id": delivery.event_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "next_attempt_at": _time(delivery.next_attempt_at),
        "created_at": _time(delivery.created_at),
        "delivered_at": _time(delivery.delivered_at),
    }


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "started_at": _time(attempt.started_at),
        "duration_ms": attempt.duration_ms,
        "url": attempt.url,
        "request_headers": attempt.request_headers,
        "response_status": attempt.response_status,
        "response_body": attempt.response_body,
        "error": attempt.error,
        "succeeded": attempt.succeeded,
    }


def payload_of(delivery: Delivery) -> Any:
    """The event as sent: JSON, or its text when it is not JSON."""
    body = bytes(delivery.payload)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace")


def delivery_detail(delivery: Delivery) -> dict[str, Any]:
    return delivery_json(delivery) | {
        "payload": payload_of(delivery),
        "attempt_log": [attempt_json(a) for a in delivery.attempt_log.all()],
    }


def status_filter(query: QueryDict) -> str:
    """The `status` asked for; an unknown one is ignored, so an old bookmark
    still opens the log."""
    status = query.get("status", "")
    return status if status in STATUS_FILTERS else ""


def delivery_page(endpoint: Endpoint | None, query: QueryDict) -> Page:
    """One page of deliveries, newest first, filtered by `?status=`."""
    found = services.deliveries(endpoint, status_filter(query))
    return Paginator(found, PAGE_SIZE).get_page(query.get("page"))


def page_json(page: Page) -> dict[str, Any]:
    return {
        "deliveries": [delivery_json(d) for d in page],
        "page": page.number,
        "pages": page.paginator.num_pages,
        "total": page.paginator.count,
    }


def _time(value) -> str | None:
    return value.isoformat() if value is not None else None


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise InvalidEndpoint("send the endpoint's settings as a JSON object")
    return request.data


def _no_store(response: Response) -> Response:
    response["Cache-Control"] = "no-store"
    return response


class _WebhooksApi(APIView):
    """Renders a `KoyaError` from a service as `{message, code, hint}`."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, KoyaError):
            body = {"message": exc.message, "code": exc.code}
            if exc.hint:
                body["hint"] = exc.hint
            return Response(body, status=exc.status)
        return super().handle_exception(exc)


class EndpointList(_WebhooksApi):
    def get(self, request: Request) -> Response:
        return Response(
            {
                "endpoints": [
                    endpoint_json(e)
                    for e in services.with_delivery_counts(Endpoint.objects.all())
                ],
                "tables": services.webhook_tables(),
            }
        )

    def post(self, request: Request) -> Response:
        created = services.create_endpoint(_body(request))
        return Response(endpoint_json(created), status=201)


class EndpointDetail(_WebhooksApi):
    """GET, PATCH (the settings sent; the rest keep theirs), DELETE."""

    def get(self, request: Request, endpoint_id: int) -> Response:
        endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
        return Response(endpoint_json(services.with_delivery_counts([endpoint])[0]))

    def patch(self, request: Request, endpoint_id: int) -> Response:
        endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
        return Response(
            endpoint_json(services.update_endpoint(endpoint, _body(request)))
        )

    def delete(self, request: Request, endpoint_id: int) -> Response:
        services.delete_endpoint(get_object_or_404(Endpoint, pk=endpoint_id))
        return Response(status=204)


class EndpointSecret(_WebhooksApi):
    """POST: the signing secret, on an operator's explicit request."""

    def post(self, request: Request, endpoint_id: int) -> Response:
        endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
        return _no_store(Response({"secret": endpoint.secret}))


class EndpointAction(_WebhooksApi):
    """POST …/rotate-secret, …/enable, …/replay-failed."""

    def post(self, request: Request, endpoint_id: int, action: str) -> Response:
        endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
        if action == "rotate-secret":
            return _no_store(Response({"secret": services.rotate_secret(endpoint)}))
        if action == "enable":
            services.enable(endpoint)
            endpoint.refresh_from_db()
            return Response(endpoint_json(endpoint))
        if action == "replay-failed":
            return Response({"replayed": services.replay_failed(endpoint)})
        return Response({"message": f"No action {action!r}"}, status=404)


class EndpointDeliveries(_WebhooksApi):
    def get(self, request: Request, endpoint_id: int) -> Response:
        endpoint = get_object_or_404(Endpoint, pk=endpoint_id)
        return Response(page_json(delivery_page(endpoint, request.query_params)))


class DeliveryList(_WebhooksApi):
    def get(self, request: Request) -> Response:
        return Response(page_json(delivery_page(None, request.query_params)))


class DeliveryDetail(_WebhooksApi):
    def get(self, request: Request, delivery_id: UUID) -> Response:
        delivery = get_object_or_404(
            Delivery.objects.select_related("endpoint"), pk=delivery_id
        )
        return Response(delivery_detail(delivery))


class DeliveryReplay(_WebhooksApi):
    """POST: send the delivery again now; 409 while it is being sent."""

    def post(self, request: Request, delivery_id: UUID) -> Response:
        delivery = get_object_or_404(Delivery, pk=delivery_id)
        if not services.replay([delivery]):
            return Response(
                {"message": "the delivery is being sent; replay it once it is done"},
                status=409,
            )
        delivery.refresh_from_db()
        return Response(delivery_json(delivery))
