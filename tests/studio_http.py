"""An httpx client signed in to the Studio as the operator, for JSON tests."""

from __future__ import annotations

import httpx

from tests.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD


def operator_client(url: str) -> httpx.Client:
    """Signed in through the real login form; `csrf` header ready for writes."""
    client = httpx.Client(base_url=url)
    client.get("/studio/login/")
    response = client.post(
        "/studio/login/",
        data={
            "username": OPERATOR_EMAIL,
            "password": OPERATOR_PASSWORD,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert response.status_code == 302, response.text
    return client


def csrf(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies["csrftoken"]}
