"""An httpx client signed in to the Studio as the operator, for JSON endpoint
tests: the session cookie, and the CSRF token sent on writes when asked."""

from __future__ import annotations

import httpx

from tests.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD


class StudioClient:
    def __init__(
        self, url: str, email: str = OPERATOR_EMAIL, password: str = OPERATOR_PASSWORD
    ) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.http.get("/studio/login/")
        response = self.http.post(
            "/studio/login/",
            data={
                "username": email,
                "password": password,
                "csrfmiddlewaretoken": self.http.cookies["csrftoken"],
            },
        )
        assert response.status_code == 302, response.text

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(path, **kwargs)

    def send(
        self, method: str, path: str, body: object = None, *, csrf: bool = True
    ) -> httpx.Response:
        headers = {"X-CSRFToken": self.http.cookies["csrftoken"]} if csrf else {}
        return self.http.request(method, path, json=body, headers=headers)
