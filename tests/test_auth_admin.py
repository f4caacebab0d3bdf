"""GoTrue's admin API (/auth/v1/admin/users) with supabase-py's admin client
against a live server, and the Django admin's user actions."""

from __future__ import annotations

import functools
import time
import uuid
from datetime import UTC, datetime, timedelta

import bcrypt
import httpx
import jwt
import pytest
from supabase import ClientOptions, create_client
from supabase_auth.errors import AuthApiError, AuthWeakPasswordError

from tests.conftest import run_cli

PASSWORD = "correct horse"


def client_for(server, key: str):
    return create_client(
        server.url,
        key,
        options=ClientOptions(auto_refresh_token=False, persist_session=False),
    )


@functools.cache
def _service_client(url: str, service_key: str):
    return create_client(
        url,
        service_key,
        options=ClientOptions(auto_refresh_token=False, persist_session=False),
    )


def admin_api(server):
    return _service_client(server.url, server.service_key).auth.admin


def unique_email() -> str:
    return f"admin-{uuid.uuid4().hex[:10]}@example.com"


def confirmed_user(server, **attributes):
    body = {"email": unique_email(), "password": PASSWORD, "email_confirm": True}
    return admin_api(server).create_user({**body, **attributes}).user


def sign_in(server, email: str, password: str = PASSWORD):
    return (
        client_for(server, server.anon_key)
        .auth.sign_in_with_password({"email": email, "password": password})
        .session
    )


def auth_error(call) -> AuthApiError:
    with pytest.raises(AuthApiError) as error:
        call()
    return error.value


def refresh(server, refresh_token: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/auth/v1/token?grant_type=refresh_token",
        json={"refresh_token": refresh_token},
        headers={"apikey": server.anon_key},
    )


def admin_request(
    server, method: str, path: str, bearer: str | None, headers=None, **kwargs
):
    headers = {"apikey": server.anon_key, **(headers or {})}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    return httpx.request(
        method, f"{server.url}/auth/v1/admin/{path}", headers=headers, **kwargs
    )


def stored_password(server, user_id: str) -> str:
    code = (
        "from accounts.models import User\n"
        f"print(User.objects.get(pk={user_id!r}).password)\n"
    )
    # The last line: `shell` may print a notice about its automatic imports first.
    return run_cli(server.project, "shell", "-c", code).stdout.strip().splitlines()[-1]


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ------------------------------------------------------------------ create


def test_created_user_with_email_confirm_signs_in(auth_live):
    email = unique_email()

    user = (
        admin_api(auth_live)
        .create_user(
            {
                "email": email.upper(),
                "password": PASSWORD,
                "email_confirm": True,
                "user_metadata": {"name": "Ada"},
                "app_metadata": {"plan": "pro"},
            }
        )
        .user
    )
    session = sign_in(auth_live, email)

    assert user.email == email
    assert user.email_confirmed_at is not None
    assert user.user_metadata == {"name": "Ada"}
    assert user.app_metadata == {
        "plan": "pro",
        "provider": "email",
        "providers": ["email"],
    }
    assert user.identities[0].provider == "email"
    assert session.user.id == user.id


def test_created_user_without_email_confirm_cannot_sign_in_until_confirmed(
    auth_live, mailbox
):
    email = unique_email()
    admin = admin_api(auth_live)
    user = admin.create_user({"email": email, "password": PASSWORD}).user

    refused = auth_error(lambda: sign_in(auth_live, email))
    confirmed = admin.update_user_by_id(user.id, {"email_confirm": True}).user

    assert user.email_confirmed_at is None
    assert refused.code == "email_not_confirmed"
    assert confirmed.email_confirmed_at is not None
    assert sign_in(auth_live, email).user.id == user.id
    assert not [m for m in mailbox[0].messages if email in m["To"]]


def test_create_user_with_a_chosen_id(auth_live):
    chosen = str(uuid.uuid4())

    user = confirmed_user(auth_live, id=chosen)
    taken = admin_request(
        auth_live,
        "POST",
        "users",
        auth_live.service_key,
        json={"email": unique_email(), "id": chosen},
    )

    assert user.id == chosen
    assert admin_api(auth_live).get_user_by_id(chosen).user.email == user.email
    assert taken.status_code == 422
    assert taken.json()["error_code"] == "user_already_exists"


def test_create_user_without_a_password_cannot_sign_in_with_one(auth_live):
    user = (
        admin_api(auth_live)
        .create_user({"email": unique_email(), "email_confirm": True})
        .user
    )

    guessed = auth_error(lambda: sign_in(auth_live, user.email, "anything at all"))

    assert guessed.code == "invalid_credentials"


def test_duplicate_email_is_422_email_exists(auth_live):
    user = confirmed_user(auth_live)

    error = auth_error(
        lambda: admin_api(auth_live).create_user(
            {"email": user.email.upper(), "password": PASSWORD}
        )
    )

    assert (error.status, error.code) == (422, "email_exists")


@pytest.mark.parametrize("prefix", ["$2a$", "$2b$", "$2y$"])
def test_bcrypt_password_hash_signs_in_with_the_old_password(auth_live, prefix):
    old_hash = bcrypt.hashpw(b"password from gotrue", bcrypt.gensalt(4)).decode()
    old_hash = prefix + old_hash[4:]
    user = confirmed_user(auth_live, password=None, password_hash=old_hash)
    stored = stored_password(auth_live, user.id)

    wrong = auth_error(lambda: sign_in(auth_live, user.email, "not the password"))
    session = sign_in(auth_live, user.email, "password from gotrue")

    assert stored == "bcrypt$" + old_hash
    assert wrong.code == "invalid_credentials"
    assert session.user.id == user.id
    # Django re-hashes a non-preferred hash with Argon2id at sign-in.
    assert stored_password(auth_live, user.id).startswith("argon2$argon2id$")
    assert sign_in(auth_live, user.email, "password from gotrue").user.id == user.id


# ------------------------------------------------------------------ bad bodies


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, 400, "validation_failed"),
        ({"password": PASSWORD}, 400, "validation_failed"),
        ({"email": "{email}", "password": "abc"}, 422, "weak_password"),
        (
            {
                "email": "{email}",
                "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
            },
            400,
            "validation_failed",
        ),
        (
            {"email": "{email}", "password_hash": "5f4dcc3b5aa765d61d8327deb882cf99"},
            400,
            "validation_failed",
        ),
        (
            {"email": "{email}", "password_hash": "$2b$04$tooShort"},
            400,
            "validation_failed",
        ),
        (
            {
                "email": "{email}",
                "password": PASSWORD,
                "password_hash": "$2b$04$" + "a" * 53,
            },
            400,
            "validation_failed",
        ),
        ({"email": "{email}", "ban_duration": "1d"}, 400, "validation_failed"),
        ({"email": "{email}", "ban_duration": "soon"}, 400, "validation_failed"),
        ({"email": "{email}", "id": "not-a-uuid"}, 400, "validation_failed"),
        ({"email": "{email}", "id": str(uuid.UUID(int=0))}, 400, "validation_failed"),
        ({"email": "{email}", "phone": "call me"}, 400, "validation_failed"),
        ({"email": "{email}", "role": "service_role"}, 400, "validation_failed"),
        ({"email": 5}, 400, "bad_json"),
        ({"email": "{email}", "user_metadata": "ada"}, 400, "bad_json"),
        ({"email": "{email}", "email_confirm": "yes"}, 400, "bad_json"),
    ],
)
def test_bad_create_bodies_are_refused_and_create_nothing(
    auth_live, body, status, code
):
    email = unique_email()
    body = {
        k: v.replace("{email}", email) if isinstance(v, str) else v
        for k, v in body.items()
    }

    response = admin_request(
        auth_live, "POST", "users", auth_live.service_key, json=body
    )
    search = admin_request(
        auth_live, "GET", f"users?filter={email}", auth_live.service_key
    )

    assert (response.status_code, response.json()["error_code"]) == (status, code)
    assert search.json()["users"] == []


def test_weak_password_comes_with_reasons(auth_live):
    with pytest.raises(AuthWeakPasswordError) as error:
        admin_api(auth_live).create_user({"email": unique_email(), "password": "abc"})

    assert error.value.reasons == ["length"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"ban_duration": "1 day"}, 400, "validation_failed"),
        ({"ban_duration": "100"}, 400, "validation_failed"),
        ({"password": "abc"}, 422, "weak_password"),
        ({"password": ""}, 400, "validation_failed"),
        ({"password_hash": "md5:abc"}, 400, "validation_failed"),
        ({"email": "nope"}, 400, "validation_failed"),
        ({"app_metadata": [1]}, 400, "bad_json"),
        ({"phone_confirm": True}, 400, "validation_failed"),
    ],
)
def test_bad_update_bodies_change_nothing(auth_live, body, status, code):
    user = confirmed_user(auth_live, user_metadata={"keep": 1})
    before = admin_api(auth_live).get_user_by_id(user.id).user

    response = admin_request(
        auth_live, "PUT", f"users/{user.id}", auth_live.service_key, json=body
    )
    after = admin_api(auth_live).get_user_by_id(user.id).user

    assert (response.status_code, response.json()["error_code"]) == (status, code)
    assert after == before
    assert sign_in(auth_live, user.email).user.id == user.id


def test_an_update_body_that_is_not_json_is_bad_json(auth_live):
    user = confirmed_user(auth_live)

    response = admin_request(
        auth_live,
        "PUT",
        f"users/{user.id}",
        auth_live.service_key,
        content=b"{oops",
        headers={"Content-Type": "application/json"},
    )

    assert (response.status_code, response.json()["error_code"]) == (400, "bad_json")


# ------------------------------------------------------------------ get, update


def test_unknown_id_is_404_user_not_found_and_malformed_id_is_404(auth_live):
    unknown = auth_error(lambda: admin_api(auth_live).get_user_by_id(str(uuid.uuid4())))
    malformed = admin_request(
        auth_live, "GET", "users/not-a-uuid", auth_live.service_key
    )
    update = admin_request(
        auth_live, "PUT", f"users/{uuid.uuid4()}", auth_live.service_key, json={}
    )
    delete = admin_request(
        auth_live, "DELETE", f"users/{uuid.uuid4()}", auth_live.service_key
    )

    assert (unknown.status, unknown.code) == (404, "user_not_found")
    assert malformed.status_code == 404
    assert malformed.json() == {
        "code": 404,
        "error_code": "validation_failed",
        "msg": "user_id must be an UUID",
    }
    assert update.status_code == delete.status_code == 404
    assert (
        update.json()["error_code"] == delete.json()["error_code"] == "user_not_found"
    )


def test_metadata_updates_merge_and_null_deletes_a_key(auth_live):
    user = confirmed_user(auth_live, user_metadata={"a": 1, "b": 2})
    admin = admin_api(auth_live)

    updated = admin.update_user_by_id(
        user.id,
        {"user_metadata": {"b": None, "c": 3}, "app_metadata": {"plan": "pro"}},
    ).user
    fetched = admin.get_user_by_id(user.id).user

    assert updated.user_metadata == fetched.user_metadata == {"a": 1, "c": 3}
    assert fetched.app_metadata["plan"] == "pro"
    assert fetched.app_metadata["provider"] == "email"


def test_email_change_applies_directly(auth_live):
    user = confirmed_user(auth_live)
    new_email = unique_email()

    updated = admin_api(auth_live).update_user_by_id(user.id, {"email": new_email}).user

    assert updated.email == new_email
    assert sign_in(auth_live, new_email).user.id == user.id
    assert (
        auth_error(lambda: sign_in(auth_live, user.email)).code == "invalid_credentials"
    )


def test_email_change_to_a_taken_address_is_422_email_exists(auth_live):
    user, other = confirmed_user(auth_live), confirmed_user(auth_live)

    error = auth_error(
        lambda: admin_api(auth_live).update_user_by_id(user.id, {"email": other.email})
    )

    assert (error.status, error.code) == (422, "email_exists")
    assert admin_api(auth_live).get_user_by_id(user.id).user.email == user.email


def test_password_change_ends_the_users_sessions(auth_live):
    user = confirmed_user(auth_live)
    session = sign_in(auth_live, user.email)

    admin_api(auth_live).update_user_by_id(user.id, {"password": "a new password"})

    gone = refresh(auth_live, session.refresh_token)
    assert gone.json()["error_code"] == "refresh_token_not_found"
    assert (
        auth_error(lambda: sign_in(auth_live, user.email)).code == "invalid_credentials"
    )
    assert sign_in(auth_live, user.email, "a new password").user.id == user.id


# ------------------------------------------------------------------ ban


def test_ban_fails_refresh_and_sign_in_until_unbanned(auth_live):
    user = confirmed_user(auth_live)
    session = sign_in(auth_live, user.email)
    admin = admin_api(auth_live)

    banned = admin.update_user_by_id(user.id, {"ban_duration": "24h"}).user
    refused_refresh = refresh(auth_live, session.refresh_token)
    refused_sign_in = auth_error(lambda: sign_in(auth_live, user.email))
    refused_user = httpx.get(
        f"{auth_live.url}/auth/v1/user",
        headers={
            "apikey": auth_live.anon_key,
            "Authorization": f"Bearer {session.access_token}",
        },
    )
    unbanned = admin.update_user_by_id(user.id, {"ban_duration": "none"}).user

    until = parse_time(banned.banned_until)
    expected = datetime.now(UTC) + timedelta(hours=24)
    assert abs((until - expected).total_seconds()) < 60
    assert refused_refresh.status_code == 400
    assert refused_refresh.json()["error_code"] == "user_banned"
    assert refused_sign_in.code == "user_banned"
    assert refused_user.json()["error_code"] == "user_banned"
    assert unbanned.banned_until is None
    assert refresh(auth_live, session.refresh_token).status_code == 200
    assert sign_in(auth_live, user.email).user.id == user.id


def test_ban_duration_takes_go_durations(auth_live):
    user = confirmed_user(auth_live)
    admin = admin_api(auth_live)

    banned = admin.update_user_by_id(user.id, {"ban_duration": "100h30m"}).user
    zero = admin.update_user_by_id(user.id, {"ban_duration": "0"}).user

    expected = datetime.now(UTC) + timedelta(hours=100, minutes=30)
    assert abs((parse_time(banned.banned_until) - expected).total_seconds()) < 60
    assert zero.banned_until is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("100h30m", timedelta(hours=100, minutes=30)),
        ("1.5h", timedelta(minutes=90)),
        (".5s", timedelta(milliseconds=500)),
        ("1h15m30.918273645s", timedelta(seconds=4530, microseconds=918273)),
        ("876000h", timedelta(days=36500)),
        ("0", timedelta(0)),
        ("none", timedelta(0)),
        ("-1h", timedelta(hours=-1)),
    ],
)
def test_ban_durations_parse_as_go_reads_them(text, expected):
    from accounts.admin_users import parse_ban_duration

    assert parse_ban_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("100", 'time: missing unit in duration "100"'),
        ("soon", 'time: invalid duration "soon"'),
        ("٣h", 'time: invalid duration "٣h"'),
        ("2562048h", 'time: invalid duration "2562048h"'),
        ("9" * 5000 + "h", f'time: invalid duration "{"9" * 5000}h"'),
    ],
)
def test_bad_ban_durations_say_why_as_go_does(text, reason):
    from accounts.admin_users import parse_ban_duration
    from accounts.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as error:
        parse_ban_duration(text)

    assert error.value.message == f"invalid format for ban duration: {reason}"


def test_a_user_created_banned_cannot_sign_in(auth_live):
    user = confirmed_user(auth_live, ban_duration="1h")

    assert user.banned_until is not None
    assert auth_error(lambda: sign_in(auth_live, user.email)).code == "user_banned"


# ------------------------------------------------------------------ delete


def test_delete_removes_the_user_sessions_and_cascading_rows(auth_live):
    auth_live.sql(
        """
        create table if not exists admin_cascade_notes (
          id integer primary key,
          owner uuid not null references auth.users(id) on delete cascade,
          body text not null
        );
        """
    )
    user, other = confirmed_user(auth_live), confirmed_user(auth_live)
    session = sign_in(auth_live, user.email)
    service = client_for(auth_live, auth_live.service_key)
    service.table("admin_cascade_notes").insert(
        [{"owner": user.id, "body": "mine"}, {"owner": other.id, "body": "theirs"}]
    ).execute()

    admin_api(auth_live).delete_user(user.id)

    rows = (
        service.table("admin_cascade_notes")
        .select("owner,body")
        .in_("owner", [user.id, other.id])
        .execute()
        .data
    )
    assert rows == [{"owner": other.id, "body": "theirs"}]
    missing = auth_error(lambda: admin_api(auth_live).get_user_by_id(user.id))
    assert (missing.status, missing.code) == (404, "user_not_found")
    assert (
        auth_error(lambda: sign_in(auth_live, user.email)).code == "invalid_credentials"
    )
    gone = refresh(auth_live, session.refresh_token)
    assert gone.json()["error_code"] == "refresh_token_not_found"


def test_delete_is_refused_while_rows_reference_the_user_without_cascade(auth_live):
    auth_live.sql(
        """
        create table if not exists admin_strict_notes (
          id integer primary key,
          owner uuid not null references auth.users(id),
          body text not null
        );
        """
    )
    user = confirmed_user(auth_live)
    service = client_for(auth_live, auth_live.service_key)
    service.table("admin_strict_notes").insert(
        {"owner": user.id, "body": "x"}
    ).execute()

    response = admin_request(
        auth_live, "DELETE", f"users/{user.id}", auth_live.service_key
    )

    assert (response.status_code, response.json()["error_code"]) == (409, "conflict")
    assert admin_api(auth_live).get_user_by_id(user.id).user.id == user.id
    assert sign_in(auth_live, user.email).user.id == user.id


def test_soft_delete_is_refused_and_deletes_nothing(auth_live):
    user = confirmed_user(auth_live)

    error = auth_error(
        lambda: admin_api(auth_live).delete_user(user.id, should_soft_delete=True)
    )

    assert (error.status, error.code) == (400, "validation_failed")
    assert "should_soft_delete" in error.message
    assert admin_api(auth_live).get_user_by_id(user.id).user.id == user.id


# ------------------------------------------------------------------ list


def total_users(server) -> int:
    response = admin_request(server, "GET", "users?per_page=1", server.service_key)
    return int(response.headers["x-total-count"])


def test_list_users_pages_newest_first_with_totals(auth_live):
    before = total_users(auth_live)
    created = [confirmed_user(auth_live).id for _ in range(5)]
    newest_first = created[::-1]
    admin = admin_api(auth_live)

    pages = [admin.list_users(page=n, per_page=2) for n in (1, 2, 3)]
    response = admin_request(
        auth_live, "GET", "users?page=2&per_page=2", auth_live.service_key
    )
    total = before + 5
    last = (total + 1) // 2

    assert [u.id for u in pages[0]] == newest_first[0:2]
    assert [u.id for u in pages[1]] == newest_first[2:4]
    assert pages[2][0].id == newest_first[4]
    assert len(pages[2]) == 2 if total > 5 else 1
    assert response.json()["aud"] == "authenticated"
    assert [u["id"] for u in response.json()["users"]] == newest_first[2:4]
    assert response.headers["x-total-count"] == str(total)
    assert response.headers["link"] == (
        '</auth/v1/admin/users?page=3&per_page=2>; rel="next", '
        f'</auth/v1/admin/users?page={last}&per_page=2>; rel="last"'
    )


def test_last_page_has_no_next_link_and_defaults_apply(auth_live):
    confirmed_user(auth_live)
    total = total_users(auth_live)

    last = admin_request(
        auth_live, "GET", f"users?page={total}&per_page=1", auth_live.service_key
    )
    past = admin_request(
        auth_live, "GET", f"users?page={total + 1}&per_page=1", auth_live.service_key
    )
    defaults = admin_request(
        auth_live, "GET", "users?page=&per_page=", auth_live.service_key
    )

    assert len(last.json()["users"]) == 1
    assert last.headers["link"] == (
        f'</auth/v1/admin/users?page={total}&per_page=1>; rel="last"'
    )
    assert past.json()["users"] == []
    assert len(defaults.json()["users"]) == min(total, 50)


def test_list_users_filter_and_sort(auth_live):
    tag = uuid.uuid4().hex[:8]
    first = confirmed_user(auth_live, email=f"first-{tag}@example.com")
    second = confirmed_user(
        auth_live, email=unique_email(), user_metadata={"full_name": f"Ada {tag}"}
    )

    newest = admin_request(
        auth_live, "GET", f"users?filter={tag}", auth_live.service_key
    )
    oldest = admin_request(
        auth_live,
        "GET",
        f"users?filter={tag}&sort=created_at%20asc",
        auth_live.service_key,
    )

    assert [u["id"] for u in newest.json()["users"]] == [second.id, first.id]
    assert [u["id"] for u in oldest.json()["users"]] == [first.id, second.id]
    assert newest.headers["x-total-count"] == "2"


def test_per_page_is_capped_at_1000(auth_live):
    response = admin_request(
        auth_live, "GET", "users?per_page=5000", auth_live.service_key
    )
    total = int(response.headers["x-total-count"])

    assert len(response.json()["users"]) == min(total, 1000)
    assert response.headers["link"].endswith(
        f'</auth/v1/admin/users?page={-(-total // 1000)}&per_page=1000>; rel="last"'
    )


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "per_page=0",
        "page=two",
        "per_page=-1",
        "page=%C2%B2",
        "page=10000000000000000000000",
        "sort=email",
        "sort=created_at%20up",
    ],
)
def test_bad_paging_and_sort_parameters_are_400(auth_live, query):
    response = admin_request(auth_live, "GET", f"users?{query}", auth_live.service_key)

    assert (response.status_code, response.json()["error_code"]) == (
        400,
        "validation_failed",
    )


# ------------------------------------------------------------------ who may call


@pytest.fixture
def target(auth_live):
    return confirmed_user(auth_live, user_metadata={"untouched": True})


def bearers(server, target) -> dict[str, str]:
    other = confirmed_user(server)
    return {
        "anon key": server.anon_key,
        "user token": sign_in(server, other.email).access_token,
        "own token": sign_in(server, target.email).access_token,
        "forged user token": server.token(target.id),
    }


ROUTES = [
    ("GET", "users", None),
    ("POST", "users", {"email": "{new}", "password": PASSWORD, "email_confirm": True}),
    ("GET", "users/{id}", None),
    (
        "PUT",
        "users/{id}",
        {"user_metadata": {"untouched": False}, "ban_duration": "24h"},
    ),
    ("DELETE", "users/{id}", {"should_soft_delete": False}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_only_the_service_role_may_call_admin_routes(
    auth_live, target, method, path, body
):
    new_email = unique_email()
    path = path.replace("{id}", target.id)
    if body is not None:
        body = {k: new_email if v == "{new}" else v for k, v in body.items()}

    responses = {
        name: admin_request(auth_live, method, path, bearer, json=body)
        for name, bearer in bearers(auth_live, target).items()
    }
    missing = admin_request(auth_live, method, path, None, json=body)
    garbage = admin_request(auth_live, method, path, "not.a.jwt", json=body)

    for name, response in responses.items():
        assert (name, response.status_code, response.json()["error_code"]) == (
            name,
            403,
            "not_admin",
        )
        assert response.json()["msg"] == "User not allowed"
    assert (missing.status_code, missing.json()["error_code"]) == (
        401,
        "no_authorization",
    )
    assert (garbage.status_code, garbage.json()["error_code"]) == (403, "bad_jwt")
    after = admin_api(auth_live).get_user_by_id(target.id).user
    assert after.user_metadata == {"untouched": True}
    assert after.banned_until is None
    created = admin_request(
        auth_live, "GET", f"users?filter={new_email}", auth_live.service_key
    )
    assert created.json()["users"] == []


def test_the_anon_client_gets_not_admin_from_supabase_py(auth_live, target):
    anon_admin = client_for(auth_live, auth_live.anon_key).auth.admin

    error = auth_error(lambda: anon_admin.get_user_by_id(target.id))

    assert (error.status, error.code, error.message) == (
        403,
        "not_admin",
        "User not allowed",
    )


def test_a_service_role_jwt_is_admin_and_an_expired_one_is_not(auth_live, target):
    now = int(time.time())
    claims = {"role": "service_role", "iat": now}
    valid = jwt.encode({**claims, "exp": now + 60}, auth_live.secret, algorithm="HS256")
    expired = jwt.encode(
        {**claims, "exp": now - 60}, auth_live.secret, algorithm="HS256"
    )

    allowed = admin_request(auth_live, "GET", f"users/{target.id}", valid)
    refused = admin_request(auth_live, "GET", f"users/{target.id}", expired)

    assert allowed.status_code == 200 and allowed.json()["id"] == target.id
    assert (refused.status_code, refused.json()["error_code"]) == (403, "bad_jwt")


def test_admin_routes_need_an_apikey(auth_live, target):
    response = httpx.get(
        f"{auth_live.url}/auth/v1/admin/users/{target.id}",
        headers={"Authorization": f"Bearer {auth_live.service_key}"},
    )

    assert (response.status_code, response.json()["error_code"]) == (
        401,
        "no_authorization",
    )


# ------------------------------------------------------------------ Django admin


@pytest.fixture
def staff_client(client, django_user_model):
    staff = django_user_model.objects.create_superuser(
        email="operator@example.com", password="operator password"
    )
    client.force_login(staff)
    return client


def make_user(email: str):
    from accounts.models import User

    return User.objects.create_user(email=email, password=PASSWORD)


def run_action(staff_client, action: str, users) -> None:
    response = staff_client.post(
        "/admin/accounts/user/",
        {"action": action, "_selected_action": [str(u.pk) for u in users]},
    )
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_django_admin_bans_unbans_and_confirms(staff_client):
    user = make_user("django-admin@example.com")

    run_action(staff_client, "ban_for_24_hours", [user])
    user.refresh_from_db()
    banned_until = user.banned_until
    run_action(staff_client, "unban", [user])
    user.refresh_from_db()
    unbanned_until = user.banned_until
    run_action(staff_client, "confirm_email", [user])
    user.refresh_from_db()

    expected = datetime.now(UTC) + timedelta(hours=24)
    assert abs((banned_until - expected).total_seconds()) < 60
    assert unbanned_until is None
    assert user.email_confirmed_at is not None


@pytest.mark.django_db(transaction=True)
def test_django_admin_lists_and_finds_users_by_email_and_id(staff_client):
    user = make_user("findable@example.com")
    make_user("other@example.com")

    by_email = staff_client.get("/admin/accounts/user/", {"q": "findable"})
    by_id = staff_client.get("/admin/accounts/user/", {"q": str(user.pk)})

    for page in (by_email, by_id):
        assert page.status_code == 200
        assert [u.pk for u in page.context["cl"].result_list] == [user.pk]


@pytest.mark.django_db(transaction=True)
def test_django_admin_delete_goes_through_the_service(staff_client):
    from accounts.models import User

    user = make_user("deleted-in-admin@example.com")

    response = staff_client.post(
        f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_django_admin_normalizes_an_edited_email(staff_client):
    user = make_user("before@example.com")

    response = staff_client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "email": "After@Example.com",
            "is_active": "on",
            "raw_user_meta_data": "{}",
            "raw_app_meta_data": "{}",
        },
    )
    user.refresh_from_db()

    assert response.status_code == 302
    assert user.email == "after@example.com"
