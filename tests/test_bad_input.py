"""Bad requests get a clear 4xx in PostgREST's error shape and change nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import BOB


def snapshot(live, rest):
    headers = live.headers(key=live.service_key)
    return {
        t: rest.get(f"/{t}?order=id", headers=headers).content
        for t in ("todos", "tags", "notes")
    }


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/todos?id=eqq.1", 400, "PGRST100"),
        ("/todos?id=eq", 400, "PGRST100"),
        ("/todos?select=id,(", 400, "PGRST100"),
        ("/todos?order=id.sideways", 400, "PGRST100"),
        ("/todos?limit=-1", 400, "PGRST100"),
        ("/todos?limit=abc", 400, "PGRST100"),
        ("/todos?titel=eq.x", 400, "42703"),
        ("/todos?select=titel", 400, "42703"),
        ("/nope", 404, "PGRST205"),
        ("/todos?select=*,nope(*)", 400, "PGRST200"),
        ("/todos?id=eq.abc", 400, "22P02"),
        ("/todos?done=eq.maybe", 400, "22P02"),
        ("/todos?owner=eq.not-a-uuid", 400, "22P02"),
        ("/todos?due=gt.2024-13-45", 400, "22P02"),
        ("/todos?comments.body=eq.x", 400, "PGRST108"),
    ],
)
def test_malformed_reads(live, rest, path, status, code):
    response = rest.get(path, headers=live.headers(key=live.service_key))

    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert set(body) == {"code", "message", "details", "hint"}
    assert body["message"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "PGRST102"),
        (b"{not json", "PGRST102"),
        (b"[1, 2]", "PGRST102"),
        (b'{"titel": "x"}', "PGRST204"),
        (b'{"body": "x", "score": "lots"}', "22P02"),
        (b'{"body": ["not", "text"], "score": {"a": 1}}', "22P02"),
    ],
)
def test_malformed_bodies_are_400_and_write_nothing(live, rest, body, code):
    before = snapshot(live, rest)

    response = rest.post(
        "/notes",
        content=body,
        headers={
            **live.headers(key=live.service_key),
            "Content-Type": "application/json",
        },
    )

    assert response.status_code == 400, response.text
    assert response.json()["code"] == code
    assert snapshot(live, rest) == before


def test_huge_body_is_413(live, rest):
    before = snapshot(live, rest)
    payload = b"[" + b",".join([b'{"body": "' + b"x" * 1000 + b'"}'] * 12000) + b"]"

    response = rest.post(
        "/notes",
        content=payload,
        headers={
            **live.headers(key=live.service_key),
            "Content-Type": "application/json",
        },
    )

    assert response.status_code == 413
    assert snapshot(live, rest) == before


def test_unsupported_accept_is_406(live, rest):
    response = rest.get(
        "/notes", headers={**live.headers(), "Accept": "application/xml"}
    )

    assert response.status_code == 406
    assert response.json()["code"] == "PGRST107"


SQL_LIKE = st.sampled_from(
    [
        "'; drop table todos; --",
        '" or 1=1 --',
        "1; delete from todos",
        "x') or ('1'='1",
        "\\x00",
        'todos"; drop table notes; --',
        "*",
        "%",
        "1 union select * from auth_users",
    ]
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    value=SQL_LIKE | st.text(max_size=40),
    where=st.sampled_from(["filter", "column", "select", "order", "table", "in"]),
)
def test_sql_looking_values_never_reach_sql(live, rest, value, where):
    from urllib.parse import quote

    before = snapshot(live, rest)
    v = quote(value, safe="")
    path = {
        "filter": f"/todos?title=eq.{v}",
        "column": f"/todos?{v}=eq.1",
        "select": f"/todos?select={v}",
        "order": f"/todos?order={v}",
        "table": f"/{v}",
        "in": f"/todos?title=in.({v})",
    }[where]

    response = rest.get(path, headers=live.headers(BOB))

    assert response.status_code < 500, response.text
    if response.status_code == 200:
        assert all(
            row.get("owner", BOB) == BOB
            for row in response.json()
            if isinstance(row, dict)
        )
    assert snapshot(live, rest) == before


def test_unknown_paths_and_rpc_answer_in_postgrest_json(live, rest):
    nested = rest.get("/todos/1", headers=live.headers())
    rpc = rest.post("/rpc/do_things", json={}, headers=live.headers())

    assert nested.status_code == 404
    assert nested.json()["code"] == "PGRST125"
    assert rpc.status_code == 404
    assert rpc.json()["code"] == "PGRST202"
