"""Sign-in with an OpenID Connect ID token (`grant_type=id_token`) through
supabase-py, verified by allauth against the fake issuer's published keys."""

# ruff: noqa: F811  (pytest fixtures imported from test_auth_oauth.py)

from __future__ import annotations

import hashlib
import time
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from supabase_auth.errors import AuthApiError

from tests.test_auth import new_client
from tests.test_auth_oauth import (  # noqa: F401  (fixtures)
    fake_provider,
    oauth_live,
    person,
)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_an_id_token_with_its_nonce_signs_in(oauth_live, fake_provider):
    user = person()
    nonce = uuid.uuid4().hex
    token = fake_provider.id_token({**user, "nonce": sha256(nonce)})

    session = (
        new_client(oauth_live)
        .auth.sign_in_with_id_token(
            {"provider": "keycloak", "token": token, "nonce": nonce}
        )
        .session
    )

    me = new_client(oauth_live).auth.get_user(session.access_token).user
    assert me.email == user["email"] and me.email_confirmed_at is not None
    assert me.identities[0].provider == "keycloak"
    assert me.identities[0].id == user["sub"]
    assert me.identities[0].identity_data["iss"] == fake_provider.url


def test_the_same_account_by_redirect_and_by_id_token_is_one_user(
    oauth_live, fake_provider
):
    from tests.test_auth_oauth import fragment_of, sign_in

    user = person()
    _, location = sign_in(oauth_live, fake_provider, user)
    by_redirect = new_client(oauth_live).auth.get_user(
        fragment_of(location)["access_token"]
    )
    session = (
        new_client(oauth_live)
        .auth.sign_in_with_id_token(
            {"provider": "keycloak", "token": fake_provider.id_token(user)}
        )
        .session
    )
    assert session.user.id == by_redirect.user.id


@pytest.mark.parametrize(
    ("change", "nonce", "message"),
    [
        ({"nonce": sha256("other")}, "mine", "Nonces mismatch"),
        ({"nonce": sha256("mine")}, None, "should either both exist or not"),
        ({}, "mine", "should either both exist or not"),
        ({"aud": "someone-else"}, None, "Bad ID token"),
        ({"iss": "https://evil.example"}, None, "Bad ID token"),
        ({"exp": int(time.time()) - 10}, None, "Bad ID token"),
    ],
)
def test_a_token_for_something_else_is_refused(
    oauth_live, fake_provider, change, nonce, message
):
    token = fake_provider.id_token({**person(), **change})
    with pytest.raises(AuthApiError) as refused:
        new_client(oauth_live).auth.sign_in_with_id_token(
            {"provider": "keycloak", "token": token, "nonce": nonce}
        )
    assert message in refused.value.message
    assert refused.value.status == 400


def test_a_token_signed_with_another_key_is_refused(oauth_live, fake_provider):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    token = fake_provider.id_token(person(), key=forger)
    with pytest.raises(AuthApiError) as refused:
        new_client(oauth_live).auth.sign_in_with_id_token(
            {"provider": "keycloak", "token": token}
        )
    assert refused.value.code == "bad_id_token"


def test_a_provider_without_id_tokens_or_not_enabled_is_refused(oauth_live):
    client = new_client(oauth_live)
    with pytest.raises(AuthApiError) as github:
        client.auth.sign_in_with_id_token({"provider": "github", "token": "x.y.z"})
    assert "does not support ID tokens" in github.value.message
    with pytest.raises(AuthApiError) as gitlab:
        client.auth.sign_in_with_id_token({"provider": "gitlab", "token": "x.y.z"})
    assert "provider is not enabled" in gitlab.value.message


def test_link_identity_attaches_the_token_account_to_the_signed_in_user(
    oauth_live, fake_provider
):
    import httpx

    client = new_client(oauth_live)
    anonymous = client.auth.sign_in_anonymously().session
    user = person()
    response = httpx.post(
        f"{oauth_live.url}/auth/v1/token?grant_type=id_token",
        headers={
            "apikey": oauth_live.anon_key,
            "Authorization": f"Bearer {anonymous.access_token}",
        },
        json={
            "provider": "keycloak",
            "id_token": fake_provider.id_token(user),
            "link_identity": True,
        },
    )
    assert response.status_code == 200, response.text
    linked = response.json()["user"]
    assert linked["id"] == anonymous.user.id
    assert linked["is_anonymous"] is False and linked["email"] == user["email"]

    unsigned = httpx.post(
        f"{oauth_live.url}/auth/v1/token?grant_type=id_token",
        headers={"apikey": oauth_live.anon_key},
        json={"provider": "keycloak", "id_token": "x", "link_identity": True},
    )
    assert unsigned.status_code == 401
