"""Password rules (GoTrue's `weak_password` reasons) through Django's
validators, on a server configured with all of them."""

from __future__ import annotations

import uuid

import pytest
from supabase_auth.errors import AuthWeakPasswordError

from tests.conftest import new_project, start_server, stop_server
from tests.test_auth import new_client


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    server = start_server(
        new_project(tmp_path_factory.mktemp("strict")),
        env_extra={
            "KOYALITE_AUTH_AUTOCONFIRM": "true",
            "KOYALITE_AUTH_PASSWORD_MIN_LENGTH": "8",
            "KOYALITE_AUTH_PASSWORD_REQUIRED_CHARACTERS": (
                "abcdefghijklmnopqrstuvwxyz:ABCDEFGHIJKLMNOPQRSTUVWXYZ:0123456789"
            ),
            "KOYALITE_AUTH_PASSWORD_REJECT_COMMON": "true",
        },
    )
    yield server
    stop_server(server)


def sign_up(server, password: str):
    email = f"pw-{uuid.uuid4().hex[:10]}@example.com"
    return new_client(server).auth.sign_up({"email": email, "password": password})


@pytest.mark.parametrize(
    ("password", "reasons"),
    [
        ("Ab1", ["length"]),  # every kind of character, but short
        ("lowercase9only", ["characters"]),  # no capital
        ("Password1", ["pwned"]),  # in the common-password list
        ("short", ["characters", "length"]),
    ],
)
def test_weak_passwords_are_refused_with_gotrues_reasons(strict, password, reasons):
    with pytest.raises(AuthWeakPasswordError) as error:
        sign_up(strict, password)
    assert error.value.code == "weak_password"
    assert error.value.status == 422
    assert sorted(error.value.reasons) == reasons


def test_a_strong_password_passes(strict):
    assert sign_up(strict, "Tr0ub4dor&3x").session is not None


def test_the_length_message_is_gotrues(strict):
    with pytest.raises(AuthWeakPasswordError) as error:
        sign_up(strict, "Aa1")
    assert error.value.message == "Password should be at least 8 characters."
