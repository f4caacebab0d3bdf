"""Password hashes: Argon2id for new ones, bcrypt imported from Supabase."""

from __future__ import annotations

import bcrypt
import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password

from accounts.errors import ValidationFailed
from accounts.services import normalize_email


def test_new_passwords_are_argon2id_at_the_chosen_cost():
    encoded = make_password("correct horse")

    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("correct horse", encoded)


def test_imported_bcrypt_verifies_long_passwords_as_go_does():
    long_password = "p" * 80
    imported = (
        "bcrypt$"
        + bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(4)).decode()
    )

    assert identify_hasher(imported).algorithm == "bcrypt"
    assert check_password(long_password, imported)
    assert not check_password("q" * 80, imported)


@pytest.mark.parametrize(
    "address", ["@", "a@", "@b", "no-at-sign", "two@@example.com", " "]
)
def test_malformed_addresses_are_refused(address):
    with pytest.raises(ValidationFailed):
        normalize_email(address)


def test_addresses_are_stored_lowercase_and_trimmed():
    assert normalize_email("  Ada@Example.COM ") == "ada@example.com"
