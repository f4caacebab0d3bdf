"""One webhook delivery, sent by the job the worker runs: claimed once,
sent to the checked address with its signature, the answer recorded."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

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
    assert (first, second) == ("succeeded", "skipped")
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
    assert outcome == "failed"
    assert attempt.response_status is None
    assert "a private or reserved address" in attempt.error
