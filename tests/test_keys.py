"""API keys and access tokens on /rest/v1."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from tests.conftest import ALICE


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_missing_apikey_is_401(rest):
    response = rest.get("/notes")

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_unknown_apikey_is_401(rest):
    response = rest.get("/notes", headers={"apikey": "not-a-key"})

    assert response.status_code == 401


def test_bearer_equal_to_a_key_is_that_key(live, rest):
    anon = rest.get(
        "/todos?select=id",
        headers={"apikey": live.anon_key, "Authorization": f"Bearer {live.anon_key}"},
    )
    service = rest.get(
        "/todos?select=id",
        headers={
            "apikey": live.anon_key,
            "Authorization": f"Bearer {live.service_key}",
        },
    )

    assert anon.json() == []
    assert len(service.json()) >= 5


def test_user_token_sets_authenticated_role(live, rest):
    response = rest.get("/todos?select=owner", headers=live.headers(ALICE))

    assert {r["owner"] for r in response.json()} == {ALICE}


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda live: live.token(ALICE, exp=int(time.time()) - 10), id="expired"
        ),
        pytest.param(lambda live: live.token(ALICE)[:-4] + "AAAA", id="tampered"),
        pytest.param(
            lambda live: jwt.encode(
                {"sub": ALICE, "role": "authenticated"}, "x" * 40, algorithm="HS256"
            ),
            id="wrong-secret",
        ),
        pytest.param(
            lambda live: (
                _b64({"alg": "none", "typ": "JWT"})
                + "."
                + _b64({"sub": ALICE, "role": "service_role"})
                + "."
            ),
            id="alg-none",
        ),
        pytest.param(
            lambda live: live.token(ALICE, role="postgres"), id="unknown-role"
        ),
        pytest.param(lambda live: "garbage", id="garbage"),
    ],
)
def test_bad_tokens_are_401_with_www_authenticate(live, rest, make_token):
    response = rest.get(
        "/todos",
        headers={
            "apikey": live.anon_key,
            "Authorization": f"Bearer {make_token(live)}",
        },
    )

    assert response.status_code == 401
    body = response.json()
    assert body["code"] in ("PGRST301", "PGRST303")
    assert set(body) == {"code", "message", "details", "hint"}
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_service_role_token_signed_with_project_secret_bypasses_rls(live, rest):
    token = jwt.encode({"role": "service_role"}, live.secret, algorithm="HS256")

    response = rest.get(
        "/todos?select=id",
        headers={"apikey": live.anon_key, "Authorization": f"Bearer {token}"},
    )

    assert len(response.json()) >= 5


def test_secrets_never_reach_the_log(live, rest):
    token = live.token(ALICE)
    rest.get(
        "/todos?select=id",
        headers={"apikey": live.anon_key, "Authorization": f"Bearer {token}"},
    )
    rest.get(
        "/todos?title=eq.very-secret-filter-value",
        headers=live.headers(key=live.service_key),
    )

    log = live.log.read_text()
    assert '"request.finished"' in log
    assert token not in log
    assert live.anon_key not in log
    assert live.service_key not in log
    assert live.secret not in log
    assert "very-secret-filter-value" not in log


def test_log_lines_are_json_with_request_fields(live, rest):
    rest.get(
        "/notes?select=id", headers={**live.headers(), "X-Request-Id": "trace-me-123"}
    )

    lines = [
        json.loads(line)
        for line in live.log.read_text().splitlines()
        if "trace-me-123" in line
    ]
    assert lines, "request line missing"
    line = lines[-1]
    assert line["event"] == "request.finished"
    assert line["method"] == "GET"
    assert line["path"] == "/rest/v1/notes"
    assert line["status"] == 200
    assert line["role"] == "anon"
    assert isinstance(line["duration_ms"], float)
