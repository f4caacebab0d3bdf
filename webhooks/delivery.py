"""One attempt of one delivery: claim it, send it signed, record the answer.

Run as a job by the worker (`dispatch.queue_due` queues it). The claim is a
conditional update, so a delivery queued twice, or handed out again after its
worker died, is sent by one job only; a worker killed mid-send leaves it
`sending` until its lease passes, and it is sent again with the same
`webhook-id`, which receivers use to drop the repeat (Standard Webhooks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import timedelta

import httpx
from django.conf import settings
from django.utils import timezone

from database.executor import locked_atomic
from koyalite.jobs import claim_all, jittered
from koyalite.logging import get_logger
from webhooks import alerts
from webhooks.models import Attempt, Delivery, Endpoint
from webhooks.targets import TargetRefused, excerpt, outgoing_client, stream

log = get_logger("koyalite.webhooks")

Status = Delivery.Status
BODY_EXCERPT = 2048
USER_AGENT = "KoyaLite-Webhooks/1"
# Deliveries handed to one job, all in flight at once: a job lasts no longer
# than its slowest endpoint's timeout (at most a minute), well inside the
# worker's job timeout and the lease below.
PER_JOB = 20


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header value (Standard Webhooks, v1)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def deliver(*delivery_ids: str) -> str:
    """The job: one attempt of each of the deliveries that no other job has.

    A burst is handed out up to `PER_JOB` deliveries to a job:
    they are sent side by side and recorded in one transaction, so the queue
    and the database do their per-job work once for all of them.
    """
    claimed = _claim(delivery_ids)
    if not claimed:
        return "skipped"
    with ExitStack() as stack:
        # One client per endpoint: its deliveries reuse connections, and no
        # connection made for one host name carries another's requests.
        clients = {
            d.endpoint_id: stack.enter_context(outgoing_client(d.endpoint.timeout_ms))
            for d in claimed
        }
        with ThreadPoolExecutor(len(claimed)) as pool:
            attempts = list(
                pool.map(lambda d: send(d, clients[d.endpoint_id]), claimed)
            )
    record_all(list(zip(claimed, attempts)))
    succeeded = sum(attempt.succeeded for attempt in attempts)
    return f"{succeeded} succeeded, {len(attempts) - succeeded} failed"


def _claim(delivery_ids: Iterable[str]) -> list[Delivery]:
    rows = Delivery.objects.filter(id__in=delivery_ids, endpoint__active=True)
    timeouts = rows.values_list("endpoint__timeout_ms", flat=True)
    if not timeouts:
        return []
    # Past this, its worker died mid-send: twice the slowest timeout (they
    # are sent side by side), and a margin.
    lease = timedelta(milliseconds=2 * max(timeouts) + 5000)
    mine = claim_all(rows, queued=Status.QUEUED, working=Status.SENDING, lease=lease)
    return list(
        Delivery.objects.select_related("endpoint")
        .filter(id__in=mine)
        .order_by("event_id")
    )


def send(delivery: Delivery, client: httpx.Client) -> Attempt:
    """Make the request with `client` (from `targets.outgoing_client`); an
    Attempt (not saved) describing what happened."""
    endpoint = delivery.endpoint
    started = timezone.now()
    timestamp = int(time.time())
    body = bytes(delivery.payload)
    headers = {
        **{str(k): str(v) for k, v in endpoint.headers.items()},
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(
            endpoint.secret, delivery.message_id, timestamp, body
        ),
    }
    attempt = Attempt(
        delivery=delivery,
        number=delivery.attempts + 1,
        started_at=started,
        url=endpoint.url,
        request_headers=dict(headers),
    )
    clock = time.monotonic()
    try:
        with stream(
            client, endpoint.method, endpoint.url, content=body, headers=headers
        ) as response:
            attempt.response_status = response.status_code
            attempt.response_body = excerpt(response, BODY_EXCERPT)
        if 300 <= response.status_code < 400:
            attempt.error = f"redirects are not followed (to {response.headers.get('location', '?')})"
    except TargetRefused as error:
        attempt.error = error.message
    except httpx.TimeoutException:
        attempt.error = f"no answer within {endpoint.timeout_ms} ms"
    except httpx.HTTPError as error:
        attempt.error = f"{type(error).__name__}: {error}"
    attempt.duration_ms = int((time.monotonic() - clock) * 1000)
    return attempt


def record(delivery: Delivery, attempt: Attempt) -> None:
    """Store the attempt and what follows from it, in one transaction."""
    record_all([(delivery, attempt)])


def record_all(outcomes: list[tuple[Delivery, Attempt]]) -> None:
    """`record` for each, in order, in one transaction."""
    now = timezone.now()
    with locked_atomic():
        for delivery, attempt in outcomes:
            _store(delivery, attempt, now)
    for delivery, attempt in outcomes:
        log.info(
            "webhook.attempt",
            delivery=str(delivery.id),
            endpoint=delivery.endpoint_id,
            attempt=attempt.number,
            status=attempt.response_status,
            error=attempt.error or None,
            duration_ms=attempt.duration_ms,
        )


def _store(delivery: Delivery, attempt: Attempt, now) -> None:
    number = attempt.number
    attempt.save()
    # Read again for each: an earlier attempt of the batch may have moved it.
    endpoint = Endpoint.objects.get(pk=delivery.endpoint_id)
    changes: dict[str, object] = {
        "attempts": number,
        "last_status_code": attempt.response_status,
        "last_error": attempt.error,
        "lease_until": None,
    }
    if attempt.succeeded:
        changes.update(status=Status.SUCCEEDED, delivered_at=now)
        _closed(endpoint)
    else:
        changes.update(_next_attempt(number - delivery.replayed_after, now))
        _failed(endpoint, now)
    Delivery.objects.filter(id=delivery.id).update(**changes)


def _next_attempt(failed_attempts: int, now) -> dict[str, object]:
    schedule = settings.WEBHOOKS_RETRY_SCHEDULE
    if failed_attempts > len(schedule):
        return {"status": Status.FAILED}
    delay = jittered(schedule[failed_attempts - 1])
    return {"status": Status.PENDING, "next_attempt_at": now + delay}


def _closed(endpoint: Endpoint) -> None:
    if endpoint.consecutive_failures or endpoint.failing_since:
        Endpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=0, failing_since=None, circuit_open_until=None
        )


def _failed(endpoint: Endpoint, now) -> None:
    failures = endpoint.consecutive_failures + 1
    since = endpoint.failing_since or now
    changes: dict[str, object] = {
        "consecutive_failures": failures,
        "failing_since": since,
    }
    threshold = settings.WEBHOOKS_BREAKER_THRESHOLD
    if failures >= threshold:
        # Open the circuit; each failed probe doubles the pause, up to an hour.
        pause = settings.WEBHOOKS_BREAKER_SECONDS * 2 ** min(failures - threshold, 6)
        changes["circuit_open_until"] = now + timedelta(seconds=min(pause, 3600))
    window = timedelta(hours=settings.WEBHOOKS_DISABLE_AFTER_HOURS)
    if endpoint.active and now - since >= window:
        changes["active"] = False
        changes["disabled_reason"] = (
            f"every delivery failed for {settings.WEBHOOKS_DISABLE_AFTER_HOURS} hours "
            f"(since {since:%Y-%m-%d %H:%M} UTC)"
        )
        alerts.endpoint_disabled(endpoint, str(changes["disabled_reason"]))
    Endpoint.objects.filter(pk=endpoint.pk).update(**changes)
