"""Operators sign in to the Studio and admin; app users never can, and an
operator's password never opens `/auth/v1`."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD, run_cli


def test_root_leads_to_the_studio_sign_in(studio_live):
    response = httpx.get(studio_live.url + "/", follow_redirects=True)

    assert response.status_code == 200
    assert str(response.url) == studio_live.url + "/studio/login/?next=/studio/"


def test_operator_signs_in_and_stylesheets_load(studio):
    page = studio.goto("/studio/")

    assert page.get_by_role("heading", name="Overview").is_visible()
    studio.screenshot("overview")
    page.goto(studio.url + "/admin/")
    assert page.get_by_role("link", name="KoyaLite admin").is_visible()
    # Django admin's own stylesheet, served hashed and compressed.
    color = page.evaluate(
        "getComputedStyle(document.querySelector('#header')).backgroundColor"
    )
    assert color != "rgba(0, 0, 0, 0)"
    studio.screenshot("admin-index")
    assert studio.failed_requests == []


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
