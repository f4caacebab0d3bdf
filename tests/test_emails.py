"""The email queue: templates from the database, one row per mail, the
first attempt at once, retries on passing failures, none on permanent ones.

SMTP goes to a real aiosmtpd server that answers as each test scripts it;
Resend goes to a fake of its API on 127.0.0.1 that records the exact request.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from django_q.models import OrmQ
from resend.version import get_version

from accounts.mail import KINDS, render_auth_email
from emails import send_email
from emails.errors import (
    EmailTemplateNotFound,
    InvalidEmailRequest,
    InvalidEmailTemplate,
)
from emails.models import EmailTemplate, OutgoingEmail
from emails.services import attempt, resend, retry_delay
from emails.ticks import queue_due
from tests.conftest import free_port

FIXTURES = Path(__file__).resolve().parent / "fixtures"
Status = OutgoingEmail.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def welcome(db) -> EmailTemplate:
    return EmailTemplate.objects.create(
        name="welcome",
        subject="Hi {{ name }}",
        html="<p>Hi {{ name }}</p>",
        text="Hi {{ name }}",
    )


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """send_email as a request makes it: its first attempt runs at commit."""

    def sending(template: str, to: str, context: dict) -> OutgoingEmail:
        with django_capture_on_commit_callbacks(execute=True):
            email = send_email(template, to, context)
        email.refresh_from_db()
        return email

    return sending


def make_due(email: OutgoingEmail) -> None:
    OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())


# ---------------------------------------------------------------- templates


def test_auth_templates_render_byte_for_byte_as_the_files_did():
    """The seeded auth/* templates give what accounts/templates/accounts/email
    gave, for a context with characters HTML escapes."""
    expected = json.loads((FIXTURES / "auth_emails.json").read_text())

    rendered = {kind: render_auth_email(kind, expected["context"]) for kind in KINDS}

    assert set(expected["emails"]) == set(KINDS)
    for kind, email in rendered.items():
        assert email.subject == expected["emails"][kind]["subject"], kind
        assert email.text == expected["emails"][kind]["text"], kind
        assert email.html == expected["emails"][kind]["html"], kind


def test_html_part_escapes_and_text_part_does_not(welcome, send):
    email = send("welcome", "ada@example.com", {"name": "<Ada & co>"})

    assert email.subject == "Hi <Ada & co>"
    assert email.html == "<p>Hi &lt;Ada &amp; co&gt;</p>"
    assert email.text == "Hi <Ada & co>"


def test_unknown_template_is_a_clear_error_and_queues_nothing(send):
    with pytest.raises(EmailTemplateNotFound) as raised:
        send("no-such-template", "ada@example.com", {})

    assert str(raised.value) == "email template 'no-such-template' does not exist"
    assert OutgoingEmail.objects.count() == 0


@pytest.mark.parametrize(
    ("part", "source", "message"),
    [
        ("html", "{% if %}", "Unexpected end of expression in if tag."),
        ("text", "{{ name|nosuchfilter }}", "Invalid filter: 'nosuchfilter'"),
        (
            "html",
            "{% debug %}",
            "Invalid block tag on line 1: 'debug'. Did you forget to register or load this tag?",
        ),
        (
            "text",
            "{% load static %}",
            "'static' is not a registered tag library. Must be one of:",
        ),
        (
            "html",
            '{% include "studio/base.html" %}',
            "'studio/base.html' cannot be included or extended: an email template sees no template files",
        ),
    ],
)
def test_template_errors_name_the_template_and_part(send, part, source, message):
    EmailTemplate.objects.create(
        name="broken", subject="Hello", **{"html": "", "text": "", part: source}
    )

    with pytest.raises(InvalidEmailTemplate) as raised:
        send("broken", "ada@example.com", {"name": "Ada"})

    assert (
        str(raised.value)
        == f"email template 'broken' has an error in its {part}: {message}"
    )
    assert OutgoingEmail.objects.count() == 0


@pytest.mark.parametrize(
    ("to", "context", "message"),
    [
        ("not-an-address", {}, "'to' is not a valid email address: 'not-an-address'"),
        ("", {}, "'to' must be an email address"),
        ("ada@example.com", [], "'context' must be a JSON object"),
        (
            "ada@example.com",
            {"f": print},
            "'context.f' is a builtin_function_or_method; a context holds JSON values only",
        ),
    ],
)
def test_bad_recipient_or_context_is_refused(welcome, send, to, context, message):
    with pytest.raises(InvalidEmailRequest) as raised:
        send("welcome", to, context)

    assert str(raised.value) == message
    assert OutgoingEmail.objects.count() == 0


# ------------------------------------------------------- the local backend


def test_send_email_delivers_at_once_and_logs_the_mail(welcome, send):
    email = send("welcome", "ada@example.com", {"name": "Ada"})

    [sent] = mail.outbox
    assert sent.to == ["ada@example.com"]
    assert sent.subject == "Hi Ada"
    assert sent.body == "Hi Ada"
    assert sent.alternatives[0][0] == "<p>Hi Ada</p>"
    assert email.status == Status.SENT
    assert email.attempts == 1
    assert email.provider_message_id == sent.extra_headers["Message-ID"]
    assert email.provider_message_id == f"<{email.id.hex}@localhost>"
    assert email.sent_at is not None
    assert email.lease_until is None


def test_mail_is_rendered_when_queued_not_when_sent(
    welcome, django_capture_on_commit_callbacks
):
    email = send_email("welcome", "ada@example.com", {"name": "Ada"})
    EmailTemplate.objects.filter(pk=welcome.pk).update(subject="Changed")

    assert attempt(str(email.id)) == "sent"
    assert mail.outbox[0].subject == "Hi Ada"


def test_a_claimed_mail_is_not_sent_twice(welcome, send):
    email = send("welcome", "ada@example.com", {"name": "Ada"})

    assert attempt(str(email.id)) == "skipped"
    assert len(mail.outbox) == 1


def test_resend_sends_the_same_rendering_as_a_new_mail(
    welcome, send, django_capture_on_commit_callbacks
):
    first = send("welcome", "ada@example.com", {"name": "Ada"})
    EmailTemplate.objects.filter(pk=welcome.pk).update(subject="Changed")

    with django_capture_on_commit_callbacks(execute=True):
        again = resend(first.id)
    again.refresh_from_db()

    assert again.id != first.id
    assert again.status == Status.SENT
    assert [m.subject for m in mail.outbox] == ["Hi Ada", "Hi Ada"]


# --------------------------------------------------------------------- SMTP


class ScriptedSmtp:
    """An aiosmtpd handler answering DATA with the scripted replies in turn,
    then accepting; keeps what it accepted."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.accepted: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.replies:
            return self.replies.pop(0)
        self.accepted.append(envelope.content)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    controllers = []

    def serve(*replies: str) -> ScriptedSmtp:
        handler = ScriptedSmtp(list(replies))
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        controllers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = controller.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        return handler

    yield serve
    for controller in controllers:
        controller.stop()


def test_smtp_451_is_retried_by_the_worker_and_then_delivered(welcome, send, smtp):
    server = smtp("451 4.3.0 Try again later")

    email = send("welcome", "ada@example.com", {"name": "Ada"})
    assert email.status == Status.QUEUED
    assert email.attempts == 1
    assert email.last_error == "SMTP 451 4.3.0 Try again later"
    assert email.next_attempt_at > timezone.now()
    assert queue_due() == 0  # not due yet

    make_due(email)
    assert queue_due() == 1
    assert OrmQ.objects.count() == 1
    assert queue_due() == 0  # handed out once
    assert attempt(str(email.id)) == "sent"

    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.attempts == 2
    assert email.last_error == ""
    assert len(server.accepted) == 1
    assert b"Subject: Hi Ada" in server.accepted[0]


def test_smtp_550_fails_at_once(welcome, send, smtp):
    server = smtp("550 5.1.1 No such user")

    email = send("welcome", "nobody@example.com", {"name": "Ada"})

    assert email.status == Status.FAILED
    assert email.attempts == 1
    assert email.last_error == "SMTP 550 5.1.1 No such user"
    make_due(email)
    assert queue_due() == 0
    assert server.accepted == []


def test_smtp_gives_up_after_max_attempts(welcome, send, smtp, settings):
    settings.EMAIL_MAX_ATTEMPTS = 2
    smtp("421 4.7.0 Busy", "452 4.2.2 Mailbox full", "451 never reached")

    email = send("welcome", "ada@example.com", {"name": "Ada"})
    make_due(email)
    assert queue_due() == 1
    assert attempt(str(email.id)) == "failed"

    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert email.attempts == 2
    assert email.last_error == "SMTP 452 4.2.2 Mailbox full"


def test_unreachable_smtp_server_is_a_passing_failure(welcome, send, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens

    email = send("welcome", "ada@example.com", {"name": "Ada"})

    assert email.status == Status.QUEUED
    assert email.attempts == 1
    assert email.last_error.startswith("ConnectionRefusedError: ")


def test_retry_delay_doubles_from_the_base_and_stops_at_the_cap(settings):
    settings.EMAIL_RETRY_SECONDS = 30
    settings.EMAIL_RETRY_MAX_SECONDS = 3600

    delays = [retry_delay(n).total_seconds() for n in (1, 2, 3, 10)]

    assert 24 <= delays[0] <= 36
    assert 48 <= delays[1] <= 72
    assert 96 <= delays[2] <= 144
    assert 2880 <= delays[3] <= 4320


def test_a_mail_whose_process_died_mid_send_is_handed_out_again(welcome, send, smtp):
    smtp("451 later")
    email = send("welcome", "ada@example.com", {"name": "Ada"})
    past = timezone.now() - timedelta(seconds=1)
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=Status.SENDING, lease_until=past
    )

    assert queue_due() == 1
    assert attempt(str(email.id)) == "sent"


# ------------------------------------------------------------------- Resend


class FakeResend:
    """Resend's `POST /emails` on 127.0.0.1: answers as scripted, then 200."""

    def __init__(self, replies: list[tuple[int, dict]]) -> None:
        self.replies = list(replies)
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.requests.append(("POST", self.path, dict(self.headers), body))
                status, answer = (
                    fake.replies.pop(0)
                    if fake.replies
                    else (200, {"id": f"re_{len(fake.requests)}"})
                )
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def resend_api(settings):
    fakes = []

    def serve(*replies: tuple[int, dict]) -> FakeResend:
        fake = FakeResend(list(replies))
        fakes.append(fake)
        settings.EMAIL_QUEUE_BACKEND = "resend"
        settings.RESEND_API_KEY = "re_test_0123456789"
        settings.RESEND_API_URL = fake.url
        return fake

    yield serve
    for fake in fakes:
        fake.server.shutdown()
        fake.server.server_close()


def test_resend_request_is_exactly_what_resends_api_expects(welcome, send, resend_api):
    api = resend_api()

    email = send("welcome", "ada@example.com", {"name": "Ada \u00e9"})

    [(method, path, headers, body)] = api.requests
    assert method == "POST"
    assert path == "/emails"
    assert headers["Authorization"] == "Bearer re_test_0123456789"
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"] == f"resend-python:{get_version()}"
    assert headers["Idempotency-Key"] == str(email.id)
    assert body == (
        b'{"from": "KoyaLite <noreply@localhost>", "to": ["ada@example.com"], '
        b'"subject": "Hi Ada \\u00e9", "html": "<p>Hi Ada \\u00e9</p>", '
        b'"text": "Hi Ada \\u00e9"}'
    )
    assert email.status == Status.SENT
    assert email.provider_message_id == "re_1"


def test_resend_500_is_retried_with_the_same_idempotency_key(welcome, send, resend_api):
    api = resend_api(
        (500, {"statusCode": 500, "name": "internal_server_error", "message": "Down"})
    )

    email = send("welcome", "ada@example.com", {"name": "Ada"})
    assert email.status == Status.QUEUED
    assert email.last_error == "Resend 500 internal_server_error: Down"

    make_due(email)
    assert queue_due() == 1
    assert attempt(str(email.id)) == "sent"

    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.attempts == 2
    assert email.provider_message_id == "re_2"
    assert api.requests[0][3] == api.requests[1][3]
    assert (
        api.requests[0][2]["Idempotency-Key"] == api.requests[1][2]["Idempotency-Key"]
    )


def test_resend_429_is_retried(welcome, send, resend_api):
    resend_api(
        (
            429,
            {
                "statusCode": 429,
                "name": "rate_limit_exceeded",
                "message": "Too many requests",
            },
        )
    )

    email = send("welcome", "ada@example.com", {"name": "Ada"})

    assert email.status == Status.QUEUED
    assert email.last_error == "Resend 429 rate_limit_exceeded: Too many requests"


def test_resend_422_fails_at_once(welcome, send, resend_api):
    api = resend_api(
        (
            422,
            {
                "statusCode": 422,
                "name": "validation_error",
                "message": "Invalid `from` field.",
            },
        )
    )

    email = send("welcome", "ada@example.com", {"name": "Ada"})

    assert email.status == Status.FAILED
    assert email.attempts == 1
    assert email.last_error == "Resend 422 validation_error: Invalid `from` field."
    assert len(api.requests) == 1


def test_resend_backend_without_a_key_fails_the_system_check(settings):
    from django.core.checks import run_checks

    settings.EMAIL_QUEUE_BACKEND = "resend"
    settings.RESEND_API_KEY = ""

    errors = [e for e in run_checks() if e.id == "emails.E001"]

    assert [e.msg for e in errors] == [
        "KOYALITE_EMAIL_BACKEND is resend but KOYALITE_RESEND_API_KEY is empty."
    ]


def test_a_switched_off_webhook_endpoint_is_mailed_through_the_queue(
    django_capture_on_commit_callbacks,
):
    from webhooks.alerts import endpoint_disabled
    from webhooks.models import Endpoint

    endpoint = Endpoint.objects.create(
        name="orders", url="https://hooks.example/orders", owner_email="ops@example.com"
    )

    with django_capture_on_commit_callbacks(execute=True):
        endpoint_disabled(endpoint, "every delivery failed for 120 hours")

    email = OutgoingEmail.objects.get(template="webhooks/endpoint_disabled")
    assert email.to == "ops@example.com"
    assert email.status == Status.SENT
    assert mail.outbox[0].subject == "Webhook endpoint 'orders' was switched off"
    assert mail.outbox[0].body == (
        "KoyaLite switched off the webhook endpoint 'orders' "
        "(https://hooks.example/orders): every delivery failed for 120 hours.\n\n"
        "Its undelivered events are kept. Fix the receiver, switch the endpoint on "
        "again in the Studio or the admin, and replay the failed deliveries.\n"
    )


def test_a_deleted_alert_template_does_not_undo_the_switch_off(
    django_capture_on_commit_callbacks,
):
    from webhooks.alerts import endpoint_disabled
    from webhooks.models import Endpoint

    EmailTemplate.objects.filter(name="webhooks/endpoint_disabled").delete()
    endpoint = Endpoint.objects.create(
        name="orders", url="https://hooks.example/orders", owner_email="ops@example.com"
    )

    with django_capture_on_commit_callbacks(execute=True):
        endpoint_disabled(endpoint, "failing")

    assert OutgoingEmail.objects.count() == 0
    assert Endpoint.objects.filter(name="orders").exists()
