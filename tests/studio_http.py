"""httpx clients for the Studio's JSON endpoints: signed in as an operator
through the real sign-in form, with the CSRF token Django checks on writes."""

from __future__ import annotations

import httpx

from tests.conftest import ALICE, OPERATOR_EMAIL, OPERATOR_PASSWORD, LiveServer


def operator_client(
    server: LiveServer | str,
    email: str = OPERATOR_EMAIL,
    password: str = OPERATOR_PASSWORD,
) -> httpx.Client:
    url = server if isinstance(server, str) else server.url
    client = httpx.Client(base_url=url, timeout=30)
    client.get("/studio/login/")
    response = client.post(
        "/studio/login/",
        data={
            "username": email,
            "password": password,
            "csrfmiddlewaretoken": client.cookies["csrftoken"],
        },
    )
    assert response.status_code == 302, response.text
    return client


def csrf(client: httpx.Client) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies["csrftoken"]}


def csrf_headers(
    client: httpx.Client, server: LiveServer | None = None
) -> dict[str, str]:
    """The CSRF header, and the Referer a browser sends with it."""
    headers = csrf(client)
    if server is not None:
        headers["Referer"] = server.url + "/studio/"
    return headers


def app_user_headers(server: LiveServer) -> dict[str, str]:
    """What an app user's browser holds: the anon key and alice's JWT."""
    return {"apikey": server.anon_key, "Authorization": f"Bearer {server.token(ALICE)}"}


class StudioClient:
    """An operator's session with JSON helpers: `send` adds the CSRF token
    unless told not to."""

    def __init__(
        self, url: str, email: str = OPERATOR_EMAIL, password: str = OPERATOR_PASSWORD
    ) -> None:
        self.http = operator_client(url, email, password)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def send(
        self, method: str, path: str, body: object = None, *, csrf: bool = True
    ) -> httpx.Response:
        headers = {"X-CSRFToken": self.http.cookies["csrftoken"]} if csrf else {}
        return self.http.request(method, path, json=body, headers=headers)
