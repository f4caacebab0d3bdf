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
        ("/todos?limit=-1", 416, "PGRST103"),
        ("/todos?select=id::nonsense", 400, "42704"),
        ("/todos?select=data->>a->b", 404, "42883"),
        ("/todos?limit=-", 400, "PGRST100"),
        ("/todos?id=in.( ,3)", 400, "22P02"),
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


def _nested(depth: int, leaf: str = "1") -> str:
    """A JSON document `depth` levels deep: objects and arrays in turn."""
    text = leaf
    for level in range(depth):
        text = f'{{"k": {text}}}' if level % 2 else f"[{text}]"
    return text


@pytest.mark.parametrize("leaf", ["1", "0.1234567890123456789"])
def test_deepest_accepted_json_is_stored_and_read_back_everywhere(live, rest, leaf):
    headers = live.headers(key=live.service_key)
    deepest = _nested(127, leaf)  # the row's object is the 128th level
    body = f'{{"owner": "{BOB}", "title": "deep", "data": {deepest}}}'

    created = rest.post(
        "/todos",
        headers=headers
        | {"Prefer": "return=representation", "Content-Type": "application/json"},
        content=body.encode(),
    )
    todo = created.json()[0]["id"] if created.status_code == 201 else None
    read = rest.get(f"/todos?id=eq.{todo}&select=data", headers=headers)
    # A JSON path one level in, and the whole row as CSV.
    inner = rest.get(f"/todos?id=eq.{todo}&select=d:data->0", headers=headers)
    csv = rest.get(
        f"/todos?id=eq.{todo}&select=data", headers=headers | {"Accept": "text/csv"}
    )
    rest.delete(f"/todos?id=eq.{todo}", headers=headers)

    assert created.status_code == 201, created.text
    assert read.status_code == 200, read.text
    assert (inner.status_code, csv.status_code) == (200, 200)
    assert leaf in read.text and leaf in inner.text and leaf in csv.text
    assert read.json()[0]["data"] == created.json()[0]["data"]
    assert inner.json()[0]["d"] == read.json()[0]["data"][0]


@pytest.mark.parametrize("leaf", ["1", "1e400"])
@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT"])
def test_json_nested_past_the_limit_is_refused_and_writes_nothing(
    live, rest, method, leaf
):
    before = snapshot(live, rest)
    body = f'{{"id": 1, "body": "x", "score": {_nested(129, leaf)}}}'
    query = "" if method == "POST" else "?id=eq.1"

    response = rest.request(
        method,
        f"/notes{query}",
        headers=live.headers(key=live.service_key)
        | {"Content-Type": "application/json"},
        content=body.encode(),
    )

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "PGRST102"
    assert response.json()["message"] == "JSON is nested deeper than 128 levels"
    assert snapshot(live, rest) == before


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT"])
def test_text_longer_than_its_varchar_is_22001_and_writes_nothing(live, rest, method):
    live.sql(
        "create table if not exists codes (id bigint primary key, code varchar(5), "
        "letter char(1)); insert or ignore into codes values (1, 'abc', 'x');"
    )
    headers = live.headers(key=live.service_key)
    before = rest.get("/codes?order=id", headers=headers).content
    query = "" if method == "POST" else "?id=eq.1"

    long = rest.request(
        method, f"/codes{query}", headers=headers, json={"id": 1, "code": "abcdef"}
    )
    wide = rest.request(
        method, f"/codes{query}", headers=headers, json={"id": 1, "letter": "xy"}
    )
    after = rest.get("/codes?order=id", headers=headers).content
    fits = rest.patch("/codes?id=eq.1", headers=headers, json={"code": "abcde"})
    rest.patch("/codes?id=eq.1", headers=headers, json={"code": "abc"})

    assert (long.status_code, long.json()["code"]) == (400, "22001")
    assert long.json()["message"] == "value too long for type character varying(5)"
    assert wide.json()["message"] == "value too long for type character(1)"
    assert after == before
    assert fits.status_code == 204
