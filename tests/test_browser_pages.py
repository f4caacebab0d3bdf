"""Browser pages keep Django's cookie middleware; the APIs do without it."""

from __future__ import annotations

import re

import httpx


def test_studio_login_requires_a_csrf_token(live):
    with httpx.Client(base_url=live.url) as browser:
        page = browser.get("/studio/login/")
        token = re.search(
            r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text
        ).group(1)
        without = httpx.post(
            f"{live.url}/studio/login/", data={"username": "x", "password": "y"}
        )
        with_token = browser.post(
            "/studio/login/",
            data={
                "csrfmiddlewaretoken": token,
                "username": "x@example.com",
                "password": "y",
            },
            headers={"Origin": live.url},
        )

    assert page.status_code == 200
    assert without.status_code == 403
    assert with_token.status_code == 200
    assert "Please enter a correct email and password" in with_token.text


def test_admin_sign_in_is_the_studios(live):
    response = httpx.get(f"{live.url}/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response.headers["location"] == "/studio/login/?next=/admin/"


def test_api_writes_need_no_csrf_token_and_set_no_cookies(live, rest):
    response = rest.post("/notes", json={"body": "no csrf"}, headers=live.headers())

    assert response.status_code == 201
    assert "set-cookie" not in response.headers


def test_cors_preflight_and_headers_for_browser_apps(live, rest):
    preflight = rest.options(
        "/todos",
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "apikey, authorization, content-type, prefer",
        },
    )
    read = rest.get(
        "/notes?select=id",
        headers={**live.headers(), "Origin": "http://localhost:5173"},
    )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "prefer" in preflight.headers["access-control-allow-headers"]
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    assert read.headers["access-control-allow-origin"] == "*"
    assert "Content-Range" in read.headers["access-control-expose-headers"]
