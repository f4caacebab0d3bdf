"""No write touches a row it was not aimed at.

A query parameter the grammar cannot place is refused on every method with
PostgREST's error, for every role, and the tables stay byte-for-byte the same;
PATCH and DELETE without a filter are refused as Supabase's pg-safeupdate
refuses them.
"""

from __future__ import annotations

import httpx
import pytest
from postgrest.exceptions import APIError

from tests.conftest import ALICE, new_project, run_cli, start_server, stop_server

SCHEMA = """
create table safety_items (
  id bigint primary key,
  label text not null,
  qty integer
);
create table safety_parts (
  id bigint primary key,
  item_id bigint references safety_items(id),
  name text
);
alter table safety_items enable row level security;
alter table safety_parts enable row level security;
create policy "anyone may do anything" on safety_items for all
  using (true) with check (true);
create policy "anyone may do anything" on safety_parts for all
  using (true) with check (true);
insert into safety_items (id, label, qty) values (1, 'one', 1), (2, 'two', 2), (3, 'three', 3);
insert into safety_parts (id, item_id, name) values (1, 1, 'bolt'), (2, 1, 'nut'), (3, 2, 'gear');
"""

ROLES = ("anon", "user", "service")

# (query parameters, expected code): none of these can be placed by the grammar.
UNUSABLE = [
    ("nosuch.id=eq.1", "PGRST108"),
    ("nosuch.order=id.desc", "PGRST108"),
    ("nosuch.limit=1", "PGRST108"),
    ("nosuch.offset=1", "PGRST108"),
    ("nosuch.or=(id.eq.1,id.eq.2)", "PGRST108"),
    ("nosuch.and=(id.eq.1)", "PGRST108"),
    ("nosuch.not.or=(id.eq.1)", "PGRST108"),
    ("safety_parts.id=eq.1", "PGRST108"),
    ("safety_parts.deep.id=eq.1", "PGRST108"),
    ("select=*,safety_parts(*)&safety_parts.nosuch=eq.1", "42703"),
    ("select=*,safety_parts(*)&safety_parts.order=nosuch", "42703"),
    ("select=*,safety_parts(*)&safety_parts.id=eq.abc", "22P02"),
    ("nosuch=eq.1", "42703"),
    ("or=(nosuch.eq.1,id.eq.1)", "42703"),
    ("order=nosuch", "42703"),
    ("id=eqq.1", "PGRST100"),
    ("id=1", "PGRST100"),
    ("id.eq=1", "PGRST100"),
    ("=eq.1", "PGRST100"),
    ("or=(id.eq.1", "PGRST100"),
    ("limit=abc", "PGRST100"),
    ("select=id,(", "PGRST100"),
    ("select=*,nosuch(*)", "PGRST200"),
    ("id=eq.abc", "22P02"),
    ("qty=eq.3000000000", "22003"),
    ("id=eq.99999999999999999999", "22003"),
]

# Each method with a body and the filter it needs to reach every row: a
# refusal must come from the unusable parameter, not from a missing filter.
METHODS = {
    "GET": ("", None),
    "HEAD": ("", None),
    "POST": ("", {"id": 10, "label": "new"}),
    "PATCH": ("id=gte.1", {"label": "changed"}),
    "PUT": ("id=eq.1", {"id": 1, "label": "replaced"}),
    "DELETE": ("id=gte.1", None),
}


@pytest.fixture(scope="module")
def tables(live):
    live.sql(SCHEMA)
    yield
    live.sql("drop table safety_parts; drop table safety_items;")


def role_headers(live, role: str) -> dict[str, str]:
    if role == "service":
        return live.headers(key=live.service_key)
    return live.headers(user=ALICE if role == "user" else None)


def snapshot(live, rest) -> tuple[bytes, bytes]:
    headers = role_headers(live, "service")
    return tuple(
        rest.get(f"/{table}?order=id", headers=headers).content
        for table in ("safety_items", "safety_parts")
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", list(METHODS))
@pytest.mark.parametrize(("parameter", "code"), UNUSABLE)
def test_unusable_parameter_is_refused_and_changes_nothing(
    live, rest, tables, role, method, parameter, code
):
    before = snapshot(live, rest)
    root_filter, body = METHODS[method]
    query = "&".join(part for part in (root_filter, parameter) if part)
    headers = role_headers(live, role) | {"Prefer": "return=representation"}

    response = rest.request(
        method, f"/safety_items?{query}", headers=headers, json=body
    )

    assert 400 <= response.status_code < 500, response.text
    if method != "HEAD":
        assert response.json()["code"] == code, response.text
    assert snapshot(live, rest) == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize(
    "prefer", ["return=minimal", "return=representation", "count=exact"]
)
def test_unfiltered_write_is_refused_as_safeupdate_does(
    live, rest, tables, role, method, prefer
):
    before = snapshot(live, rest)
    body = {"label": "everything"} if method == "PATCH" else None
    headers = role_headers(live, role) | {"Prefer": prefer}

    response = rest.request(method, "/safety_items", headers=headers, json=body)

    assert response.status_code == 400
    statement = "UPDATE" if method == "PATCH" else "DELETE"
    assert response.json() == {
        "code": "21000",
        "details": None,
        "hint": None,
        "message": f"{statement} requires a WHERE clause",
    }
    assert snapshot(live, rest) == before


@pytest.mark.parametrize("role", ROLES)
def test_supabase_py_writes_with_unusable_filters_change_nothing(
    live, rest, tables, anon, alice, service, role
):
    client = {"anon": anon, "user": alice, "service": service}[role]
    before = snapshot(live, rest)
    attempts = [
        lambda: client.table("safety_items").delete().eq("nosuch.id", 1).execute(),
        lambda: (
            client.table("safety_items")
            .update({"label": "x"})
            .eq("nosuch.id", 1)
            .execute()
        ),
        lambda: client.table("safety_items").delete().eq("nosuch", 1).execute(),
        lambda: client.table("safety_items").delete().execute(),
        lambda: client.table("safety_items").update({"label": "x"}).execute(),
    ]
    codes = []
    for attempt in attempts:
        with pytest.raises(APIError) as error:
            attempt()
        codes.append(error.value.code)

    assert codes == ["PGRST108", "PGRST108", "42703", "21000", "21000"]
    assert snapshot(live, rest) == before


def test_limit_with_order_makes_a_write_filtered(live, rest, tables):
    headers = role_headers(live, "service") | {"Prefer": "return=representation"}
    live.sql("insert into safety_items (id, label) values (90, 'a'), (91, 'b');")

    response = rest.patch(
        "/safety_items?limit=1&order=id.desc",
        headers=headers,
        json={"label": "last"},
    )

    assert response.status_code == 200, response.text
    assert [row["id"] for row in response.json()] == [91]
    live.sql("delete from safety_items where id in (90, 91);")


def test_safe_updates_can_be_turned_off(tmp_path):
    project = new_project(tmp_path)
    run_cli(
        project,
        "sql",
        "-f",
        "-",
        stdin="create table scratch (id bigint primary key, label text);"
        "insert into scratch values (1, 'a'), (2, 'b');",
    )
    server = start_server(project, {"KOYALITE_API_SAFE_UPDATES": "false"})
    try:
        headers = server.headers(key=server.service_key)
        url = f"{server.url}/rest/v1/scratch"

        patched = httpx.patch(url, headers=headers, json={"label": "z"})
        deleted = httpx.delete(url, headers=headers)
        left = httpx.get(url, headers=headers).json()
    finally:
        stop_server(server)

    assert (patched.status_code, deleted.status_code) == (204, 204)
    assert left == []
