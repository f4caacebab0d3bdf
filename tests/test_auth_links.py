"""Invites, generated links and reauthentication."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from supabase import create_client
from supabase_auth.errors import AuthApiError

from tests.test_auth import new_client, signed_up_and_confirmed, unique_email


def admin(server):
    return create_client(server.url, server.service_key).auth.admin


def test_invite_mails_a_link_that_confirms_and_signs_in(auth_live, mailbox):
    email = unique_email()

    invited = (
        admin(auth_live).invite_user_by_email(email, {"data": {"team": "red"}}).user
    )
    text = mailbox[0].last_to(email).get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"(http\S+type=invite\S*)", text).group(1)
    fragment = parse_qs(urlparse(httpx.get(link).headers["location"]).fragment)

    assert invited.email == email and invited.invited_at is not None
    assert invited.user_metadata == {"team": "red"}
    assert fragment["type"] == ["invite"]
    me = httpx.get(
        f"{auth_live.url}/auth/v1/user",
        headers={
            "apikey": auth_live.anon_key,
            "Authorization": f"Bearer {fragment['access_token'][0]}",
        },
    ).json()
    assert me["email_confirmed_at"] is not None


def test_inviting_a_confirmed_user_is_refused(auth_live, mailbox):
    _, email, _ = signed_up_and_confirmed(auth_live, mailbox)

    with pytest.raises(AuthApiError) as error:
        admin(auth_live).invite_user_by_email(email)

    assert error.value.code == "email_exists"


def test_generated_magic_link_and_code_work_without_mail(auth_live, mailbox):
    _, email, _ = signed_up_and_confirmed(auth_live, mailbox)
    sent = len(mailbox[0].messages)

    generated = admin(auth_live).generate_link({"type": "magiclink", "email": email})
    by_hash = new_client(auth_live).auth.verify_otp(
        {"token_hash": generated.properties.hashed_token, "type": "magiclink"}
    )

    assert len(mailbox[0].messages) == sent
    assert generated.properties.verification_type == "magiclink"
    assert generated.properties.action_link.startswith(
        f"{auth_live.url}/auth/v1/verify?"
    )
    assert re.fullmatch(r"\d{6}", generated.properties.email_otp)
    assert by_hash.session.user.email == email


def test_generated_signup_link_creates_the_user(auth_live):
    email = unique_email()

    generated = admin(auth_live).generate_link(
        {"type": "signup", "email": email, "password": "correct horse"}
    )
    redirect = httpx.get(generated.properties.action_link)

    assert generated.user.email == email
    assert "access_token" in urlparse(redirect.headers["location"]).fragment
    assert (
        new_client(auth_live)
        .auth.sign_in_with_password({"email": email, "password": "correct horse"})
        .session
    )


def test_generate_link_needs_the_service_role_and_a_known_type(auth_live):
    url = f"{auth_live.url}/auth/v1/admin/generate_link"
    body = {"type": "magiclink", "email": unique_email()}

    as_anon = httpx.post(
        url,
        json=body,
        headers={
            "apikey": auth_live.anon_key,
            "Authorization": f"Bearer {auth_live.anon_key}",
        },
    )
    bad_type = httpx.post(
        url,
        json={**body, "type": "teleport"},
        headers=auth_live.headers(key=auth_live.service_key),
    )
    unknown = httpx.post(
        url,
        json=body,
        headers=auth_live.headers(key=auth_live.service_key),
    )

    assert as_anon.status_code == 403 and as_anon.json()["error_code"] == "not_admin"
    assert (
        bad_type.status_code == 400
        and bad_type.json()["error_code"] == "validation_failed"
    )
    assert (
        unknown.status_code == 404 and unknown.json()["error_code"] == "user_not_found"
    )


def test_reauthentication_code_is_the_nonce_for_a_password_change(auth_live, mailbox):
    client, email, password = signed_up_and_confirmed(auth_live, mailbox)
    client.auth.sign_in_with_password({"email": email, "password": password})

    client.auth.reauthenticate()
    text = mailbox[0].last_to(email).get_body(preferencelist=("plain",)).get_content()
    code = re.search(r"(\d{6})", text).group(1)
    with pytest.raises(AuthApiError) as error:
        client.auth.update_user(
            {
                "password": "another secret",
                "nonce": "000000" if code != "000000" else "111111",
            }
        )
    client.auth.update_user({"password": "another secret", "nonce": code})

    assert error.value.code == "reauthentication_not_valid"
    assert (
        new_client(auth_live)
        .auth.sign_in_with_password({"email": email, "password": "another secret"})
        .session
    )


@pytest.mark.parametrize("side", ["email_change_new", "email_change_current"])
def test_generated_email_change_link_switches_the_address(auth_live, mailbox, side):
    client, email, _ = signed_up_and_confirmed(auth_live, mailbox)
    new_email = unique_email()
    sent = len(mailbox[0].messages)

    generated = admin(auth_live).generate_link(
        {"type": side, "email": email, "new_email": new_email}
    )
    assert generated.properties.verification_type == side
    assert generated.user.new_email == new_email
    assert "type=email_change" in generated.properties.action_link
    redirect = httpx.get(generated.properties.action_link)

    assert redirect.status_code in (302, 303)
    assert len(mailbox[0].messages) == sent  # nothing was mailed
    changed = admin(auth_live).get_user_by_id(generated.user.id).user
    assert changed.email == new_email and changed.new_email is None


def test_email_change_link_to_a_taken_address_is_refused(auth_live, mailbox):
    client, email, password = signed_up_and_confirmed(auth_live, mailbox)
    _, taken, _ = signed_up_and_confirmed(auth_live, mailbox)

    with pytest.raises(AuthApiError) as refused:
        admin(auth_live).generate_link(
            {"type": "email_change_new", "email": email, "new_email": taken}
        )
    assert refused.value.code == "email_exists"
    me = client.auth.sign_in_with_password({"email": email, "password": password})
    assert me.user.email == email and me.user.new_email is None
