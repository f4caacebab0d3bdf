"""The Mailbox keeps each mail sent with a local backend and shows it to
operators only; hostile text in a mail stays text."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import run_cli
from tests.studio_http import csrf, operator_client

XSS = "<img src=x onerror=alert(1)>"


def send_mail(studio_live, subject: str, to: str, html: str = "") -> None:
    """Send through Django's configured backend, as every KoyaLite mail goes."""
    code = (
        "from django.core.mail import EmailMultiAlternatives as M\n"
        f"m = M({subject!r}, 'text body for ' + {to!r}, None, [{to!r}])\n"
        f"if {html!r}: m.attach_alternative({html!r}, 'text/html')\n"
        "m.send()\n"
    )
    run_cli(studio_live.project, "shell", "-c", code)


def recover(studio_live, email: str) -> None:
    response = httpx.post(
        f"{studio_live.url}/auth/v1/recover",
        headers={"apikey": studio_live.anon_key},
        json={"email": email},
    )
    assert response.status_code == 200, response.text


def test_recovery_mail_is_captured_and_readable_as_json(studio_live):
    client = operator_client(studio_live.url)
    recover(studio_live, "carol@example.com")

    listing = client.get("/studio/api/mailbox/", params={"q": "carol@example.com"})
    newest = listing.json()["mails"][0]
    detail = client.get(f"/studio/api/mailbox/{newest['id']}/").json()

    assert listing.status_code == 200
    assert newest["to"] == "carol@example.com"
    assert newest["subject"] == "Reset your password"
    assert "/auth/v1/verify?token=" in detail["text_body"]
    assert "/auth/v1/verify?token=" in detail["html_body"]
    assert ["Subject", "Reset your password"] in detail["headers"]


@pytest.mark.parametrize("method", ["get", "delete"])
def test_mailbox_api_refuses_no_session_and_app_user_jwt(studio_live, method):
    anonymous = httpx.request(method, f"{studio_live.url}/studio/api/mailbox/")
    as_app_user = httpx.request(
        method,
        f"{studio_live.url}/studio/api/mailbox/",
        headers=studio_live.headers("00000000-0000-4000-8000-00000000a11c"),
    )
    as_service_key = httpx.request(
        method,
        f"{studio_live.url}/studio/api/mailbox/",
        headers=studio_live.headers(key=studio_live.service_key),
    )

    assert anonymous.status_code == 403
    assert as_app_user.status_code == 403
    assert as_service_key.status_code == 403
    assert "mails" not in as_app_user.text


def test_delete_all_without_csrf_token_is_refused_and_deletes_nothing(studio_live):
    client = operator_client(studio_live.url)
    recover(studio_live, "bob@example.com")
    before = client.get("/studio/api/mailbox/").json()["total"]

    response = client.delete("/studio/api/mailbox/")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert client.get("/studio/api/mailbox/").json()["total"] == before


def test_mailbox_keeps_only_the_newest_mails(studio_live):
    code = (
        "from django.test import override_settings\n"
        "from django.core.mail import send_mail\n"
        "from studio.models import CapturedMail\n"
        "with override_settings(MAILBOX_LIMIT=3):\n"
        "    for n in range(5):\n"
        "        send_mail(f'bounded {n}', 'x', None, ['bounded@example.com'])\n"
        "print(CapturedMail.objects.count(),"
        " sorted(CapturedMail.objects.values_list('subject', flat=True)))\n"
    )

    result = run_cli(studio_live.project, "shell", "-c", code)

    assert result.stdout.strip().splitlines()[-1] == (
        "3 ['bounded 2', 'bounded 3', 'bounded 4']"
    )


def test_hostile_subject_and_html_show_as_text_and_cannot_run(studio, studio_live):
    to = f"xss-{uuid.uuid4().hex[:8]}@example.com"
    send_mail(
        studio_live,
        XSS,
        to,
        html=f'<p>Hello</p><script>parent.document.title="owned"</script>{XSS}'
        '<a href="https://example.com/follow">Follow</a>',
    )
    page = studio.goto(f"/studio/mailbox/?q={to}")

    row = page.get_by_role("row").filter(has_text=to)
    expect(row.get_by_role("link", name=XSS)).to_be_visible()
    assert page.locator("main img").count() == 0
    row.get_by_role("link", name=XSS).click()
    page.get_by_role("heading", name="HTML").wait_for()

    expect(page.get_by_role("heading", name=XSS)).to_be_visible()
    frame = page.frame_locator("iframe[title='HTML body']")
    expect(frame.get_by_text("Hello")).to_be_visible()
    link = frame.get_by_role("link", name="Follow")
    assert link.get_attribute("href") == "https://example.com/follow"
    assert page.title().startswith(XSS)
    assert page.locator("iframe").get_attribute("sandbox") == (
        "allow-popups allow-popups-to-escape-sandbox"
    )
    studio.screenshot("mailbox-detail")


def test_delete_all_asks_first_then_empties_the_mailbox(studio, studio_live):
    recover(studio_live, "alice@example.com")
    page = studio.goto("/studio/mailbox/")
    page.get_by_role("table", name="Captured mail").wait_for()
    studio.screenshot("mailbox")

    page.get_by_role("button", name="Delete all mail").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("table", name="Captured mail")).to_be_visible()
    page.get_by_role("button", name="Delete all mail").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete all").click()

    page.get_by_text(re.compile("No mail yet")).wait_for()
    assert studio.failed_requests == []


def test_captured_mail_is_not_a_rest_table(studio_live):
    response = httpx.get(
        f"{studio_live.url}/rest/v1/koyalite_captured_mails",
        headers=studio_live.headers(key=studio_live.service_key),
    )

    assert response.status_code == 404
    assert response.json()["code"] == "PGRST205"


def test_one_mail_is_deleted_by_id(studio_live):
    client = operator_client(studio_live.url)
    to = f"one-{uuid.uuid4().hex[:8]}@example.com"
    send_mail(studio_live, "to be deleted", to)
    mail_id = client.get("/studio/api/mailbox/", params={"q": to}).json()["mails"][0][
        "id"
    ]

    deleted = client.delete(f"/studio/api/mailbox/{mail_id}/", headers=csrf(client))

    assert deleted.status_code == 204
    assert client.get(f"/studio/api/mailbox/{mail_id}/").status_code == 404
