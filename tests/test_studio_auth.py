"""Operators sign in to the Studio and admin; app users never can, and an
operator's password never opens `/auth/v1`."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD, create_operator, run_cli
from tests.studio_http import operator_client


def test_root_leads_to_the_studio_sign_in(studio_live):
    response = httpx.get(studio_live.url + "/", follow_redirects=True)

    assert response.status_code == 200
    assert str(response.url) == studio_live.url + "/studio/login/?next=/studio/"


def test_operator_signs_in_and_stylesheets_load(studio):
    page = studio.goto("/studio/")

    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    studio.screenshot("overview")
    assert studio.console_errors == []
    page.goto(studio.url + "/admin/")
    expect(page.get_by_role("link", name="KoyaLite admin")).to_be_visible()
    # Django admin's own stylesheet, served hashed and compressed.
    color = page.evaluate(
        "getComputedStyle(document.querySelector('#header')).backgroundColor"
    )
    assert color != "rgba(0, 0, 0, 0)"
    studio.screenshot("admin-index")
    page.goto(studio.url + "/studio/account/")
    expect(page.get_by_role("heading", name="Authenticator app")).to_be_visible()
    studio.screenshot("account")
    assert studio.failed_requests == []


def test_sign_in_page_shows_the_error_in_the_form(browser, studio_live):
    from tests.conftest import SCREENSHOTS

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(studio_live.url + "/")
    page.get_by_label("Email").fill(OPERATOR_EMAIL)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    alert = page.get_by_role("alert")
    assert "Please enter a correct email and password" in alert.text_content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "sign-in.png"))
    context.close()


def test_operator_password_does_not_sign_in_to_the_app(studio_live):
    response = httpx.post(
        f"{studio_live.url}/auth/v1/token?grant_type=password",
        headers={"apikey": studio_live.anon_key},
        json={"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD},
    )

    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_credentials"


def test_operators_are_not_app_users(studio_live):
    headers = {
        "apikey": studio_live.service_key,
        "Authorization": f"Bearer {studio_live.service_key}",
    }
    # Other Studio tests add users to this shared server: ask by address.
    operator = httpx.get(
        f"{studio_live.url}/auth/v1/admin/users",
        params={"filter": OPERATOR_EMAIL},
        headers=headers,
    )
    seeded = httpx.get(
        f"{studio_live.url}/auth/v1/admin/users",
        params={"filter": "@example.com", "per_page": 1000},
        headers=headers,
    )

    assert operator.json()["users"] == []
    emails = {user["email"] for user in seeded.json()["users"]}
    assert {"alice@example.com", "bob@example.com", "carol@example.com"} <= emails


@pytest.mark.parametrize("path", ["/studio/", "/admin/", "/studio/account/"])
def test_app_user_credentials_never_reach_the_studio(studio_live, path):
    client = httpx.Client(base_url=studio_live.url)
    login = client.get("/studio/login/")
    token = client.cookies["csrftoken"]
    response = client.post(
        "/studio/login/",
        data={
            "username": "alice@example.com",
            "password": "pw-alice@example.com",
            "csrfmiddlewaretoken": token,
        },
    )
    assert login.status_code == 200
    assert response.status_code == 200  # the form again, with an error
    assert "Please enter a correct email and password" in response.text

    bearer = studio_live.token("00000000-0000-4000-8000-00000000a11c")
    page = client.get(path, headers={"Authorization": f"Bearer {bearer}"})
    assert page.status_code == 302
    assert "/login/" in page.headers["location"]


def test_sign_in_without_csrf_token_is_refused(studio_live):
    response = httpx.post(
        f"{studio_live.url}/studio/login/",
        data={"username": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD},
    )

    assert response.status_code == 403


def test_createsuperuser_works_on_a_project_never_served(tmp_path):
    project = tmp_path / "fresh"
    run_cli(project, "init", str(project))

    result = run_cli(
        project,
        "createsuperuser",
        "--email",
        "first@example.com",
        "--password-stdin",
        stdin="a-long-enough-secret-9\n",
    )

    assert "Superuser created successfully." in result.stdout


def test_createsuperuser_refuses_a_weak_password_in_one_line(tmp_path):
    project = tmp_path / "fresh"
    run_cli(project, "init", str(project))

    result = run_cli(
        project,
        "createsuperuser",
        "--email",
        "first@example.com",
        "--password-stdin",
        stdin="12345678\n",
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr.startswith("koyalite: This password is too common.")
    assert "Traceback" not in result.stderr


def test_authenticator_app_is_asked_for_after_the_password(studio_live, tmp_path):
    import re

    import pyotp

    email, password = "totp-operator@example.com", "totp-operator-pw-1"
    create_operator(studio_live.project, email, password)
    client = operator_client(studio_live.url, email, password)
    page = client.get("/studio/account/").text
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page).group(1)
    wrong = client.post(
        "/studio/account/",
        data={
            "action": "totp_enable",
            "secret": secret,
            "code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111",
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    enabled = client.post(
        "/studio/account/",
        data={
            "action": "totp_enable",
            "secret": secret,
            "code": pyotp.TOTP(secret).now(),
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert wrong.status_code == 400
    assert enabled.status_code == 302

    fresh = httpx.Client(base_url=studio_live.url)
    fresh.get("/studio/login/")
    step = fresh.post(
        "/studio/login/",
        data={
            "username": email,
            "password": password,
            "csrfmiddlewaretoken": fresh.cookies["csrftoken"],
        },
    )
    assert step.headers["location"] == "/studio/login/totp/"
    # The password alone signs nobody in.
    assert fresh.get("/studio/").status_code == 302
    bad = fresh.post(
        "/studio/login/totp/",
        data={"code": "12345", "csrfmiddlewaretoken": fresh.cookies["csrftoken"]},
    )
    good = fresh.post(
        "/studio/login/totp/",
        data={
            "code": pyotp.TOTP(secret).now(),
            "csrfmiddlewaretoken": fresh.cookies["csrftoken"],
        },
    )
    assert bad.status_code == 200 and "Enter a valid value" in bad.text
    assert good.status_code == 302
    assert fresh.get("/studio/").status_code == 200


def test_operator_sign_in_is_rate_limited(tmp_path):
    from tests.conftest import new_project, start_server, stop_server

    project = new_project(tmp_path)
    create_operator(project, "limited@example.com", "limited-operator-pw-1")
    server = start_server(project, {"KOYALITE_STUDIO_RATE_LIMIT_SIGN_IN": "3"})
    try:
        client = httpx.Client(base_url=server.url)
        client.get("/studio/login/")
        statuses = [
            client.post(
                "/studio/login/",
                data={
                    "username": "limited@example.com",
                    "password": "wrong-password",
                    "csrfmiddlewaretoken": client.cookies["csrftoken"],
                },
            ).status_code
            for _ in range(4)
        ]
        right = client.post(
            "/studio/login/",
            data={
                "username": "limited@example.com",
                "password": "limited-operator-pw-1",
                "csrfmiddlewaretoken": client.cookies["csrftoken"],
            },
        )
    finally:
        stop_server(server)

    assert statuses == [200, 200, 200, 429]
    assert right.status_code == 429
    assert "rate limit" in right.text


def test_init_and_serve_say_how_to_reach_the_studio(tmp_path, studio_live):
    project = tmp_path / "fresh"

    created = run_cli(project, "init", str(project))

    assert "Create a Studio operator: koyalite createsuperuser" in created.stdout
    assert f"Studio: {studio_live.url}/studio/" in studio_live.log.read_text()
