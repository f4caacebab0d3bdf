"""The Auth pages manage app users through the same services as
`/auth/v1/admin/*`, for operators only; settings never show a secret; hostile
user data shows as text."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.studio_http import csrf, operator_client

XSS = "<img src=x onerror=alert(1)>"
PASSWORD = "a-good-password-42"


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def admin_create(studio_live, email: str, **fields) -> dict:
    """A user made through GoTrue's admin API, as a project's backend would."""
    response = httpx.post(
        f"{studio_live.url}/auth/v1/admin/users",
        headers=studio_live.headers(key=studio_live.service_key),
        json={"email": email, **fields},
    )
    assert response.status_code == 200, response.text
    return response.json()


def password_sign_in(
    studio_live, email: str, user_agent: str = "python-httpx"
) -> httpx.Response:
    return httpx.post(
        f"{studio_live.url}/auth/v1/token?grant_type=password",
        headers={"apikey": studio_live.anon_key, "User-Agent": user_agent},
        json={"email": email, "password": PASSWORD},
    )


def refresh(studio_live, refresh_token: str) -> httpx.Response:
    return httpx.post(
        f"{studio_live.url}/auth/v1/token?grant_type=refresh_token",
        headers={"apikey": studio_live.anon_key},
        json={"refresh_token": refresh_token},
    )


def enroll_totp(studio_live, access_token: str, name: str) -> dict:
    response = httpx.post(
        f"{studio_live.url}/auth/v1/factors",
        headers={
            "apikey": studio_live.anon_key,
            "Authorization": f"Bearer {access_token}",
        },
        json={"factor_type": "totp", "friendly_name": name},
    )
    assert response.status_code == 200, response.text
    return response.json()


# ------------------------------------------------------------------ JSON twin


ENDPOINTS = [
    ("get", "/studio/api/auth/users/"),
    ("post", "/studio/api/auth/users/"),
    ("post", "/studio/api/auth/invite/"),
    ("get", "/studio/api/auth/settings/"),
    ("get", "/studio/api/auth/templates/"),
    ("get", "/studio/api/auth/users/00000000-0000-4000-8000-00000000a11c/"),
    ("delete", "/studio/api/auth/users/00000000-0000-4000-8000-00000000a11c/"),
    ("post", "/studio/api/auth/users/00000000-0000-4000-8000-00000000a11c/ban/"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_auth_api_refuses_no_session_app_jwt_and_service_key(studio_live, method, path):
    alice = "00000000-0000-4000-8000-00000000a11c"
    body = {"json": {"email": unique_email("nope")}} if method == "post" else {}
    callers = {
        "anonymous": {},
        "app user": studio_live.headers(alice),
        "service key": studio_live.headers(key=studio_live.service_key),
    }

    statuses = {
        name: httpx.request(method, studio_live.url + path, headers=h, **body)
        for name, h in callers.items()
    }

    assert {name: r.status_code for name, r in statuses.items()} == {
        "anonymous": 403,
        "app user": 403,
        "service key": 403,
    }
    assert all("alice@example.com" not in r.text for r in statuses.values())
    # Nothing changed: alice is still there and not banned.
    detail = operator_client(studio_live.url).get(f"/studio/api/auth/users/{alice}/")
    assert detail.json()["banned_until"] is None


def test_writes_without_csrf_token_are_refused_and_change_nothing(studio_live):
    client = operator_client(studio_live.url)
    email = unique_email("csrf")

    created = client.post("/studio/api/auth/users/", json={"email": email})
    invited = client.post("/studio/api/auth/invite/", json={"email": email})

    assert created.status_code == 403
    assert invited.status_code == 403
    assert client.get("/studio/api/auth/users/", params={"q": email}).json() == {
        "users": [],
        "total": 0,
        "page": 1,
        "pages": 0,
    }


def test_operator_creates_searches_confirms_and_deletes_a_user(studio_live):
    client = operator_client(studio_live.url)
    email = unique_email("create")

    created = client.post(
        "/studio/api/auth/users/",
        json={"email": email, "password": PASSWORD},
        headers=csrf(client),
    )
    user_id = created.json()["id"]
    found = client.get("/studio/api/auth/users/", params={"q": email}).json()
    confirmed = client.post(
        f"/studio/api/auth/users/{user_id}/confirm/", headers=csrf(client)
    )
    deleted = client.delete(f"/studio/api/auth/users/{user_id}/", headers=csrf(client))
    after = client.get(f"/studio/api/auth/users/{user_id}/")

    assert created.status_code == 201
    assert [u["email"] for u in found["users"]] == [email]
    assert created.json()["email_confirmed_at"] is None
    assert confirmed.json()["email_confirmed_at"] is not None
    assert deleted.status_code == 204
    assert after.status_code == 404
    assert after.json()["code"] == "user_not_found"


def test_weak_password_is_refused_with_gotrue_message(studio_live):
    client = operator_client(studio_live.url)

    response = client.post(
        "/studio/api/auth/users/",
        json={"email": unique_email("weak"), "password": "123"},
        headers=csrf(client),
    )

    assert response.status_code == 422
    assert response.json()["code"] == "weak_password"


def test_ban_blocks_sign_in_and_unban_restores_it(studio_live):
    client = operator_client(studio_live.url)
    email = unique_email("ban")
    user = admin_create(studio_live, email, password=PASSWORD, email_confirm=True)

    client.post(f"/studio/api/auth/users/{user['id']}/ban/", headers=csrf(client))
    banned = password_sign_in(studio_live, email)
    client.post(f"/studio/api/auth/users/{user['id']}/unban/", headers=csrf(client))
    unbanned = password_sign_in(studio_live, email)

    assert banned.status_code == 400
    assert banned.json()["error_code"] == "user_banned"
    assert unbanned.status_code == 200


def test_ban_for_a_duration_ends_after_it(studio_live):
    client = operator_client(studio_live.url)
    user = admin_create(studio_live, unique_email("banfor"), email_confirm=True)

    before = datetime.now(UTC)
    banned = client.post(
        f"/studio/api/auth/users/{user['id']}/ban/",
        json={"duration": "1h30m"},
        headers=csrf(client),
    )
    after = datetime.now(UTC)

    assert banned.status_code == 200
    until = datetime.fromisoformat(banned.json()["banned_until"])
    assert before + timedelta(minutes=90) <= until <= after + timedelta(minutes=90)


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        (
            "3 days",
            'invalid format for ban duration: time: unknown unit " days" in duration "3 days"',
        ),
        (
            "3d",
            'invalid format for ban duration: time: unknown unit "d" in duration "3d"',
        ),
        (
            "none",
            "A ban needs a duration longer than zero, not 'none'; use unban to lift one",
        ),
        (
            "-1h",
            "A ban needs a duration longer than zero, not '-1h'; use unban to lift one",
        ),
    ],
)
def test_ban_refuses_a_bad_or_empty_duration_and_bans_no_one(
    studio_live, duration, message
):
    client = operator_client(studio_live.url)
    user = admin_create(studio_live, unique_email("badban"), email_confirm=True)

    response = client.post(
        f"/studio/api/auth/users/{user['id']}/ban/",
        json={"duration": duration},
        headers=csrf(client),
    )

    assert response.status_code == 400
    assert response.json() == {"message": message, "code": "validation_failed"}
    detail = client.get(f"/studio/api/auth/users/{user['id']}/").json()
    assert detail["banned_until"] is None


def test_revoking_a_session_ends_its_refresh_token(studio_live):
    client = operator_client(studio_live.url)
    email = unique_email("session")
    user = admin_create(studio_live, email, password=PASSWORD, email_confirm=True)
    signed_in = password_sign_in(studio_live, email).json()

    sessions = client.get(f"/studio/api/auth/users/{user['id']}/").json()["sessions"]
    revoked = client.delete(
        f"/studio/api/auth/users/{user['id']}/sessions/{sessions[0]['id']}/",
        headers=csrf(client),
    )
    refresh = httpx.post(
        f"{studio_live.url}/auth/v1/token?grant_type=refresh_token",
        headers={"apikey": studio_live.anon_key},
        json={"refresh_token": signed_in["refresh_token"]},
    )

    assert len(sessions) == 1
    assert revoked.status_code == 204
    assert client.get(f"/studio/api/auth/users/{user['id']}/").json()["sessions"] == []
    assert refresh.status_code == 400


def test_deleting_a_factor_removes_it(studio_live):
    client = operator_client(studio_live.url)
    email = unique_email("factor")
    user = admin_create(studio_live, email, password=PASSWORD, email_confirm=True)
    token = password_sign_in(studio_live, email).json()["access_token"]
    enrolled = httpx.post(
        f"{studio_live.url}/auth/v1/factors",
        headers={"apikey": studio_live.anon_key, "Authorization": f"Bearer {token}"},
        json={"factor_type": "totp", "friendly_name": "phone"},
    ).json()

    before = client.get(f"/studio/api/auth/users/{user['id']}/").json()["factors"]
    deleted = client.delete(
        f"/studio/api/auth/users/{user['id']}/factors/{enrolled['id']}/",
        headers=csrf(client),
    )
    after = client.get(f"/studio/api/auth/users/{user['id']}/").json()["factors"]

    assert [f["id"] for f in before] == [enrolled["id"]]
    assert deleted.status_code == 204
    assert after == []


def test_send_recovery_mails_the_user(studio_live):
    client = operator_client(studio_live.url)
    email = unique_email("recover")
    user = admin_create(studio_live, email, email_confirm=True)

    sent = client.post(
        f"/studio/api/auth/users/{user['id']}/send-recovery/", headers=csrf(client)
    )
    mails = client.get("/studio/api/mailbox/", params={"q": email}).json()["mails"]

    assert sent.status_code == 200
    assert [(m["to"], m["subject"]) for m in mails] == [(email, "Reset your password")]


def test_settings_show_rules_but_never_a_secret(studio_live):
    client = operator_client(studio_live.url)

    data = client.get("/studio/api/auth/settings/")
    page = client.get("/studio/auth/settings/")

    assert data.json()["site_url"] == "http://localhost:3000"
    assert data.json()["mailer_autoconfirm"] is False
    assert data.json()["rate_limits_per_5_minutes"]["sign_in"] == 30
    assert "Site URL" in page.text
    for secret in (studio_live.secret, studio_live.service_key, studio_live.anon_key):
        assert secret not in data.text
        assert secret not in page.text
    assert "secret" not in data.text.lower()


def test_email_templates_render_each_kind_with_sample_values(studio_live):
    client = operator_client(studio_live.url)

    templates = client.get("/studio/api/auth/templates/").json()["templates"]

    assert [t["kind"] for t in templates] == [
        "confirmation",
        "magic_link",
        "recovery",
        "email_change_current",
        "email_change_new",
        "invite",
        "reauthentication",
    ]
    invite = next(t for t in templates if t["kind"] == "invite")
    assert invite["subject"] == "You have been invited"
    assert "someone@example.com" in invite["html"]
    assert "/auth/v1/verify?token=sample-token&amp;type=invite" in invite["html"]


# ------------------------------------------------------------------ browser


def test_invite_from_auth_page_then_follow_the_mail_link(studio, studio_live):
    email = unique_email("invitee")
    page = studio.goto("/studio/auth/users/")
    # The site URL (the app) is not running in tests; answer for it.
    page.context.route(
        "http://localhost:3000/**", lambda route: route.fulfill(body="the app")
    )
    studio.screenshot("auth-users")

    page.get_by_label("Email to invite").fill(email)
    page.get_by_role("button", name="Send invite").click()
    page.get_by_role("heading", name=email).wait_for()
    expect(page.get_by_text("Unconfirmed")).to_be_visible()
    studio.screenshot("auth-user")

    page.get_by_role("link", name="Mailbox").click()
    page.get_by_role("row").filter(has_text=email).get_by_role(
        "link", name="You have been invited"
    ).click()
    frame = page.frame_locator("iframe[title='HTML body']")
    with page.context.expect_page() as opened:
        frame.get_by_role("link", name="Accept the invite").click()
    app = opened.value
    app.wait_for_url(re.compile(r"^http://localhost:3000/#access_token="))

    page.goto(studio.url + f"/studio/auth/users/?q={email}")
    row = page.get_by_role("row").filter(has_text=email)
    expect(row.get_by_text("Confirmed")).to_be_visible()
    assert studio.failed_requests == []


def test_ban_for_an_hour_from_the_page_refuses_sign_in_until_unbanned(
    studio, studio_live
):
    email = unique_email("banpage")
    user = admin_create(studio_live, email, password=PASSWORD, email_confirm=True)
    page = studio.goto(f"/studio/auth/users/{user['id']}/")

    page.get_by_label("Ban for").select_option(label="1 hour")
    page.get_by_role("button", name="Ban", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("button", name="Unban")).to_be_visible()
    shown = page.get_by_test_id("banned-until").locator("time")
    until = datetime.fromisoformat(shown.get_attribute("datetime"))
    expect(page.get_by_test_id("banned-until")).to_contain_text(
        f"Banned until {until:%Y-%m-%d %H:%M:%S} UTC"
    )
    studio.screenshot("auth-user-banned")
    banned = password_sign_in(studio_live, email)

    page.get_by_role("button", name="Unban").click()
    expect(page.get_by_label("Ban for")).to_be_visible()
    expect(page.get_by_text("Confirmed", exact=True)).to_be_visible()
    unbanned = password_sign_in(studio_live, email)

    assert timedelta(minutes=59) < until - datetime.now(UTC) <= timedelta(hours=1)
    assert banned.status_code == 400
    assert banned.json()["error_code"] == "user_banned"
    assert unbanned.status_code == 200
    assert studio.failed_requests == []


def test_ban_with_an_own_duration_shows_the_api_error_for_a_bad_one(
    studio, studio_live
):
    user = admin_create(studio_live, unique_email("banother"), email_confirm=True)
    page = studio.goto(f"/studio/auth/users/{user['id']}/")
    expect(page.get_by_label("Duration")).to_be_hidden()

    page.get_by_label("Ban for").select_option(label="Other duration…")
    page.get_by_label("Duration").fill("2 days")
    page.get_by_role("button", name="Ban", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("alert")).to_have_text(
        "invalid format for ban duration: "
        'time: unknown unit " days" in duration "2 days"'
    )
    page.get_by_label("Duration").fill("48h")
    page.get_by_role("button", name="Ban", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("button", name="Unban")).to_be_visible()

    detail = operator_client(studio_live.url).get(
        f"/studio/api/auth/users/{user['id']}/"
    )
    until = datetime.fromisoformat(detail.json()["banned_until"])
    assert timedelta(hours=47) < until - datetime.now(UTC) <= timedelta(hours=48)


def test_revoke_one_session_from_the_page_ends_only_its_refresh_token(
    studio, studio_live
):
    email = unique_email("revokepage")
    user = admin_create(studio_live, email, password=PASSWORD, email_confirm=True)
    phone = password_sign_in(studio_live, email, "phone-app/1.0").json()
    laptop = password_sign_in(studio_live, email, "laptop-browser/2.0").json()
    page = studio.goto(f"/studio/auth/users/{user['id']}/")
    sessions = page.get_by_role("table", name="Sessions")
    expect(sessions.get_by_role("row")).to_have_count(3)

    phone_row = sessions.get_by_role("row").filter(has_text="phone-app/1.0")
    phone_row.get_by_role("button", name="Revoke").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(sessions.get_by_role("row")).to_have_count(3)
    phone_row.get_by_role("button", name="Revoke").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()

    expect(phone_row).to_have_count(0)
    expect(
        sessions.get_by_role("row").filter(has_text="laptop-browser/2.0")
    ).to_be_visible()
    phone_refresh = refresh(studio_live, phone["refresh_token"])
    laptop_refresh = refresh(studio_live, laptop["refresh_token"])
    assert phone_refresh.status_code == 400
    assert phone_refresh.json()["error_code"] == "refresh_token_not_found"
    assert laptop_refresh.status_code == 200
    assert studio.failed_requests == []


def test_delete_an_mfa_factor_from_the_page(studio, studio_live):
    email = unique_email("factorpage")
    user = admin_create(studio_live, email, password=PASSWORD, email_confirm=True)
    token = password_sign_in(studio_live, email).json()["access_token"]
    enroll_totp(studio_live, token, "work phone")
    kept = enroll_totp(studio_live, token, "backup key")
    page = studio.goto(f"/studio/auth/users/{user['id']}/")
    factors = page.get_by_role("table", name="MFA factors")
    work_phone = factors.get_by_role("row").filter(has_text="work phone")
    expect(work_phone).to_contain_text("totp")

    work_phone.get_by_role("button", name="Delete factor").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete factor").click()

    expect(work_phone).to_have_count(0)
    expect(factors.get_by_role("row").filter(has_text="backup key")).to_be_visible()
    left = operator_client(studio_live.url).get(f"/studio/api/auth/users/{user['id']}/")
    assert [f["id"] for f in left.json()["factors"]] == [kept["id"]]
    assert studio.failed_requests == []


def test_delete_asks_first_then_removes_the_user(studio, studio_live):
    email = unique_email("deletepage")
    user = admin_create(studio_live, email)
    page = studio.goto(f"/studio/auth/users/{user['id']}/")

    page.get_by_role("button", name="Delete user").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    page.reload()
    expect(page.get_by_role("heading", name=email)).to_be_visible()
    page.get_by_role("button", name="Delete user").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete user").click()

    page.wait_for_url(studio.url + "/studio/auth/users/")
    page.get_by_label("Search users").fill(email)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text(f"No user matches “{email}”.")).to_be_visible()


def test_hostile_metadata_shows_as_text(studio, studio_live):
    email = unique_email("xss")
    user = admin_create(studio_live, email, user_metadata={"full_name": XSS})

    page = studio.goto(f"/studio/auth/users/?q={email}")
    page.get_by_role("link", name=email).click()

    assert XSS in page.get_by_test_id("user-metadata").inner_text()
    assert page.locator("main img").count() == 0
    assert user["user_metadata"]["full_name"] == XSS


def test_settings_and_templates_pages_render(studio):
    page = studio.goto("/studio/auth/settings/")
    expect(page.get_by_role("heading", name="Providers")).to_be_visible()
    nav = page.get_by_role("navigation", name="Studio")
    assert nav.get_by_role("link", name="Auth").get_attribute("aria-current") == "page"
    studio.screenshot("auth-settings")

    page.get_by_role("link", name="Email templates").click()
    page.get_by_role("heading", name=re.compile("You have been invited")).wait_for()

    assert page.locator("iframe[sandbox='']").count() == 7
    invite = page.frame_locator("iframe[title='invite HTML preview']")
    invite.get_by_role("link", name="Accept the invite").wait_for()
    studio.screenshot("auth-templates")
    assert studio.failed_requests == []
