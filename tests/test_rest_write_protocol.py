"""The write half of PostgREST's protocol, case by case against its own specs.

Each test names the case of PostgREST's test suite it follows
(test/spec/Feature/Query/{Insert,Update,Delete,Upsert,Singular}Spec.hs), and
every refused request is checked to leave the tables as they were.
"""

from __future__ import annotations

import pytest

SCHEMA = """
create table wp_items (
  id bigint primary key,
  label text not null,
  qty integer default 0
);
create table wp_defaults (
  id integer primary key,
  label text default 'none'
);
insert into wp_items (id, label, qty) values (1, 'one', 1), (2, 'two', 2), (3, 'three', 3);
"""
TABLES = ("wp_items", "wp_defaults")
SINGULAR = "application/vnd.pgrst.object+json"


@pytest.fixture(scope="module")
def tables(live):
    live.sql(SCHEMA)
    yield
    live.sql("".join(f"drop table {table};" for table in reversed(TABLES)))


@pytest.fixture
def headers(live, tables) -> dict[str, str]:
    return live.headers(key=live.service_key)


def snapshot(rest, headers) -> dict[str, bytes]:
    return {
        table: rest.get(f"/{table}?order=id", headers=headers).content
        for table in TABLES
    }


# ---------------------------------------------------------------- singular


@pytest.mark.parametrize("prefer", ["return=minimal", "return=representation"])
@pytest.mark.parametrize(
    ("method", "path", "body", "rows"),
    [
        ("POST", "/wp_items", [{"id": 10, "label": "a"}, {"id": 11, "label": "b"}], 2),
        ("POST", "/wp_items", [], 0),
        ("PATCH", "/wp_items?id=lte.2", {"label": "changed"}, 2),
        ("PATCH", "/wp_items?id=eq.99", {"label": "changed"}, 0),
        ("DELETE", "/wp_items?id=lte.2", None, 2),
        ("DELETE", "/wp_items?id=eq.99", None, 0),
    ],
)
def test_singular_write_of_other_than_one_row_is_406_and_rolled_back(
    rest, headers, prefer, method, path, body, rows
):
    """SingularSpec: 'raises an error when attempting to create multiple
    entities', '... regardless of return=minimal', '... when creating zero
    entities', 'raises an error for multiple rows' / 'for zero rows' (PATCH),
    '... when attempting to delete multiple entities' / 'when deleting zero
    entities': PostgREST counts the rows affected, not the rows returned."""
    before = snapshot(rest, headers)

    response = rest.request(
        method,
        path,
        json=body,
        headers=headers | {"Prefer": prefer, "Accept": SINGULAR},
    )

    assert response.status_code == 406
    assert response.json() == {
        "code": "PGRST116",
        "message": "JSON object requested, multiple (or no) rows returned",
        "details": f"The result contains {rows} rows",
        "hint": None,
    }
    assert snapshot(rest, headers) == before


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/wp_items", [{"id": 20, "label": "single"}], 201),
        ("PATCH", "/wp_items?id=eq.20", {"label": "singular"}, 204),
        ("PUT", "/wp_items?id=eq.20", {"id": 20, "label": "put"}, 204),
        ("DELETE", "/wp_items?id=eq.20", None, 204),
    ],
)
def test_singular_write_of_one_row_with_return_minimal_has_no_body(
    rest, headers, method, path, body, status
):
    """SingularSpec: 'works for one row with return=minimal' (POST, PATCH,
    DELETE): the write happens and nothing is returned, not even a type."""
    response = rest.request(
        method,
        path,
        json=body,
        headers=headers | {"Prefer": "return=minimal", "Accept": SINGULAR},
    )

    assert response.status_code == status, response.text
    assert response.content == b""
    assert "content-type" not in response.headers
    assert response.headers["preference-applied"] == "return=minimal"


# ---------------------------------------------------------------- preferences


@pytest.mark.parametrize(
    ("method", "path", "body", "prefer", "applied"),
    [
        ("PATCH", "/wp_items?id=eq.1", {"qty": 1}, None, None),
        ("DELETE", "/wp_items?id=eq.99", None, None, None),
        ("POST", "/wp_items", {"id": 30, "label": "p"}, None, None),
        (
            "POST",
            "/wp_items?columns=id,label",
            {"id": 31, "label": "p"},
            "return=representation,missing=default,resolution=merge-duplicates",
            "resolution=merge-duplicates, missing=default, return=representation",
        ),
        (
            "PATCH",
            "/wp_items?id=eq.1",
            {"qty": 1},
            "count=exact,return=representation,tx=rollback",
            "return=representation, count=exact, tx=rollback",
        ),
    ],
)
def test_preference_applied_echoes_what_was_asked_in_postgrest_order(
    rest, headers, method, path, body, prefer, applied
):
    """UpsertSpec: 'INSERTs and UPDATEs rows with SERIAL surrogate primary keys
    using Prefer: missing=default' ("resolution=merge-duplicates,
    missing=default, return=representation"); DeleteSpec: 'returns the deleted
    item and count if requested' ("return=representation, count=exact"); a
    request without Prefer gets no Preference-Applied."""
    extra = {"Prefer": prefer} if prefer else {}

    response = rest.request(method, path, json=body, headers=headers | extra)

    assert response.status_code < 300, response.text
    assert response.headers.get("preference-applied") == applied
