"""Manual identity linking (`/user/identities`) through supabase-py, against
the fake OpenID Connect / GitHub provider of test_auth_oauth.py."""

# ruff: noqa: F811  (pytest fixtures imported from test_auth_oauth.py)

from __future__ import annotations

import uuid

import httpx
import pytest
from supabase import create_client
from supabase_auth.errors import AuthApiError

from tests.test_auth import new_client
from tests.test_auth_oauth import (  # noqa: F401  (fixtures)
    fake_provider,
    fragment_of,
    github_user,
    oauth_live,
    person,
    sign_in,
)


def password_user(server) -> tuple[object, str]:
    """A signed-in email user of `server`, and their address."""
    email = f"link-{uuid.uuid4().hex[:10]}@example.com"
    admin = create_client(server.url, server.service_key).auth.admin
    admin.create_user(
        {"email": email, "password": "pw-0123456789", "email_confirm": True}
    )
    client = new_client(server)
    client.auth.sign_in_with_password({"email": email, "password": "pw-0123456789"})
    return client, email


def link(server, provider, client, user: dict, via: str = "github") -> str:
    """Link `user`'s account at `via` to the client's user; the final redirect."""
    started = client.auth.link_identity(
        {"provider": via, "options": {"redirect_to": "http://localhost:5173/linked"}}
    )
    provider.user = user
    to_callback = httpx.get(started.url)  # the browser at the provider
    assert to_callback.status_code == 302
    final = httpx.get(to_callback.headers["location"])
    assert final.status_code == 302, final.text
    return final.headers["location"]


def with_github(server, provider):
    """A signed-in email user with a fresh GitHub account linked."""
    client, email = password_user(server)
    address = f"gh-{uuid.uuid4().hex[:8]}@example.com"
    link(server, provider, client, github_user(address))
    return client


def test_a_signed_in_user_links_github_and_keeps_signing_in_both_ways(
    oauth_live, fake_provider
):
    client, email = password_user(oauth_live)
    gh = github_user(f"gh-{uuid.uuid4().hex[:8]}@example.com")
    location = link(oauth_live, fake_provider, client, gh)

    assert location.startswith("http://localhost:5173/linked#")
    tokens = fragment_of(location)
    me = client.auth.get_user(tokens["access_token"]).user
    assert [i.provider for i in me.identities] == ["email", "github"]
    assert me.app_metadata["providers"] == ["email", "github"]
    assert me.email == email  # the linked account's address does not replace it

    # Signing in with GitHub now reaches the same user.
    _, again = sign_in(oauth_live, fake_provider, gh, via="github")
    assert client.auth.get_user(fragment_of(again)["access_token"]).user.id == me.id


def test_an_account_linked_to_someone_else_is_refused(oauth_live, fake_provider):
    taken = github_user(f"taken-{uuid.uuid4().hex[:8]}@example.com")
    sign_in(oauth_live, fake_provider, taken, via="github")  # someone's account
    client, _ = password_user(oauth_live)

    location = link(oauth_live, fake_provider, client, taken)

    error = fragment_of(location)
    assert error["error_code"] == "identity_already_exists"
    assert error["error_description"] == "Identity is already linked to another user"
    me = client.auth.get_user().user
    assert [i.provider for i in me.identities] == ["email"]


def test_unlinking_removes_one_identity_but_never_the_last(oauth_live, fake_provider):
    client = with_github(oauth_live, fake_provider)
    email_identity, github = client.auth.get_user_identities().identities

    client.auth.unlink_identity(github)
    me = client.auth.get_user().user
    assert [i.provider for i in me.identities] == ["email"]
    assert me.app_metadata["providers"] == ["email"]

    with pytest.raises(AuthApiError) as last:
        client.auth.unlink_identity(email_identity)
    assert last.value.code == "single_identity_not_deletable"
    assert last.value.status == 422


def test_unlinking_the_email_identity_leaves_the_oauth_one(oauth_live, fake_provider):
    client, email = password_user(oauth_live)
    link(oauth_live, fake_provider, client, github_user(email))
    email_identity, _ = client.auth.get_user_identities().identities

    client.auth.unlink_identity(email_identity)

    me = client.auth.get_user().user
    assert [i.provider for i in me.identities] == ["github"]
    assert me.app_metadata == {"provider": "github", "providers": ["github"]}
    assert me.email == email  # GitHub vouches for the same address


def test_unknown_and_malformed_identity_ids(oauth_live, fake_provider):
    client = with_github(oauth_live, fake_provider)
    token = client.auth.get_session().access_token
    headers = {"apikey": oauth_live.anon_key, "Authorization": f"Bearer {token}"}

    unknown = httpx.delete(
        f"{oauth_live.url}/auth/v1/user/identities/{uuid.uuid4()}", headers=headers
    )
    assert unknown.status_code == 422
    assert unknown.json()["error_code"] == "identity_not_found"
    malformed = httpx.delete(
        f"{oauth_live.url}/auth/v1/user/identities/not-a-uuid", headers=headers
    )
    assert malformed.status_code == 404
    assert malformed.json()["error_code"] == "validation_failed"
    assert len(client.auth.get_user().user.identities) == 2


def test_another_users_identity_cannot_be_unlinked(oauth_live, fake_provider):
    owner = with_github(oauth_live, fake_provider)
    _, theirs = owner.auth.get_user_identities().identities
    intruder = with_github(oauth_live, fake_provider)

    with pytest.raises(AuthApiError) as refused:
        intruder.auth.unlink_identity(theirs)
    assert refused.value.code == "identity_not_found"
    assert len(owner.auth.get_user().user.identities) == 2


def test_an_anonymous_user_who_links_an_account_becomes_permanent(
    oauth_live, fake_provider
):
    client = new_client(oauth_live)
    anonymous = client.auth.sign_in_anonymously().user
    kc = person()
    location = link(oauth_live, fake_provider, client, kc, via="keycloak")

    me = client.auth.get_user(fragment_of(location)["access_token"]).user
    assert me.id == anonymous.id
    assert me.is_anonymous is False
    assert me.email == kc["email"] and me.email_confirmed_at is not None
    assert [i.provider for i in me.identities] == ["keycloak"]


def test_linking_needs_a_session(oauth_live):
    response = httpx.get(
        f"{oauth_live.url}/auth/v1/user/identities/authorize?provider=github",
        headers={"apikey": oauth_live.anon_key},
    )
    assert response.status_code == 401
    assert response.json()["error_code"] == "no_authorization"


def test_manual_linking_is_off_unless_enabled(auth_live):
    client = new_client(auth_live)
    client.auth.sign_in_anonymously()
    with pytest.raises(AuthApiError) as off:
        client.auth.link_identity({"provider": "github"})
    assert off.value.code == "manual_linking_disabled"
    assert off.value.status == 404
