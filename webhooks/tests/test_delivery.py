"""What follows a delivery attempt: retries, the circuit breaker, switching
an endpoint off, replays; signatures as Standard Webhooks verifies them."""

from __future__ import annotations

import base64
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks import services
from webhooks.delivery import record, sign
from webhooks.models import Attempt, Delivery, Endpoint

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def endpoint() -> Endpoint:
    return Endpoint.objects.create(
        name="orders",
        url="http://127.0.0.1:1/hook",
        table_name="orders",
        events=["INSERT"],
        owner_email="owner@example.com",
    )


def delivery_for(endpoint: Endpoint, event_id: int = 1) -> Delivery:
    return Delivery.objects.create(
        endpoint=endpoint,
        event_id=event_id,
        row_key=f"public.orders:[{event_id}]",
        event_type="INSERT",
        payload=b"{}",
        status=Delivery.Status.SENDING,
    )


def attempt(delivery: Delivery, status: int | None, error: str = "") -> Attempt:
    delivery.refresh_from_db()
    return Attempt(
        delivery=delivery,
        number=delivery.attempts + 1,
        url=delivery.endpoint.url,
        response_status=status,
        error=error,
    )


def test_the_signature_verifies_with_the_reference_library():
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()
    body = b'{"type":"INSERT"}'
    now = int(time.time())

    signature = sign(secret, "msg_1", now, body)

    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(now),
        "webhook-signature": signature,
    }
    Webhook(secret).verify(body, headers)  # raises when wrong
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body + b" ", headers)


def test_failures_follow_the_schedule_then_give_up(settings, endpoint):
    settings.WEBHOOKS_RETRY_SCHEDULE = (10, 100)
    settings.WEBHOOKS_BREAKER_THRESHOLD = 100
    delivery = delivery_for(endpoint)
    delays = []
    for _ in range(3):
        before = timezone.now()
        record(delivery, attempt(delivery, 500))
        delivery.refresh_from_db()
        delays.append((delivery.next_attempt_at - before).total_seconds())

    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 3
    assert 8 <= delays[0] <= 12.5 and 80 <= delays[1] <= 120.5  # 20 % jitter
    assert delivery.attempt_log.count() == 3


def test_success_closes_the_breaker(settings, endpoint):
    settings.WEBHOOKS_BREAKER_THRESHOLD = 2
    settings.WEBHOOKS_BREAKER_SECONDS = 60
    first, second, third = (delivery_for(endpoint, n) for n in (1, 2, 3))

    record(first, attempt(first, None, "refused"))
    endpoint.refresh_from_db()
    assert endpoint.circuit_open_until is None
    record(second, attempt(second, 503))
    endpoint.refresh_from_db()
    assert endpoint.circuit_open_until > timezone.now() + timedelta(seconds=50)
    record(third, attempt(third, 204))
    endpoint.refresh_from_db()

    assert (endpoint.consecutive_failures, endpoint.circuit_open_until) == (0, None)
    assert endpoint.failing_since is None


def test_an_endpoint_failing_for_the_whole_window_is_switched_off_and_mailed(
    settings, endpoint
):
    settings.WEBHOOKS_DISABLE_AFTER_HOURS = 24
    Endpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=timezone.now() - timedelta(hours=25), consecutive_failures=9
    )
    delivery = delivery_for(endpoint)

    record(delivery, attempt(delivery, 500))

    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert "24 hours" in endpoint.disabled_reason
    (message,) = mail.outbox
    assert message.to == ["owner@example.com"]
    assert "orders" in message.subject

    services.enable(endpoint)
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.failing_since is None


def test_replay_restarts_the_schedule_and_keeps_the_message_id(settings, endpoint):
    settings.WEBHOOKS_RETRY_SCHEDULE = (10,)
    delivery = delivery_for(endpoint)
    record(delivery, attempt(delivery, 500))
    record(delivery, attempt(delivery, 500))
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED

    assert services.replay_failed(endpoint) == 1
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    record(delivery, attempt(delivery, 500))
    delivery.refresh_from_db()

    assert delivery.status == Delivery.Status.PENDING  # the schedule began again
    assert delivery.attempts == 3


def test_a_delivery_in_flight_is_not_replayed(endpoint):
    delivery = delivery_for(endpoint)  # sending

    assert services.replay([delivery]) == 0
