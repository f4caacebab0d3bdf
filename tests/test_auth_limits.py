"""Request rate limits on /auth/v1, per client IP and per email address."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import (
    new_project,
    run_cli,
    start_server,
    start_up_error,
    stop_server,
)


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


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory):
    server = start_server(
        new_project(tmp_path_factory.mktemp("proxied")),
        env_extra={
            "KOYALITE_AUTH_RATE_LIMIT_SIGN_IN": "2",
            "KOYALITE_AUTH_RATE_LIMIT_HEADER": "X-Forwarded-For",
        },
    )
    yield server
    stop_server(server)


def sign_in_from(server, forwarded: str) -> int:
    # A new address each time: only the per-IP limit can answer 429.
    return httpx.post(
        f"{server.url}/auth/v1/token?grant_type=password",
        json={"email": f"{uuid.uuid4().hex}@example.com", "password": "nope!!"},
        headers={"apikey": server.anon_key, "X-Forwarded-For": forwarded},
    ).status_code


def test_behind_a_proxy_each_client_address_has_its_own_budget(behind_proxy):
    first = [sign_in_from(behind_proxy, "203.0.113.7") for _ in range(3)]
    second = [sign_in_from(behind_proxy, "203.0.113.8") for _ in range(2)]

    assert first == [400, 400, 429]
    assert second == [400, 400]


def test_addresses_a_client_puts_before_the_proxys_do_not_help(behind_proxy):
    # The proxy appends the address it saw; what the client sent comes first.
    statuses = [
        sign_in_from(behind_proxy, f"10.0.0.{i}, 198.51.100.9") for i in range(3)
    ]
    assert statuses == [400, 400, 429]


def test_a_bad_header_name_stops_start_up(tmp_path):
    error = start_up_error(
        tmp_path, "KOYALITE_AUTH_RATE_LIMIT_HEADER=X Forwarded: For\n"
    )
    assert "KOYALITE_AUTH_RATE_LIMIT_HEADER must be an HTTP header name" in error
