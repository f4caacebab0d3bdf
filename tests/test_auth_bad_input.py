"""Hostile input on /auth/v1: bounded bodies, GoTrue's typed fields, and
whatever is stored reads back through every path that returns it."""

from __future__ import annotations

import threading
import uuid

import httpx
import jwt
import pytest

from accounts.params import MAX_BODY_BYTES
from accounts.services import MAX_METADATA_BYTES
from koyalite.jsonbody import MAX_DEPTH

PASSWORD = "correct horse"


def nested(levels: int) -> object:
    """`levels` objects, one inside the other."""
    document: object = "leaf"
    for _ in range(levels):
        document = {"a": document}
    return document


def unique_email() -> str:
    return f"hostile-{uuid.uuid4().hex[:10]}@example.com"


def auth(server, method: str, path: str, *, key: str = "anon", token=None, **kwargs):
    apikey = server.service_key if key == "service" else server.anon_key
    bearer = token or apikey
    headers = {"apikey": apikey, "Authorization": f"Bearer {bearer}"}
    return httpx.request(
        method, f"{server.url}/auth/v1{path}", headers=headers, timeout=30, **kwargs
    )


def admin(server, method: str, path: str, **kwargs) -> httpx.Response:
    return auth(server, method, path, key="service", **kwargs)


def users_with_email(server, email: str) -> list[dict]:
    response = admin(server, "GET", "/admin/users", params={"filter": email})
    return [u for u in response.json()["users"] if u["email"] == email]


def total_users(server) -> int:
    return int(admin(server, "GET", "/admin/users").headers["X-Total-Count"])


def confirmed_user(server, **attributes) -> dict:
    body = {"email": unique_email(), "password": PASSWORD, "email_confirm": True}
    response = admin(server, "POST", "/admin/users", json={**body, **attributes})
    assert response.status_code == 200, response.text
    return response.json()


def signed_in_user(server) -> tuple[dict, str]:
    """A confirmed user and an access token of theirs."""
    user = confirmed_user(server)
    return user, sign_in(server, user["email"])["access_token"]


def sign_in(server, email: str) -> dict:
    response = auth(
        server,
        "POST",
        "/token?grant_type=password",
        json={"email": email, "password": PASSWORD},
    )
    assert response.status_code == 200, response.text
    return response.json()


def assert_refused(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error_code"] == code


def every_view_of(server, session: dict) -> list[dict]:
    """The user as each path that returns it shows them."""
    user_id, token = session["user"]["id"], session["access_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    refreshed = auth(
        server,
        "POST",
        "/token?grant_type=refresh_token",
        json={"refresh_token": session["refresh_token"]},
    )
    email = session["user"]["email"]
    views = [
        session["user"],
        {k: claims[k] for k in ("user_metadata", "app_metadata")},
        auth(server, "GET", "/user", token=token).json(),
        refreshed.json()["user"],
        admin(server, "GET", f"/admin/users/{user_id}").json(),
        users_with_email(server, email)[0],
        admin(
            server,
            "POST",
            "/admin/generate_link",
            json={"type": "magiclink", "email": email},
        ).json(),
    ]
    # The token still works where it is sent back: /rest/v1.
    rows = httpx.get(
        f"{server.url}/rest/v1/notes",
        headers={"apikey": server.anon_key, "Authorization": f"Bearer {token}"},
    )
    assert rows.status_code == 200, rows.text
    return views


def test_the_deepest_accepted_metadata_reads_back_through_every_path(auth_live):
    deepest = nested(MAX_DEPTH - 1)  # under `data`: a body MAX_DEPTH deep
    email = unique_email()

    signed_up = auth(
        auth_live,
        "POST",
        "/signup",
        json={"email": email, "password": PASSWORD, "data": deepest},
    )
    user_id = signed_up.json()["id"]
    confirmed = admin(
        auth_live,
        "PUT",
        f"/admin/users/{user_id}",
        json={"email_confirm": True, "app_metadata": {"k": nested(MAX_DEPTH - 2)}},
    )
    updated = auth(
        auth_live,
        "PUT",
        "/user",
        token=sign_in(auth_live, email)["access_token"],
        json={"data": {"b": nested(MAX_DEPTH - 2)}},
    )
    views = every_view_of(auth_live, sign_in(auth_live, email))

    assert signed_up.status_code == 200, signed_up.text
    assert signed_up.json()["user_metadata"] == deepest
    assert confirmed.status_code == 200 and updated.status_code == 200
    expected = {**deepest, "b": nested(MAX_DEPTH - 2)}
    for view in views:
        assert view["user_metadata"] == expected
        assert view["app_metadata"]["k"] == nested(MAX_DEPTH - 2)


@pytest.mark.parametrize(
    "entry",
    [
        "signup",
        "otp",
        "invite",
        "generate_link",
        "admin user_metadata",
        "admin app_metadata",
    ],
)
def test_one_level_deeper_is_400_and_creates_no_user(auth_live, entry):
    too_deep = nested(MAX_DEPTH)  # a body MAX_DEPTH + 1 deep
    email = unique_email()
    method, path, key, body = {
        "signup": ("POST", "/signup", "anon", {"password": PASSWORD, "data": too_deep}),
        "otp": ("POST", "/otp", "anon", {"data": too_deep}),
        "invite": ("POST", "/invite", "service", {"data": too_deep}),
        "generate_link": (
            "POST",
            "/admin/generate_link",
            "service",
            {"type": "signup", "password": PASSWORD, "data": too_deep},
        ),
        "admin user_metadata": (
            "POST",
            "/admin/users",
            "service",
            {"user_metadata": too_deep},
        ),
        "admin app_metadata": (
            "POST",
            "/admin/users",
            "service",
            {"app_metadata": too_deep},
        ),
    }[entry]

    response = auth(auth_live, method, path, key=key, json={"email": email, **body})

    assert_refused(response, 400, "validation_failed")
    assert response.json()["msg"] == (
        f"Request body is not accepted: JSON is nested deeper than {MAX_DEPTH} levels"
    )
    assert users_with_email(auth_live, email) == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/user", {"data": nested(MAX_DEPTH)}),
        ("/admin/users/{id}", {"user_metadata": nested(MAX_DEPTH)}),
        ("/admin/users/{id}", {"app_metadata": nested(MAX_DEPTH)}),
    ],
)
def test_one_level_deeper_is_400_and_changes_no_user(auth_live, path, body):
    user, token = signed_in_user(auth_live)
    key = "service" if path.startswith("/admin") else "anon"

    response = auth(
        auth_live,
        "PUT",
        path.format(id=user["id"]),
        key=key,
        token=None if key == "service" else token,
        json=body,
    )

    assert_refused(response, 400, "validation_failed")
    after = admin(auth_live, "GET", f"/admin/users/{user['id']}").json()
    assert after["updated_at"] == user["updated_at"]
    assert after["user_metadata"] == {}


def test_the_sign_up_that_broke_the_user_list_is_refused(auth_live):
    email = unique_email()

    response = auth(
        auth_live,
        "POST",
        "/signup",
        json={"email": email, "password": PASSWORD, "data": nested(260)},
    )

    assert_refused(response, 400, "validation_failed")
    assert admin(auth_live, "GET", "/admin/users").status_code == 200
    assert users_with_email(auth_live, email) == []


def test_a_body_over_one_mebibyte_is_413_and_stores_nothing(auth_live):
    email = unique_email()
    padding = "x" * MAX_BODY_BYTES

    response = auth(
        auth_live,
        "POST",
        "/signup",
        json={"email": email, "password": PASSWORD, "data": {"x": padding}},
    )

    assert_refused(response, 413, "request_entity_too_large")
    assert response.json()["msg"] == (
        f"Request body too large (max {MAX_BODY_BYTES} bytes)"
    )
    assert users_with_email(auth_live, email) == []


def sized(size: int) -> dict:
    """An object that is `size` bytes as JSON."""
    return {"x": "y" * (size - len('{"x":""}'))}


def test_metadata_past_its_cap_is_400_and_the_largest_reads_back(auth_live):
    refused_email = unique_email()

    refused = admin(
        auth_live,
        "POST",
        "/admin/users",
        json={"email": refused_email, "user_metadata": sized(MAX_METADATA_BYTES + 1)},
    )
    largest = confirmed_user(
        auth_live,
        user_metadata=sized(MAX_METADATA_BYTES),
        app_metadata={"y": "z" * (MAX_METADATA_BYTES - 200)},
    )
    views = every_view_of(auth_live, sign_in(auth_live, largest["email"]))

    assert_refused(refused, 400, "validation_failed")
    assert users_with_email(auth_live, refused_email) == []
    for view in views:
        assert view["user_metadata"] == sized(MAX_METADATA_BYTES)


def test_metadata_cannot_grow_past_its_cap_by_merging(auth_live):
    user, token = signed_in_user(auth_live)
    half = {"x": "y" * (MAX_METADATA_BYTES // 2)}

    first = auth(auth_live, "PUT", "/user", token=token, json={"data": half})
    second = auth(
        auth_live, "PUT", "/user", token=token, json={"data": {"z": half["x"]}}
    )

    assert first.status_code == 200
    assert_refused(second, 400, "validation_failed")
    shown = admin(auth_live, "GET", f"/admin/users/{user['id']}").json()
    assert shown["user_metadata"] == half


@pytest.mark.parametrize(
    ("method", "path", "key", "body", "field"),
    [
        ("POST", "/admin/generate_link", "service", {"type": []}, "type"),
        ("POST", "/admin/generate_link", "service", {"type": 1}, "type"),
        ("POST", "/signup", "anon", {"email": 5, "password": PASSWORD}, "email"),
        ("POST", "/signup", "anon", {"data": "text"}, "data"),
        ("POST", "/otp", "anon", {"create_user": "yes"}, "create_user"),
        ("POST", "/verify", "anon", {"type": ["signup"]}, "type"),
        ("POST", "/invite", "service", {"data": []}, "data"),
        ("POST", "/admin/users", "service", {"email_confirm": "true"}, "email_confirm"),
        ("PUT", "/user", "user", {"email": 1}, "email"),
        ("PUT", "/user", "user", {"phone": []}, "phone"),
        ("PUT", "/user", "user", {"password": {"a": 1}}, "password"),
        ("PUT", "/user", "user", {"data": ["a"]}, "data"),
        (
            "POST",
            "/factors",
            "user",
            {"factor_type": "totp", "friendly_name": []},
            "friendly_name",
        ),
        ("POST", "/factors", "user", {"factor_type": "totp", "issuer": 7}, "issuer"),
    ],
)
def test_a_field_of_the_wrong_type_is_bad_json_and_stores_nothing(
    auth_live, method, path, key, body, field
):
    user, token = signed_in_user(auth_live)
    email = unique_email()
    users_before = total_users(auth_live)

    response = auth(
        auth_live,
        method,
        path,
        key="service" if key == "service" else "anon",
        token=token if key == "user" else None,
        json={"email": email, **body},
    )

    assert_refused(response, 400, "bad_json")
    assert field in response.json()["msg"]
    assert total_users(auth_live) == users_before
    after = admin(auth_live, "GET", f"/admin/users/{user['id']}").json()
    assert (after["updated_at"], after["factors"]) == (user["updated_at"], [])


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("POST", "/signup", "anon"),
        ("POST", "/token?grant_type=password", "anon"),
        ("POST", "/otp", "anon"),
        ("PUT", "/user", "user"),
        ("POST", "/factors", "user"),
        ("POST", "/admin/users", "service"),
    ],
)
def test_an_empty_body_is_bad_json_and_creates_nobody(auth_live, method, path, key):
    user, token = signed_in_user(auth_live)
    users_before = total_users(auth_live)

    response = auth(
        auth_live,
        method,
        path,
        key=key,
        token=token if key == "user" else None,
        content=b"",
    )

    assert_refused(response, 400, "bad_json")
    assert total_users(auth_live) == users_before


def test_a_bad_pkce_challenge_on_otp_creates_nobody(auth_live):
    email = unique_email()

    response = auth(
        auth_live, "POST", "/otp", json={"email": email, "code_challenge": "short"}
    )

    assert_refused(response, 400, "validation_failed")
    assert users_with_email(auth_live, email) == []


def test_an_empty_object_still_signs_up_anonymously(auth_live):
    response = auth(auth_live, "POST", "/signup", json={})

    assert response.status_code == 200
    assert response.json()["user"]["is_anonymous"] is True


def test_app_metadata_from_a_user_is_403_not_admin_and_changes_nothing(auth_live):
    user, token = signed_in_user(auth_live)

    response = auth(
        auth_live,
        "PUT",
        "/user",
        token=token,
        json={"data": {"name": "Eve"}, "app_metadata": {"role": "admin"}},
    )

    assert_refused(response, 403, "not_admin")
    assert response.json()["msg"] == "Updating app_metadata requires admin privileges"
    after = admin(auth_live, "GET", f"/admin/users/{user['id']}").json()
    assert after["user_metadata"] == {} and "role" not in after["app_metadata"]


def test_a_failed_update_saves_none_of_its_other_fields(auth_live):
    user, token = signed_in_user(auth_live)

    response = auth(
        auth_live,
        "PUT",
        "/user",
        token=token,
        json={"data": {"name": "Eve"}, "email": "not an address"},
    )

    assert_refused(response, 400, "validation_failed")
    after = admin(auth_live, "GET", f"/admin/users/{user['id']}").json()
    assert after["user_metadata"] == {}
    assert after["updated_at"] == user["updated_at"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"email": "a" * 250 + "@example.com", "password": PASSWORD},
            "An email address is too long",
        ),
        (
            {"email": "long@example.com", "password": "é" * 37},
            "Password cannot be longer than 72 characters",
        ),
    ],
)
def test_gotrues_length_limits_apply(auth_live, body, message):
    response = auth(auth_live, "POST", "/signup", json=body)

    assert_refused(response, 400, "validation_failed")
    assert response.json()["msg"] == message


def test_a_too_long_issuer_is_400_and_leaves_no_factor(auth_live):
    user, token = signed_in_user(auth_live)
    attempts = [
        auth(
            auth_live,
            "POST",
            "/factors",
            token=token,
            json={"factor_type": "totp", "issuer": "x" * 2000},
        )
        for _ in range(12)
    ]
    # Within the length limit, but too long for a QR code once escaped.
    escaped = auth(
        auth_live,
        "POST",
        "/factors",
        token=token,
        json={"factor_type": "totp", "issuer": "€" * 255},
    )
    left = admin(auth_live, "GET", f"/admin/users/{user['id']}/factors").json()
    enrolled = auth(
        auth_live, "POST", "/factors", token=token, json={"factor_type": "totp"}
    )

    for attempt in [*attempts, escaped]:
        assert_refused(attempt, 400, "validation_failed")
    assert left == []
    assert enrolled.status_code == 200, enrolled.text


def test_a_callback_form_that_cannot_be_parsed_redirects_with_the_error(auth_live):
    response = httpx.post(
        f"{auth_live.url}/auth/v1/callback",
        headers={"Content-Type": "multipart/form-data"},
        content=b"state=x",
    )

    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith("http://app.example")
    assert "error_code=bad_oauth_callback" in location


def test_an_admin_update_racing_a_delete_is_200_or_404_never_500(auth_live):
    answers = []
    for _ in range(15):
        user_id = confirmed_user(auth_live)["id"]
        pair: dict[str, int] = {}

        def update(user_id=user_id, pair=pair):
            pair["put"] = admin(
                auth_live,
                "PUT",
                f"/admin/users/{user_id}",
                json={"user_metadata": {"a": 1}, "ban_duration": "1h"},
            ).status_code

        def delete(user_id=user_id, pair=pair):
            pair["delete"] = admin(
                auth_live, "DELETE", f"/admin/users/{user_id}"
            ).status_code

        threads = [threading.Thread(target=update), threading.Thread(target=delete)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        answers.append((pair["put"], pair["delete"]))

    assert {put for put, _ in answers} <= {200, 404}
    assert {deleted for _, deleted in answers} == {200}
