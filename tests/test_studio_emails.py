"""The Studio's Emails page and its JSON twin: the mail log with filters and
resend, templates edited with a live preview; operators only, CSRF on
writes, hostile template output inert."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.studio_http import StudioClient, app_user_headers

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def operator(studio_live) -> StudioClient:
    client = StudioClient(studio_live.url)
    yield client
    client.http.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def send(studio_live, template: str, to: str, context: dict) -> str:
    response = httpx.post(
        f"{studio_live.url}/emails/v1/send",
        headers={"apikey": studio_live.service_key},
        json={"template": template, "to": to, "context": context},
    )
    assert response.status_code == 202, response.text
    return response.json()["id"]


@pytest.fixture(scope="module")
def greeting(operator) -> str:
    name = unique("greeting")
    response = operator.send(
        "POST",
        "/studio/api/emails/templates/",
        {
            "name": name,
            "subject": "Hello {{ name }}",
            "html": "<p>Hello <b>{{ name }}</b></p>",
            "text": "Hello {{ name }}",
        },
    )
    assert response.status_code == 201, response.text
    return name


def templates(operator) -> list[str]:
    listing = operator.get("/studio/api/emails/templates/").json()["templates"]
    return [t["name"] for t in listing]


# ------------------------------------------------------------ who may call

ENDPOINTS = [
    ("GET", "/studio/api/emails/", None),
    ("GET", "/studio/api/emails/templates/", None),
    ("POST", "/studio/api/emails/templates/", {"name": "x", "subject": "x"}),
    ("PUT", "/studio/api/emails/templates/auth/invite", {"subject": "Pwned"}),
    ("DELETE", "/studio/api/emails/templates/auth/invite", None),
    ("POST", "/studio/api/emails/preview", {"subject": "x"}),
    ("POST", "/studio/api/emails/00000000-0000-4000-8000-000000000001/resend", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_emails_api_refuses_no_session_app_users_and_the_service_key(
    studio_live, operator, method, path, body
):
    url = studio_live.url + path
    anonymous = httpx.request(method, url, json=body)
    as_app_user = httpx.request(
        method, url, json=body, headers=app_user_headers(studio_live)
    )
    as_service_key = httpx.request(
        method, url, json=body, headers=studio_live.headers(key=studio_live.service_key)
    )

    assert anonymous.status_code == 403
    assert as_app_user.status_code == 403
    assert as_service_key.status_code == 403
    invite = operator.get("/studio/api/emails/templates/auth/invite").json()
    assert invite["subject"] == "You have been invited"


@pytest.mark.parametrize(
    ("method", "path", "body"), [e for e in ENDPOINTS if e[0] != "GET"]
)
def test_emails_api_writes_need_the_csrf_token(operator, method, path, body):
    response = operator.send(method, path, body, csrf=False)

    assert response.status_code == 403
    invite = operator.get("/studio/api/emails/templates/auth/invite").json()
    assert invite["subject"] == "You have been invited"
    assert "x" not in templates(operator)


# ------------------------------------------------------------------ the log


def test_sign_up_confirmation_is_logged_with_its_template(studio_live, operator):
    to = f"{unique('signup')}@example.com"
    response = httpx.post(
        f"{studio_live.url}/auth/v1/signup",
        headers={"apikey": studio_live.anon_key},
        json={"email": to, "password": "lantern-river-copper-71"},
    )
    assert response.status_code == 200, response.text

    listing = operator.get(
        "/studio/api/emails/", params={"template": "auth/confirmation", "q": to}
    ).json()

    [email] = listing["emails"]
    assert email["to"] == to
    assert email["subject"] == "Confirm your sign-up"
    assert email["status"] == "sent"
    assert email["attempts"] == 1


def test_log_filters_by_status_and_template_and_resend_makes_a_new_mail(
    studio_live, operator, greeting
):
    to = f"{unique('ada')}@example.com"
    first = send(studio_live, greeting, to, {"name": "Ada"})

    sent = operator.get(
        "/studio/api/emails/", params={"status": "sent", "template": greeting, "q": to}
    ).json()
    failed = operator.get(
        "/studio/api/emails/", params={"status": "failed", "q": to}
    ).json()
    resent = operator.send("POST", f"/studio/api/emails/{first}/resend")
    detail = operator.get(f"/studio/api/emails/{resent.json()['id']}/").json()
    after = operator.get("/studio/api/emails/", params={"q": to}).json()

    assert [e["id"] for e in sent["emails"]] == [first]
    assert failed["emails"] == []
    assert resent.status_code == 202
    assert resent.json()["id"] != first
    assert detail["subject"] == "Hello Ada"
    assert detail["html"] == "<p>Hello <b>Ada</b></p>"
    assert detail["status"] == "sent"
    assert after["total"] == 2


def test_resend_of_an_unknown_mail_is_a_404(operator):
    response = operator.send("POST", "/studio/api/emails/not-a-uuid/resend")

    assert response.status_code == 404
    assert response.json()["message"] == "outgoing email 'not-a-uuid' does not exist"


# ------------------------------------------------------------- templates


def test_template_with_a_syntax_error_is_refused_with_its_part(operator):
    name = unique("broken")
    response = operator.send(
        "POST",
        "/studio/api/emails/templates/",
        {"name": name, "subject": "Hi", "html": "", "text": "{% if %}"},
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "KL602",
        "message": f"email template '{name}' has an error in its text: Unexpected end of expression in if tag.",
        "part": "text",
    }
    assert name not in templates(operator)


def test_duplicate_template_name_is_refused(operator, greeting):
    response = operator.send(
        "POST", "/studio/api/emails/templates/", {"name": greeting, "subject": "Again"}
    )

    assert response.status_code == 400
    assert (
        response.json()["message"]
        == f"an email template named '{greeting}' already exists"
    )


def test_template_edit_changes_the_next_mail_and_delete_makes_sending_a_400(
    studio_live, operator
):
    name = unique("edited")
    operator.send(
        "POST", "/studio/api/emails/templates/", {"name": name, "subject": "One"}
    )
    changed = operator.send(
        "PUT",
        f"/studio/api/emails/templates/{name}",
        {"subject": "Two {{ n }}", "html": "<i>{{ n }}</i>", "text": ""},
    )
    email_id = send(studio_live, name, "ada@example.com", {"n": 2})
    deleted = operator.send("DELETE", f"/studio/api/emails/templates/{name}")
    after = httpx.post(
        f"{studio_live.url}/emails/v1/send",
        headers={"apikey": studio_live.service_key},
        json={"template": name, "to": "ada@example.com", "context": {}},
    )

    assert changed.status_code == 200
    assert operator.get(f"/studio/api/emails/{email_id}/").json()["subject"] == "Two 2"
    assert deleted.status_code == 204
    assert after.status_code == 400
    assert after.json()["message"] == f"email template '{name}' does not exist"


def test_preview_renders_or_reports_the_error_as_data(operator):
    good = operator.send(
        "POST",
        "/studio/api/emails/preview",
        {
            "subject": "Hi {{ who }}",
            "html": "<p>{{ who }}</p>",
            "text": "{{ who }}",
            "context": {"who": XSS},
        },
    )
    bad = operator.send(
        "POST",
        "/studio/api/emails/preview",
        {"name": "draft", "subject": "Hi", "html": "{% endif %}", "context": {}},
    )

    assert good.json() == {
        "ok": True,
        "subject": f"Hi {XSS}",
        "html": "<p>&lt;img src=x onerror=alert(1)&gt;</p>",
        "text": XSS,
    }
    assert bad.status_code == 200
    assert bad.json()["ok"] is False
    assert bad.json()["error"]["part"] == "html"
    assert bad.json()["error"]["message"].startswith(
        "email template 'draft' has an error in its html: Invalid block tag on line 1: 'endif'"
    )


# ---------------------------------------------------------------- browser


def test_template_editor_previews_live_and_saves(studio, operator):
    name = unique("page")
    operator.send(
        "POST",
        "/studio/api/emails/templates/",
        {
            "name": name,
            "subject": "Welcome {{ name }}",
            "html": "<h1>Hi {{ name }}</h1>",
            "text": "Hi {{ name }}",
        },
    )
    page = studio.goto("/studio/emails/templates/")
    page.get_by_role("link", name=name).click()
    preview = page.frame_locator("iframe[title='HTML preview']")
    expect(preview.get_by_role("heading", name="Hi Ada")).to_be_visible()

    page.get_by_label("HTML").fill("<h1>Hello {{ name }}</h1><script>alert(1)</script>")
    expect(preview.get_by_role("heading", name="Hello Ada")).to_be_visible()
    page.get_by_label("HTML").fill("<h1>{% if %}</h1>")
    expect(page.get_by_role("alert")).to_contain_text(
        "Unexpected end of expression in if tag."
    )
    page.get_by_label("HTML").fill(f"<h1>Saved {{{{ name }}}} {XSS}</h1>")
    expect(page.get_by_role("alert")).to_have_text("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Template saved.")).to_be_visible()
    studio.screenshot("emails-template")

    saved = operator.get(f"/studio/api/emails/templates/{name}").json()
    assert saved["html"] == f"<h1>Saved {{{{ name }}}} {XSS}</h1>"
    # The template's script and handler were there, and the sandbox stopped them.
    blocked = "Blocked script execution in 'about:srcdoc'"
    assert studio.console_errors
    assert all(error.startswith(blocked) for error in studio.console_errors)


def test_emails_log_page_filters_and_resends(studio, studio_live, greeting):
    to = f"{unique('bob')}@example.com"
    send(studio_live, greeting, to, {"name": XSS})
    page = studio.goto("/studio/emails/")
    page.get_by_label("Recipient or subject").fill(to)
    page.get_by_label("Status").select_option("sent")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(
        f"{studio_live.url}/studio/emails/?status=sent&template=&q={to.replace('@', '%40')}"
    )

    table = page.get_by_role("table", name="Emails")
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table.get_by_role("link", name=f"Hello {XSS}")).to_be_visible()
    studio.screenshot("emails")
    page.get_by_role("button", name=f"Resend to {to}").click()
    page.get_by_role("dialog").get_by_role("button", name="Resend").click()

    expect(page.get_by_role("heading", name=f"Hello {XSS}", level=1)).to_be_visible()
    expect(page.get_by_role("row", name="Status Sent")).to_be_visible()
    expect(page.get_by_role("row", name="Attempts 1")).to_be_visible()
    assert studio.console_errors == []
