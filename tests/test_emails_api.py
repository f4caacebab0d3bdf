"""`POST /emails/v1/send`: the service role queues a mail (202 and its id);
anon and app users are refused in the data API's error JSON and queue
nothing; malformed requests get a 400 that says what is wrong."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest
from django.core import mail

from accounts.keys import anon_key, service_role_key, sign
from emails.models import EmailTemplate, OutgoingEmail
from tests.conftest import new_project, start_server, stop_server

pytestmark = pytest.mark.django_db
ALICE = "00000000-0000-4000-8000-00000000a11c"


@pytest.fixture
def welcome(db) -> EmailTemplate:
    return EmailTemplate.objects.create(
        name="welcome", subject="Hi {{ name }}", html="<p>Hi {{ name }}</p>", text=""
    )


def user_token() -> str:
    now = int(time.time())
    claims = {"sub": ALICE, "role": "authenticated", "aud": "authenticated"}
    return sign(claims | {"iat": now, "exp": now + 600})


HEADERS = {
    "no key": {},
    "anon": {"apikey": anon_key},
    "user": {"apikey": anon_key, "Authorization": lambda: f"Bearer {user_token()}"},
    "service": {"apikey": service_role_key},
}


def headers_for(caller: str) -> dict[str, str]:
    return {
        f"HTTP_{name.upper()}": value() if callable(value) else value
        for name, value in HEADERS[caller].items()
    }


def post(client, body: object, caller: str = "service", raw: bytes | None = None):
    return client.post(
        "/emails/v1/send",
        data=raw if raw is not None else orjson.dumps(body),
        content_type="application/json",
        **headers_for(caller),
    )


BODY = {"template": "welcome", "to": "ada@example.com", "context": {"name": "Ada"}}


@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [
        ("no key", 401, "PGRST302"),
        ("anon", 401, "42501"),
        ("user", 403, "42501"),
        ("service", 202, None),
    ],
)
def test_only_the_service_role_may_send(
    client, welcome, django_capture_on_commit_callbacks, caller, status, code
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, BODY, caller)

    assert response.status_code == status
    body = response.json()
    if code is None:
        email = OutgoingEmail.objects.get()
        assert body == {"id": str(email.id)}
        assert email.status == OutgoingEmail.Status.SENT
        assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    else:
        assert body["code"] == code
        assert set(body) == {"code", "message", "details", "hint"}
        assert OutgoingEmail.objects.count() == 0
        assert mail.outbox == []


@pytest.mark.parametrize(
    ("body", "raw", "code", "message"),
    [
        (None, b"{not json", "KL603", "the body is not valid JSON: "),
        (
            [],
            None,
            "KL603",
            'the body must be a JSON object: {"template", "to", "context"}',
        ),
        (
            BODY | {"cc": "x"},
            None,
            "KL603",
            "unknown field 'cc'; expected template, to, context",
        ),
        (
            BODY | {"template": "nope"},
            None,
            "KL601",
            "email template 'nope' does not exist",
        ),
        (BODY | {"template": 5}, None, "KL603", "'template' must be a template name"),
        (
            BODY | {"to": "nobody"},
            None,
            "KL603",
            "'to' is not a valid email address: 'nobody'",
        ),
        (BODY | {"context": "Ada"}, None, "KL603", "'context' must be a JSON object"),
    ],
)
def test_bad_input_is_a_400_that_says_why(client, welcome, body, raw, code, message):
    response = post(client, body, raw=raw)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["message"].startswith(message)
    assert OutgoingEmail.objects.count() == 0


def test_a_broken_template_is_a_400_not_a_500(client):
    EmailTemplate.objects.create(name="broken", subject="Hi", html="{% for %}")

    response = post(client, BODY | {"template": "broken"})

    assert response.status_code == 400
    assert response.json()["code"] == "KL602"
    assert response.json()["message"] == (
        "email template 'broken' has an error in its html: "
        "'for' statements should have at least four words: for"
    )


def test_get_is_not_allowed(client):
    response = client.get("/emails/v1/send", **headers_for("service"))

    assert response.status_code == 405
    assert response["Allow"] == "POST"


class DeferringSmtp:
    """Says 451 to the first mail, then accepts."""

    def __init__(self) -> None:
        self.deferred = 0
        self.accepted: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if not self.deferred:
            self.deferred += 1
            return "451 4.3.0 Try again later"
        self.accepted.append(envelope.content)
        return "250 OK"


@pytest.mark.django_db(transaction=False)
def test_a_deferred_mail_is_delivered_by_the_servers_worker(tmp_path):
    """End to end: the request's own attempt meets a 451; the worker that
    `koyalite serve` starts retries it a second later and it arrives."""
    from aiosmtpd.controller import Controller

    from tests.conftest import free_port

    handler = DeferringSmtp()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    server = start_server(
        new_project(tmp_path),
        {
            "KOYALITE_EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
            "KOYALITE_EMAIL_RETRY_SECONDS": "1",
        },
        worker=True,
    )
    try:
        response = httpx.post(
            f"{server.url}/emails/v1/send",
            headers={"apikey": server.service_key},
            json={
                "template": "auth/magic_link",
                "to": "ada@example.com",
                "context": {"link": "https://app.example/in", "code": "424242"},
            },
        )
        assert response.status_code == 202, response.text
        deadline = time.monotonic() + 30
        while not handler.accepted and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop_server(server)
        smtp.stop()

    assert handler.deferred == 1
    [message] = handler.accepted
    assert b"Subject: Your sign-in link" in message
    assert b"Or enter this code: 424242" in message
