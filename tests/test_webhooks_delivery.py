"""One webhook delivery, sent by the job the worker runs: claimed once,
sent to the checked address with its signature, the answer recorded."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from webhooks.delivery import deliver
from webhooks.models import Attempt, Delivery, Endpoint

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver(BaseHTTPRequestHandler):
    requests: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["content-length"]))
        headers = {name.lower(): value for name, value in self.headers.items()}
        type(self).requests.append((headers, body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"thanks")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_delivery_queued_twice_is_sent_once_and_recorded(settings, receiver):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    endpoint = Endpoint.objects.create(name="local", url=receiver, events=["INSERT"])
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event_id=1,
        row_key="public.todos:[1]",
        event_type="INSERT",
        payload=b'{"type":"INSERT"}',
        status=Delivery.Status.QUEUED,
    )

    first = deliver(str(delivery.id))
    second = deliver(str(delivery.id))

    delivery.refresh_from_db()
    attempt = Attempt.objects.get(delivery=delivery)
    headers, body = Receiver.requests[0]
    assert (first, second) == ("1 succeeded, 0 failed", "skipped")
    assert len(Receiver.requests) == 1
    assert body == b'{"type":"INSERT"}'
    assert headers["host"] == receiver.split("/")[2]
    assert headers["webhook-id"] == delivery.message_id
    assert headers["webhook-signature"].startswith("v1,")
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert (attempt.response_status, attempt.response_body) == (200, "thanks")


def test_delivery_to_a_private_address_is_refused_without_the_setting(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    endpoint = Endpoint.objects.create(
        name="lan", url="http://127.0.0.1:9/hook", events=["INSERT"]
    )
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event_id=1,
        row_key="x",
        event_type="INSERT",
        payload=b"{}",
        status=Delivery.Status.QUEUED,
    )

    outcome = deliver(str(delivery.id))

    attempt = Attempt.objects.get(delivery=delivery)
    assert outcome == "0 succeeded, 1 failed"
    assert attempt.response_status is None
    assert "a private or reserved address" in attempt.error


def test_a_job_sends_the_deliveries_it_claims_side_by_side(settings, receiver):
    """A job handed several deliveries sends those no other job has, each
    once, and records every answer."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    endpoint = Endpoint.objects.create(name="local", url=receiver, events=["INSERT"])
    deliveries = [
        Delivery.objects.create(
            endpoint=endpoint,
            event_id=n,
            row_key=f"public.todos:[{n}]",
            event_type="INSERT",
            payload=b'{"n":%d}' % n,
            status=Delivery.Status.QUEUED,
        )
        for n in range(1, 6)
    ]
    taken = deliveries[2]
    Delivery.objects.filter(id=taken.id).update(
        status=Delivery.Status.SENDING,
        lease_until=timezone.now() + timedelta(minutes=1),
    )
    ids = [str(d.id) for d in deliveries]

    first = deliver(*ids)
    again = deliver(*ids)

    assert (first, again) == ("4 succeeded, 0 failed", "skipped")
    assert sorted(body for _, body in Receiver.requests) == [
        b'{"n":1}', b'{"n":2}', b'{"n":4}', b'{"n":5}'
    ]  # fmt: skip
    statuses = dict(Delivery.objects.values_list("event_id", "status"))
    assert statuses == {1: "succeeded", 2: "succeeded", 3: "sending", 4: "succeeded", 5: "succeeded"}  # fmt: skip
    assert Attempt.objects.count() == 4
