"""Request rate limits on /auth/v1, per client IP and per email address."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import run_cli, start_server, stop_server


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    project = tmp_path_factory.mktemp("limited") / "app"
    run_cli(project, "init", str(project))
    with (project / ".env").open("a") as env:
        env.write(
            "\nKOYALITE_AUTH_AUTOCONFIRM=true\n"
            "KOYALITE_AUTH_RATE_LIMIT_SIGN_IN=3\n"
            "KOYALITE_AUTH_RATE_LIMIT_OTP=2\n"
            "KOYALITE_AUTH_RATE_LIMIT_VERIFY=2\n"
        )
    server = start_server(project)
    yield server
    stop_server(server)


def post(server, path: str, body: dict) -> httpx.Response:
    return httpx.post(
        f"{server.url}/auth/v1/{path}", json=body, headers={"apikey": server.anon_key}
    )


def test_sign_in_attempts_are_limited_per_ip(limited):
    statuses = [
        post(
            limited,
            "token?grant_type=password",
            {"email": f"x{i}@example.com", "password": "nope!!"},
        ).status_code
        for i in range(4)
    ]

    assert statuses == [400, 400, 400, 429]
    blocked = post(
        limited, "signup", {"email": "new@example.com", "password": "long enough"}
    )
    assert blocked.status_code == 429
    assert blocked.json()["error_code"] == "over_request_rate_limit"


def test_otp_and_verify_are_limited(limited):
    otp = [
        post(limited, "recover", {"email": f"r{i}@example.com"}).status_code
        for i in range(3)
    ]
    verify = [
        post(
            limited,
            "verify",
            {"type": "email", "email": "v@example.com", "token": "000000"},
        ).status_code
        for _ in range(3)
    ]

    assert otp == [200, 200, 429]
    assert verify[:2] == [403, 403] and verify[2] == 429
