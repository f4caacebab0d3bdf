"""/auth/v1 with the official supabase-py auth client against a live server."""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from supabase import ClientOptions, create_client
from supabase_auth.errors import AuthApiError, AuthWeakPasswordError


def new_client(server):
    """A client on GoTrue's implicit flow: links carry tokens in the fragment.

    supabase-py defaults to PKCE; `pkce_client` tests that flow."""
    return create_client(
        server.url,
        server.anon_key,
        options=ClientOptions(auto_refresh_token=False, flow_type="implicit"),
    )


def unique_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def confirm_link(mailbox, email: str) -> str:
    box, _ = mailbox
    message = box.last_to(email)
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"(http\S+/auth/v1/verify\?\S+)", text).group(1)


def signed_up_and_confirmed(server, mailbox, password="correct horse"):
    client = new_client(server)
    email = unique_email()
    client.auth.sign_up({"email": email, "password": password})
    httpx.get(confirm_link(mailbox, email))
    return client, email, password


def test_sign_up_needs_email_confirmation_then_signs_in(auth_live, mailbox):
    client = new_client(auth_live)
    email = unique_email()

    response = client.auth.sign_up(
        {
            "email": email,
            "password": "correct horse",
            "options": {"data": {"name": "Ada"}},
        }
    )

    assert response.session is None
    assert response.user.email == email
    assert response.user.user_metadata == {"name": "Ada"}
    with pytest.raises(AuthApiError) as error:
        client.auth.sign_in_with_password({"email": email, "password": "correct horse"})
    assert error.value.code == "email_not_confirmed"

    redirect = httpx.get(confirm_link(mailbox, email))
    assert redirect.status_code == 302
    location = urlparse(redirect.headers["location"])
    fragment = parse_qs(location.fragment)
    assert f"{location.scheme}://{location.netloc}" == "http://app.example"
    assert fragment["type"] == ["signup"] and fragment["access_token"]

    session = client.auth.sign_in_with_password(
        {"email": email, "password": "correct horse"}
    ).session
    assert session.user.email_confirmed_at is not None
    assert session.token_type == "bearer"
    assert session.expires_in == 3600


def test_confirmation_email_has_text_and_html(auth_live, mailbox):
    client = new_client(auth_live)
    email = unique_email()
    client.auth.sign_up({"email": email, "password": "correct horse"})

    message = mailbox[0].last_to(email)

    assert message["Subject"] == "Confirm your sign-up"
    assert message.get_body(preferencelist=("html",)) is not None


def test_a_confirmation_link_works_once(auth_live, mailbox):
    client = new_client(auth_live)
    email = unique_email()
    client.auth.sign_up({"email": email, "password": "correct horse"})
    link = confirm_link(mailbox, email)

    first = httpx.get(link)
    second = httpx.get(link)

    assert "access_token" in urlparse(first.headers["location"]).fragment
    assert parse_qs(urlparse(second.headers["location"]).fragment)["error_code"] == [
        "otp_expired"
    ]


def test_redirect_outside_the_allow_list_goes_to_the_site_url(auth_live, mailbox):
    client = new_client(auth_live)
    allowed, evil = unique_email(), unique_email()
    client.auth.sign_up(
        {
            "email": allowed,
            "password": "correct horse",
            "options": {"email_redirect_to": "http://localhost:5173/welcome"},
        }
    )
    client.auth.sign_up(
        {
            "email": evil,
            "password": "correct horse",
            "options": {"email_redirect_to": "https://evil.example/steal"},
        }
    )

    good = httpx.get(confirm_link(mailbox, allowed)).headers["location"]
    bad = httpx.get(confirm_link(mailbox, evil)).headers["location"]

    assert good.startswith("http://localhost:5173/welcome#")
    assert bad.startswith("http://app.example#")


def test_access_token_claims_and_rest_with_rls(auth_live, mailbox):
    import jwt

    client, email, password = signed_up_and_confirmed(auth_live, mailbox)
    session = client.auth.sign_in_with_password(
        {"email": email, "password": password}
    ).session
    claims = jwt.decode(
        session.access_token,
        auth_live.secret,
        algorithms=["HS256"],
        audience="authenticated",
    )

    client.table("notes").insert({"owner": claims["sub"], "body": "mine"}).execute()
    other = new_client(auth_live)
    other_client, other_email, _ = signed_up_and_confirmed(auth_live, mailbox)
    other_client.auth.sign_in_with_password(
        {"email": other_email, "password": "correct horse"}
    )

    assert {
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "email",
        "phone",
        "app_metadata",
        "user_metadata",
        "role",
        "aal",
        "amr",
        "session_id",
        "is_anonymous",
    } <= set(claims)
    assert (
        claims["role"] == "authenticated"
        and claims["aal"] == "aal1"
        and claims["email"] == email
    )
    assert claims["amr"][0]["method"] == "password"
    assert [r["body"] for r in client.table("notes").select("body").execute().data] == [
        "mine"
    ]
    assert other_client.table("notes").select("body").execute().data == []
    assert other.table("notes").select("body").execute().data == []


def test_refresh_rotates_and_reuse_revokes_the_session(auth_live, mailbox):
    client, email, password = signed_up_and_confirmed(auth_live, mailbox)
    first = client.auth.sign_in_with_password(
        {"email": email, "password": password}
    ).session

    second = client.auth.refresh_session(first.refresh_token).session
    again = httpx.post(
        f"{auth_live.url}/auth/v1/token?grant_type=refresh_token",
        json={"refresh_token": first.refresh_token},
        headers={"apikey": auth_live.anon_key},
    )

    assert second.refresh_token != first.refresh_token
    # Within the reuse interval the same child comes back (two tabs, one refresh).
    assert again.status_code == 200
    assert again.json()["refresh_token"] == second.refresh_token

    time.sleep(2.5)
    replay = httpx.post(
        f"{auth_live.url}/auth/v1/token?grant_type=refresh_token",
        json={"refresh_token": first.refresh_token},
        headers={"apikey": auth_live.anon_key},
    )
    after = httpx.post(
        f"{auth_live.url}/auth/v1/token?grant_type=refresh_token",
        json={"refresh_token": second.refresh_token},
        headers={"apikey": auth_live.anon_key},
    )
    user = httpx.get(
        f"{auth_live.url}/auth/v1/user",
        headers={
            "apikey": auth_live.anon_key,
            "Authorization": f"Bearer {second.access_token}",
        },
    )

    assert (
        replay.status_code == 400
        and replay.json()["error_code"] == "refresh_token_already_used"
    )
    assert (
        after.status_code == 400
        and after.json()["error_code"] == "refresh_token_not_found"
    )
    assert user.status_code == 403 and user.json()["error_code"] == "session_not_found"


def test_get_and_update_user(auth_live, mailbox):
    client, email, password = signed_up_and_confirmed(auth_live, mailbox)
    client.auth.sign_in_with_password({"email": email, "password": password})

    fetched = client.auth.get_user().user
    updated = client.auth.update_user(
        {"data": {"theme": "dark"}, "password": "new password!"}
    ).user
    fresh = new_client(auth_live)
    with pytest.raises(AuthApiError):
        fresh.auth.sign_in_with_password({"email": email, "password": password})
    signed = fresh.auth.sign_in_with_password(
        {"email": email, "password": "new password!"}
    )

    assert fetched.email == email
    assert fetched.identities[0].provider == "email"
    assert updated.user_metadata == {"theme": "dark"}
    assert signed.session is not None


def test_sign_out_ends_the_session(auth_live, mailbox):
    client, email, password = signed_up_and_confirmed(auth_live, mailbox)
    session = client.auth.sign_in_with_password(
        {"email": email, "password": password}
    ).session

    client.auth.sign_out()

    refresh = httpx.post(
        f"{auth_live.url}/auth/v1/token?grant_type=refresh_token",
        json={"refresh_token": session.refresh_token},
        headers={"apikey": auth_live.anon_key},
    )
    user = httpx.get(
        f"{auth_live.url}/auth/v1/user",
        headers={
            "apikey": auth_live.anon_key,
            "Authorization": f"Bearer {session.access_token}",
        },
    )
    assert refresh.json()["error_code"] == "refresh_token_not_found"
    assert user.json()["error_code"] == "session_not_found"


def test_sign_out_scope_local_keeps_other_sessions(auth_live, mailbox):
    client, email, password = signed_up_and_confirmed(auth_live, mailbox)
    phone = new_client(auth_live)
    laptop = client.auth.sign_in_with_password(
        {"email": email, "password": password}
    ).session
    phone_session = phone.auth.sign_in_with_password(
        {"email": email, "password": password}
    ).session

    client.auth.sign_out({"scope": "local"})

    assert phone.auth.refresh_session(phone_session.refresh_token).session is not None
    gone = httpx.post(
        f"{auth_live.url}/auth/v1/token?grant_type=refresh_token",
        json={"refresh_token": laptop.refresh_token},
        headers={"apikey": auth_live.anon_key},
    )
    assert gone.json()["error_code"] == "refresh_token_not_found"


def test_wrong_email_and_wrong_password_look_the_same(auth_live, mailbox):
    _, email, _ = signed_up_and_confirmed(auth_live, mailbox)
    client = new_client(auth_live)

    errors = []
    for credentials in (
        {"email": email, "password": "nope"},
        {"email": unique_email(), "password": "nope"},
    ):
        with pytest.raises(AuthApiError) as error:
            client.auth.sign_in_with_password(credentials)
        errors.append((error.value.code, error.value.status, error.value.message))

    assert (
        errors[0]
        == errors[1]
        == ("invalid_credentials", 400, "Invalid login credentials")
    )


def test_sign_up_with_a_confirmed_address_does_not_reveal_it(auth_live, mailbox):
    _, email, _ = signed_up_and_confirmed(auth_live, mailbox)

    response = new_client(auth_live).auth.sign_up(
        {"email": email, "password": "another one"}
    )

    assert response.session is None
    assert response.user.identities == []


def test_weak_password_has_reasons(auth_live):
    with pytest.raises(AuthWeakPasswordError) as error:
        new_client(auth_live).auth.sign_up({"email": unique_email(), "password": "abc"})

    assert error.value.code == "weak_password"
    assert error.value.status == 422
    assert error.value.reasons == ["length"]


def test_anonymous_sign_in(auth_live):
    response = new_client(auth_live).auth.sign_in_anonymously()

    assert response.session is not None
    assert response.user.is_anonymous is True


def test_error_shapes_follow_the_api_version_header(auth_live):
    url = f"{auth_live.url}/auth/v1/token?grant_type=password"
    body = {"email": unique_email(), "password": "whatever"}

    versioned = httpx.post(
        url,
        json=body,
        headers={"apikey": auth_live.anon_key, "X-Supabase-Api-Version": "2024-01-01"},
    )
    legacy = httpx.post(url, json=body, headers={"apikey": auth_live.anon_key})

    assert versioned.json() == {
        "code": "invalid_credentials",
        "message": "Invalid login credentials",
    }
    assert versioned.headers["x-supabase-api-version"] == "2024-01-01"
    assert legacy.json() == {
        "code": 400,
        "error_code": "invalid_credentials",
        "msg": "Invalid login credentials",
    }
    assert legacy.headers["x-sb-error-code"] == "invalid_credentials"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{oops", "bad_json"),
        (b"[1]", "bad_json"),
        (b'{"email": 5, "password": "x"}', "bad_json"),
    ],
)
def test_bad_bodies_are_400(auth_live, content, code):
    response = httpx.post(
        f"{auth_live.url}/auth/v1/token?grant_type=password",
        content=content,
        headers={"apikey": auth_live.anon_key, "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error_code"] == code


def test_auth_endpoints_need_an_apikey_and_user_needs_a_token(auth_live):
    no_key = httpx.get(f"{auth_live.url}/auth/v1/settings")
    no_token = httpx.get(
        f"{auth_live.url}/auth/v1/user", headers={"apikey": auth_live.anon_key}
    )
    forged = httpx.get(
        f"{auth_live.url}/auth/v1/user",
        headers={
            "apikey": auth_live.anon_key,
            "Authorization": f"Bearer {auth_live.token(str(uuid.uuid4()))}",
        },
    )
    settings = httpx.get(
        f"{auth_live.url}/auth/v1/settings", headers={"apikey": auth_live.anon_key}
    )

    assert no_key.status_code == 401
    assert no_token.status_code == 401
    assert (
        forged.status_code == 403 and forged.json()["error_code"] == "session_not_found"
    )
    assert settings.json()["mailer_autoconfirm"] is False
    assert settings.json()["external"]["email"] is True


def mail_code(mailbox, email: str) -> str:
    text = mailbox[0].last_to(email).get_body(preferencelist=("plain",)).get_content()
    return re.search(r"code: (\d{6})", text).group(1)


def mail_link(mailbox, email: str, kind: str) -> str:
    text = mailbox[0].last_to(email).get_body(preferencelist=("plain",)).get_content()
    return re.search(rf"(http\S+/auth/v1/verify\?\S+type={kind}\S*)", text).group(1)


def test_magic_link_signs_in_an_existing_user(auth_live, mailbox):
    _, email, _ = signed_up_and_confirmed(auth_live, mailbox)
    client = new_client(auth_live)

    client.auth.sign_in_with_otp({"email": email})
    redirect = httpx.get(mail_link(mailbox, email, "magiclink"))

    fragment = parse_qs(urlparse(redirect.headers["location"]).fragment)
    assert fragment["type"] == ["magiclink"]
    user = httpx.get(
        f"{auth_live.url}/auth/v1/user",
        headers={
            "apikey": auth_live.anon_key,
            "Authorization": f"Bearer {fragment['access_token'][0]}",
        },
    )
    assert user.json()["email"] == email


def test_email_code_signs_up_and_in_a_new_address(auth_live, mailbox):
    client = new_client(auth_live)
    email = unique_email()

    client.auth.sign_in_with_otp(
        {"email": email, "options": {"data": {"plan": "free"}}}
    )
    response = client.auth.verify_otp(
        {"email": email, "token": mail_code(mailbox, email), "type": "email"}
    )

    assert response.session is not None
    assert response.user.email_confirmed_at is not None
    assert response.user.user_metadata == {"plan": "free"}


def test_otp_without_create_user_does_not_sign_up(auth_live):
    with pytest.raises(AuthApiError) as error:
        new_client(auth_live).auth.sign_in_with_otp(
            {"email": unique_email(), "options": {"should_create_user": False}}
        )

    assert error.value.code == "otp_disabled"


def test_wrong_codes_are_counted_and_the_code_dies_after_five(auth_live, mailbox):
    client = new_client(auth_live)
    email = unique_email()
    client.auth.sign_in_with_otp({"email": email})
    code = mail_code(mailbox, email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    for _ in range(5):
        with pytest.raises(AuthApiError) as error:
            client.auth.verify_otp({"email": email, "token": wrong, "type": "email"})
        assert error.value.code == "otp_expired"
    with pytest.raises(AuthApiError):
        client.auth.verify_otp({"email": email, "token": code, "type": "email"})


def test_recovery_link_signs_in_and_allows_a_new_password(auth_live, mailbox):
    _, email, _ = signed_up_and_confirmed(auth_live, mailbox)
    client = new_client(auth_live)

    client.auth.reset_password_for_email(
        email, {"redirect_to": "http://localhost:5173/reset"}
    )
    redirect = httpx.get(mail_link(mailbox, email, "recovery"))
    location = redirect.headers["location"]
    fragment = parse_qs(urlparse(location).fragment)
    client.auth.set_session(fragment["access_token"][0], fragment["refresh_token"][0])
    client.auth.update_user({"password": "brand new secret"})

    assert location.startswith("http://localhost:5173/reset#")
    assert fragment["type"] == ["recovery"]
    assert (
        new_client(auth_live)
        .auth.sign_in_with_password({"email": email, "password": "brand new secret"})
        .session
    )


def test_recover_answers_alike_for_unknown_addresses_and_limits_mail(
    auth_live, mailbox
):
    _, email, _ = signed_up_and_confirmed(auth_live, mailbox)
    url = f"{auth_live.url}/auth/v1/recover"
    headers = {"apikey": auth_live.anon_key}
    before = len(mailbox[0].messages)

    unknown = httpx.post(url, json={"email": unique_email()}, headers=headers)
    first = httpx.post(url, json={"email": email}, headers=headers)
    again = httpx.post(url, json={"email": email}, headers=headers)

    assert unknown.status_code == first.status_code == 200
    assert unknown.json() == first.json() == {}
    assert (
        again.status_code == 429
        and again.json()["error_code"] == "over_email_send_rate_limit"
    )
    assert len(mailbox[0].messages) == before + 1


def test_resend_within_the_mail_interval_is_refused(auth_live, mailbox):
    client = new_client(auth_live)
    email = unique_email()
    client.auth.sign_up({"email": email, "password": "correct horse"})
    sent = len(mailbox[0].messages)

    with pytest.raises(AuthApiError) as error:
        client.auth.resend({"type": "signup", "email": email})

    assert error.value.code == "over_email_send_rate_limit"
    assert error.value.status == 429
    assert len(mailbox[0].messages) == sent


def test_email_change_needs_both_addresses_to_confirm(auth_live, mailbox):
    client, email, password = signed_up_and_confirmed(auth_live, mailbox)
    client.auth.sign_in_with_password({"email": email, "password": password})
    new_email = unique_email()

    pending = client.auth.update_user({"email": new_email}).user
    first = httpx.get(mail_link(mailbox, email, "email_change"))
    halfway = (
        new_client(auth_live)
        .auth.sign_in_with_password({"email": email, "password": password})
        .user
    )
    second = httpx.get(mail_link(mailbox, new_email, "email_change"))

    assert pending.email == email and pending.new_email == new_email
    assert "message=Confirmation+link+accepted" in first.headers["location"]
    assert halfway.email == email
    assert "access_token" in urlparse(second.headers["location"]).fragment
    moved = (
        new_client(auth_live)
        .auth.sign_in_with_password({"email": new_email, "password": password})
        .user
    )
    assert moved.email == new_email and moved.new_email is None
    with pytest.raises(AuthApiError):
        new_client(auth_live).auth.sign_in_with_password(
            {"email": email, "password": password}
        )


def test_email_change_to_a_taken_address_is_refused(auth_live, mailbox):
    client, email, password = signed_up_and_confirmed(auth_live, mailbox)
    _, taken, _ = signed_up_and_confirmed(auth_live, mailbox)
    client.auth.sign_in_with_password({"email": email, "password": password})

    with pytest.raises(AuthApiError) as error:
        client.auth.update_user({"email": taken})

    assert error.value.code == "email_exists"


def pkce_client(server):
    return create_client(
        server.url,
        server.anon_key,
        options=ClientOptions(auto_refresh_token=False, flow_type="pkce"),
    )


def test_pkce_sign_up_link_yields_a_code_only_the_verifier_can_exchange(
    auth_live, mailbox
):
    client = pkce_client(auth_live)
    email = unique_email()
    client.auth.sign_up(
        {
            "email": email,
            "password": "correct horse",
            "options": {"email_redirect_to": "http://localhost:5173/cb"},
        }
    )

    redirect = httpx.get(confirm_link(mailbox, email))
    location = urlparse(redirect.headers["location"])
    code = parse_qs(location.query)["code"][0]
    stranger = httpx.post(
        f"{auth_live.url}/auth/v1/token?grant_type=pkce",
        json={"auth_code": code, "code_verifier": "x" * 64},
        headers={"apikey": auth_live.anon_key},
    )

    assert (
        f"{location.scheme}://{location.netloc}{location.path}"
        == "http://localhost:5173/cb"
    )
    assert "access_token" not in location.fragment
    assert stranger.status_code == 400
    # A wrong verifier spends the code: the real client cannot use it now either.
    with pytest.raises(AuthApiError) as error:
        client.auth.exchange_code_for_session({"auth_code": code})
    assert error.value.code == "flow_state_not_found"


def test_pkce_recovery_exchanges_the_code_for_a_session(auth_live, mailbox):
    _, email, _ = signed_up_and_confirmed(auth_live, mailbox)
    client = pkce_client(auth_live)

    client.auth.reset_password_for_email(email)
    redirect = httpx.get(mail_link(mailbox, email, "recovery"))
    code = parse_qs(urlparse(redirect.headers["location"]).query)["code"][0]
    session = client.auth.exchange_code_for_session({"auth_code": code}).session

    assert session.user.email == email
    assert session.access_token
    with pytest.raises(AuthApiError) as error:
        client.auth.exchange_code_for_session(
            {"auth_code": code, "code_verifier": "y" * 64}
        )
    assert error.value.code == "flow_state_not_found"


def test_bad_code_challenge_is_refused(auth_live):
    response = httpx.post(
        f"{auth_live.url}/auth/v1/signup",
        json={
            "email": unique_email(),
            "password": "correct horse",
            "code_challenge": "short",
            "code_challenge_method": "s256",
        },
        headers={"apikey": auth_live.anon_key},
    )

    assert response.status_code == 400
    assert response.json()["error_code"] == "validation_failed"


def test_unknown_auth_paths_and_sso_answer_gotrue_json(auth_live):
    headers = {"apikey": auth_live.anon_key, "X-Supabase-Api-Version": "2024-01-01"}
    unknown = httpx.post(f"{auth_live.url}/auth/v1/no/such/thing", headers=headers)
    sso = httpx.post(
        f"{auth_live.url}/auth/v1/sso", headers=headers, json={"domain": "x.example"}
    )

    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/json"
    assert unknown.json()["code"] == "not_found"
    assert sso.status_code == 404
    assert sso.json() == {
        "code": "saml_provider_disabled",
        "message": "SAML 2.0 is disabled",
    }


def test_phone_sign_in_through_the_client_is_refused_cleanly(auth_live):
    with pytest.raises(AuthApiError) as error:
        new_client(auth_live).auth.sign_in_with_otp({"phone": "+15555550100"})
    assert error.value.code == "phone_provider_disabled"
    assert error.value.status == 400
