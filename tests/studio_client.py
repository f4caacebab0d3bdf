"""An httpx client signed in to the Studio as an operator, for the Studio's
JSON endpoints: session cookie plus the CSRF token Django checks on writes."""

from __future__ import annotations

import httpx

from tests.conftest import ALICE, OPERATOR_EMAIL, OPERATOR_PASSWORD, LiveServer


def operator_client(server: LiveServer) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=15)
    client.get("/studio/login/")
    token = client.cookies["csrftoken"]
    response = client.post(
        "/studio/login/",
        data={
            "csrfmiddlewaretoken": token,
            "username": OPERATOR_EMAIL,
            "email": OPERATOR_EMAIL,
            "password": OPERATOR_PASSWORD,
        },
        headers={"Referer": server.url + "/studio/login/"},
    )
    assert response.status_code == 302, response.text
    return client


def csrf_headers(client: httpx.Client, server: LiveServer) -> dict[str, str]:
    return {
        "X-CSRFToken": client.cookies["csrftoken"],
        "Referer": server.url + "/studio/",
    }


def app_user_headers(server: LiveServer) -> dict[str, str]:
    """What an app user's browser holds: the anon key and alice's JWT."""
    return {
        "apikey": server.anon_key,
        "Authorization": f"Bearer {server.token(ALICE)}",
    }
