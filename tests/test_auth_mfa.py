"""TOTP multi-factor authentication with supabase-py's `auth.mfa` API."""

from __future__ import annotations

import time
import uuid

import httpx
import jwt
import pyotp
import pytest
from supabase_auth.errors import AuthApiError

from tests.test_auth import new_client, signed_up_and_confirmed


def next_code(secret: str) -> str:
    """A code for a time step the factor has not accepted yet."""
    return pyotp.TOTP(secret).at(int(time.time()) + 30)


def enrolled_user(auth_live, mailbox):
    client, email, password = signed_up_and_confirmed(auth_live, mailbox)
    client.auth.sign_in_with_password({"email": email, "password": password})
    factor = client.auth.mfa.enroll({"factor_type": "totp", "friendly_name": "phone"})
    return client, email, password, factor


def test_enroll_returns_secret_uri_and_qr_code(auth_live, mailbox):
    client, email, _, factor = enrolled_user(auth_live, mailbox)

    assert factor.type == "totp"
    assert (
        factor.totp.uri.startswith("otpauth://totp/")
        and email.replace("@", "%40") in factor.totp.uri
    )
    assert factor.totp.qr_code.startswith("data:image/svg+xml;utf-8,<svg")
    assert [f.status for f in client.auth.get_user().user.factors] == ["unverified"]


def test_verifying_a_code_lifts_the_session_to_aal2(auth_live, mailbox):
    client, _, _, factor = enrolled_user(auth_live, mailbox)
    before = client.auth.get_session()

    challenge = client.auth.mfa.challenge({"factor_id": factor.id})
    verified = client.auth.mfa.verify(
        {
            "factor_id": factor.id,
            "challenge_id": challenge.id,
            "code": pyotp.TOTP(factor.totp.secret).now(),
        }
    )

    claims = jwt.decode(
        verified.access_token,
        auth_live.secret,
        algorithms=["HS256"],
        audience="authenticated",
    )
    old_claims = jwt.decode(
        before.access_token,
        auth_live.secret,
        algorithms=["HS256"],
        audience="authenticated",
    )
    assert claims["aal"] == "aal2"
    assert [m["method"] for m in claims["amr"]] == ["password", "totp"]
    assert claims["session_id"] == old_claims["session_id"]
    assert client.auth.mfa.get_authenticator_assurance_level().current_level == "aal2"
    assert [f.status for f in client.auth.get_user().user.factors] == ["verified"]


def test_a_code_works_once_and_wrong_codes_fail(auth_live, mailbox):
    client, _, _, factor = enrolled_user(auth_live, mailbox)
    code = pyotp.TOTP(factor.totp.secret).now()
    first = client.auth.mfa.challenge({"factor_id": factor.id})
    client.auth.mfa.verify(
        {"factor_id": factor.id, "challenge_id": first.id, "code": code}
    )

    for attempt in (code, "000000" if code != "000000" else "111111"):
        again = client.auth.mfa.challenge({"factor_id": factor.id})
        with pytest.raises(AuthApiError) as error:
            client.auth.mfa.verify(
                {"factor_id": factor.id, "challenge_id": again.id, "code": attempt}
            )
        assert error.value.code == "mfa_verification_failed"


def test_old_refresh_tokens_cannot_mint_aal1_tokens_after_mfa(auth_live, mailbox):
    client, _, _, factor = enrolled_user(auth_live, mailbox)
    aal1 = client.auth.get_session()
    client.auth.mfa.challenge_and_verify(
        {"factor_id": factor.id, "code": pyotp.TOTP(factor.totp.secret).now()}
    )

    with pytest.raises(AuthApiError):
        new_client(auth_live).auth.refresh_session(aal1.refresh_token)


def test_unenrolling_a_verified_factor_needs_aal2(auth_live, mailbox):
    client, email, password, factor = enrolled_user(auth_live, mailbox)
    client.auth.mfa.challenge_and_verify(
        {"factor_id": factor.id, "code": pyotp.TOTP(factor.totp.secret).now()}
    )
    other = new_client(auth_live)
    other.auth.sign_in_with_password({"email": email, "password": password})

    with pytest.raises(AuthApiError) as error:
        other.auth.mfa.unenroll({"factor_id": factor.id})
    removed = client.auth.mfa.unenroll({"factor_id": factor.id})

    assert error.value.code == "insufficient_aal"
    assert removed.id == factor.id
    assert client.auth.get_user().user.factors == []


def test_policies_can_require_aal2(auth_live, mailbox):
    auth_live.sql(
        """
        create table vault_items (id integer primary key, secret text);
        insert into vault_items (secret) values ('gold');
        alter table vault_items enable row level security;
        create policy "signed in" on vault_items for select to authenticated using (true);
        create policy "mfa only" on vault_items as restrictive for select to authenticated
          using ((auth.jwt() ->> 'aal') = 'aal2');
        """
    )
    client, _, _, factor = enrolled_user(auth_live, mailbox)

    before = client.table("vault_items").select("secret").execute().data
    client.auth.mfa.challenge_and_verify(
        {"factor_id": factor.id, "code": pyotp.TOTP(factor.totp.secret).now()}
    )
    after = client.table("vault_items").select("secret").execute().data

    assert before == []
    assert after == [{"secret": "gold"}]


def test_unknown_factor_and_expired_challenge(auth_live, mailbox):
    client, _, _, factor = enrolled_user(auth_live, mailbox)

    with pytest.raises(AuthApiError) as missing:
        client.auth.mfa.challenge({"factor_id": "00000000-0000-4000-8000-000000000000"})
    with pytest.raises(AuthApiError) as expired:
        client.auth.mfa.verify(
            {
                "factor_id": factor.id,
                "challenge_id": "00000000-0000-4000-8000-000000000000",
                "code": next_code(factor.totp.secret),
            }
        )

    assert missing.value.code == "mfa_factor_not_found"
    assert expired.value.code == "mfa_challenge_expired"


def verified_user(auth_live, mailbox):
    client, email, password, factor = enrolled_user(auth_live, mailbox)
    client.auth.mfa.challenge_and_verify(
        {"factor_id": factor.id, "code": pyotp.TOTP(factor.totp.secret).now()}
    )
    return client, factor


def aal_of(client, auth_live) -> str:
    token = client.auth.refresh_session().session.access_token
    claims = jwt.decode(
        token, auth_live.secret, algorithms=["HS256"], audience="authenticated"
    )
    return claims["aal"]


def test_unenrolling_takes_the_session_back_to_aal1(auth_live, mailbox):
    client, factor = verified_user(auth_live, mailbox)
    assert aal_of(client, auth_live) == "aal2"

    client.auth.mfa.unenroll({"factor_id": factor.id})

    assert aal_of(client, auth_live) == "aal1"


def test_admin_lists_renames_and_deletes_a_users_factor(auth_live, mailbox):
    from supabase import create_client

    client, factor = verified_user(auth_live, mailbox)
    user_id = client.auth.get_user().user.id
    admin = create_client(auth_live.url, auth_live.service_key).auth.admin

    [listed] = admin.mfa.list_factors({"user_id": user_id})
    assert listed.id == factor.id and listed.status == "verified"
    renamed = httpx.put(
        f"{auth_live.url}/auth/v1/admin/users/{user_id}/factors/{factor.id}",
        json={"friendly_name": "old phone"},
        headers=auth_live.headers(key=auth_live.service_key),
    )
    assert renamed.status_code == 200 and renamed.json()["friendly_name"] == "old phone"

    # The user lost their phone: support removes the factor.
    deleted = admin.mfa.delete_factor({"user_id": user_id, "id": factor.id})

    assert deleted.id == factor.id
    assert admin.mfa.list_factors({"user_id": user_id}) == []
    assert aal_of(client, auth_live) == "aal1"


def test_admin_factor_endpoints_refuse_strangers_and_unknown_ids(auth_live, mailbox):
    client, factor = verified_user(auth_live, mailbox)
    user_id = client.auth.get_user().user.id
    other, _ = verified_user(auth_live, mailbox)
    service = auth_live.headers(key=auth_live.service_key)
    url = f"{auth_live.url}/auth/v1/admin/users"

    as_user = httpx.get(
        f"{url}/{user_id}/factors",
        headers={
            "apikey": auth_live.anon_key,
            "Authorization": f"Bearer {client.auth.get_session().access_token}",
        },
    )
    someone_elses = httpx.delete(
        f"{url}/{other.auth.get_user().user.id}/factors/{factor.id}", headers=service
    )
    unknown_user = httpx.get(f"{url}/{uuid.uuid4()}/factors", headers=service)

    assert as_user.status_code == 403 and as_user.json()["error_code"] == "not_admin"
    assert someone_elses.status_code == 404
    assert someone_elses.json()["error_code"] == "mfa_factor_not_found"
    assert unknown_user.status_code == 404
    assert [f.id for f in client.auth.get_user().user.factors] == [factor.id]
