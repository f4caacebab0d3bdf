"""Random requests on /rest/v1: never a 5xx, a refusal writes nothing, and
whatever is written can be read back.

Hypothesis builds requests from PostgREST's grammar and its near misses —
filters, embeds, JSON paths, logic trees, order, ranges, Prefer and Accept
headers, JSON, CSV and form bodies with wrong types, huge numbers and deep
nesting — on every method and role.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ALICE

SCHEMA = """
create table fuzz_items (
  id bigint primary key,
  label text not null,
  qty integer,
  small smallint,
  price numeric,
  flag boolean,
  doc jsonb,
  tags text[],
  at timestamptz,
  ref uuid
);
create table fuzz_parts (
  id bigint primary key,
  item_id bigint references fuzz_items(id) on delete cascade,
  name text
);
alter table fuzz_items enable row level security;
alter table fuzz_parts enable row level security;
create policy "anyone" on fuzz_items for all using (true) with check (qty is null or qty >= 0);
create policy "anyone" on fuzz_parts for all using (true) with check (true);
insert into fuzz_items (id, label, qty, price, flag, doc, tags) values
  (1, 'one', 1, 1.5, true, '{"a": {"b": 1}, "c": [1, 2]}', '["x","y"]'),
  (2, 'two', 2, null, false, '[1, {"k": "v"}]', null),
  (3, 'three', null, 3, null, null, '[]');
insert into fuzz_parts values (1, 1, 'bolt'), (2, 1, 'nut'), (3, 2, 'gear');
"""

COLUMNS = ["id", "label", "qty", "small", "price", "flag", "doc", "tags", "at", "ref"]
# Mostly grammar, a near miss now and then: a run must reach the writes.
NAMES = st.sampled_from(
    COLUMNS * 3 + ["nosuch", "fuzz_parts", "item_id", "", "a b", '"q"']
)
OPERATORS = st.sampled_from(
    ["eq", "eq", "eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match",
     "imatch", "in", "is", "isdistinct", "cs", "cd", "ov", "fts", "sl", "eqq",
     "not.eq", "eq(any)", "like(all)"]
)  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(["1", "2", "3", "one", "two", "true", "null", "(1,2)"]),
    st.sampled_from(
        ["1", "-1", "0", "1.5", "abc", "", "null", "true", "99999999999999999999",
         "1e400", "(1,2)", "(  )", "( ,1)", '{"a":1}', "{x,y}", "[1,2]",
         "2024-13-45", "00000000-0000-4000-8000-000000000000", "*", "%", "\\",
         "'; drop table fuzz_items; --", ")", "(", ",", "\x00"]
    ),
    st.text(max_size=12),
)  # fmt: skip
PATHS = st.sampled_from(
    ["", "->a", "->>a", "->a->>b", "->0", "->-1", "->>0", "->c->1", "->>a->b",
     "->0xy", "->", "->>"]
)  # fmt: skip


@st.composite
def parameters(draw) -> list[tuple[str, str]]:
    """Query parameters: mostly grammar, sometimes a near miss."""
    params: list[tuple[str, str]] = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(
            st.sampled_from(
                ["filter", "filter", "filter", "embed_filter", "logic", "select",
                 "select", "order", "limit", "offset", "columns", "on_conflict",
                 "junk"]
            )
        )  # fmt: skip
        name = draw(NAMES)
        if kind == "filter":
            key = name + (draw(PATHS) if name == "doc" else "")
            params.append((key, f"{draw(OPERATORS)}.{draw(VALUES)}"))
        elif kind == "embed_filter":
            embed = draw(st.sampled_from(["fuzz_parts", "nosuch", "fuzz_parts.deep"]))
            tail = draw(st.sampled_from(["name", "nosuch", "order", "limit", "or"]))
            value = {
                "order": "id.desc",
                "limit": draw(st.sampled_from(["1", "-1", "x"])),
                "or": "(name.eq.a,id.eq.1)",
            }.get(tail, f"{draw(OPERATORS)}.{draw(VALUES)}")
            params.append((f"{embed}.{tail}", value))
        elif kind == "logic":
            op = draw(st.sampled_from(["or", "and", "not.or", "fuzz_parts.or"]))
            inner = ",".join(
                f"{draw(NAMES)}.{draw(OPERATORS)}.{draw(VALUES)}"
                for _ in range(draw(st.integers(0, 3)))
            )
            close = draw(st.sampled_from([")", ")", ")", "", "))"]))
            params.append((op, f"({inner}{close}"))
        elif kind == "select":
            items = draw(
                st.lists(
                    st.sampled_from(
                        ["*", "id", "label", "doc->a", "doc->>c", "qty::text",
                         "price::integer", "x:label", "fuzz_parts(*)",
                         "fuzz_parts!inner(name)", "fuzz_parts()", "nosuch(*)",
                         "fuzz_items(*)", "...fuzz_items(label)", "count()",
                         "id.sum()", "(", "doc->0->>1::json"]
                    ),
                    max_size=4,
                )
            )  # fmt: skip
            params.append(("select", ",".join(items)))
        elif kind == "order":
            params.append(("order", f"{name}{draw(PATHS)}.desc.nullsfirst"))
        elif kind in ("limit", "offset"):
            params.append(
                (kind, draw(st.sampled_from(["1", "0", "-2", "x", "9" * 25])))
            )
        elif kind in ("columns", "on_conflict"):
            params.append((kind, ",".join(draw(st.lists(NAMES, max_size=3)))))
        else:
            params.append((draw(st.text(max_size=8)), draw(st.text(max_size=8))))
    return params


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=10),
    ),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


TYPED = st.sampled_from(
    [1, 2, 40000, 3000000000, 0.5, "x", True, None, {"a": 1}, ["t"],
     "2026-01-01T00:00:00Z", "00000000-0000-4000-8000-000000000001"]
)  # fmt: skip


@st.composite
def bodies(draw) -> tuple[str, bytes]:
    """(content type, body): JSON rows, CSV, form fields or raw junk."""
    kind = draw(st.sampled_from(["json", "json", "json", "csv", "form", "raw", "deep"]))
    if kind == "raw":
        return "application/json", draw(st.binary(max_size=30))
    if kind == "deep":
        depth = draw(st.sampled_from([127, 129, 300]))
        return "application/json", (
            b'{"id": 7, "label": "d", "doc": '
            + b"[" * depth
            + b"1"
            + b"]" * depth
            + b"}"
        )
    row = draw(
        st.dictionaries(
            st.sampled_from(COLUMNS + ["nosuch"]),
            st.one_of(TYPED, JSON_VALUES),
            min_size=0,
            max_size=4,
        )
    )
    row.setdefault("id", draw(st.integers(min_value=4, max_value=12)))
    row.setdefault("label", "fuzz")
    if kind == "csv":
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(row.keys())
        writer.writerow(["" if v is None else v for v in row.values()])
        return "text/csv", out.getvalue().encode()
    if kind == "form":
        text = "&".join(f"{quote(str(k))}={quote(str(v))}" for k, v in row.items())
        return "application/x-www-form-urlencoded", text.encode()
    import json

    many = draw(st.booleans())
    return "application/json", json.dumps([row, row] if many else row).encode()


PREFER = st.sampled_from(
    ["", "return=representation", "return=minimal", "count=exact",
     "resolution=merge-duplicates", "missing=default", "tx=rollback",
     "handling=strict, max-affected=1", "return=headers-only", "bogus=1"]
)  # fmt: skip
ACCEPT = st.sampled_from(
    ["", "application/json", "text/csv", "application/vnd.pgrst.object+json",
     "application/vnd.pgrst.array+json;nulls=stripped", "application/xml"]
)  # fmt: skip


@pytest.fixture(scope="module")
def tables(live):
    live.sql(SCHEMA)
    yield
    live.sql("drop table fuzz_parts; drop table fuzz_items;")


def snapshot(live, rest) -> tuple[bytes, bytes]:
    headers = live.headers(key=live.service_key)
    pair = tuple(
        rest.get(f"/{table}?order=id", headers=headers)
        for table in ("fuzz_items", "fuzz_parts")
    )
    for response in pair:
        # Whatever was written must always read back.
        assert response.status_code == 200, response.text
    return tuple(response.content for response in pair)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PATCH", "PUT", "DELETE"]),
    role=st.sampled_from(["anon", "user", "service"]),
    params=parameters(),
    body=bodies(),
    prefer=PREFER,
    accept=ACCEPT,
)
def test_random_requests_never_fail_the_server_or_half_write(
    live, rest, tables, method, role, params, body, prefer, accept
):
    before = snapshot(live, rest)
    key = live.service_key if role == "service" else live.anon_key
    headers = live.headers(user=ALICE if role == "user" else None, key=key)
    if prefer:
        headers["Prefer"] = prefer
    if accept:
        headers["Accept"] = accept
    content = None
    if method in ("POST", "PATCH", "PUT"):
        headers["Content-Type"], content = body
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)

    response = rest.request(
        method,
        "/fuzz_items" + (f"?{query}" if query else ""),
        headers=headers,
        content=content,
    )

    assert response.status_code < 500, response.text
    if response.status_code >= 400 or "tx=rollback" in prefer:
        assert snapshot(live, rest) == before, (response.status_code, response.text)
    else:
        snapshot(live, rest)


# Values each column can take, and some it cannot: most writes succeed.
COLUMN_VALUES = {
    "label": st.text(max_size=20) | st.integers() | st.floats(allow_nan=False),
    "qty": st.integers(min_value=-5, max_value=2**31) | st.sampled_from([1.0, "7"]),
    "small": st.integers(min_value=-(2**15) - 2, max_value=2**15 + 2),
    "price": st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.decimals(allow_nan=False, allow_infinity=False, places=20).map(str),
    "flag": st.booleans() | st.sampled_from(["yes", "off", "maybe", 2]),
    "doc": JSON_VALUES,
    "tags": st.lists(st.text(max_size=5) | st.integers(), max_size=3)
    | st.just("{a,b}"),
    "at": st.datetimes().map(lambda moment: moment.isoformat()) | st.just("soon"),
    "ref": st.uuids().map(str) | st.just("nope"),
}


@st.composite
def rows(draw) -> dict[str, object]:
    row = {"id": draw(st.integers(min_value=4, max_value=9)), "label": "row"}
    for column in draw(st.lists(st.sampled_from(sorted(COLUMN_VALUES)), max_size=4)):
        row[column] = draw(COLUMN_VALUES[column])
    return row


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["POST", "PATCH", "PUT", "DELETE"]),
    role=st.sampled_from(["anon", "user", "service"]),
    row=rows(),
    prefer=st.sampled_from(
        ["return=representation", "return=minimal", "resolution=merge-duplicates"]
    ),
    select=st.sampled_from(["*", "id,doc->a,fuzz_parts(name)", "label,price"]),
)
def test_well_formed_writes_are_stored_exactly_or_refused_whole(
    live, rest, tables, method, role, row, prefer, select
):
    import json

    before = snapshot(live, rest)
    key = live.service_key if role == "service" else live.anon_key
    headers = live.headers(user=ALICE if role == "user" else None, key=key)
    headers |= {"Prefer": prefer, "Content-Type": "application/json"}
    target = f"?id=eq.{row['id']}&select={quote(select, safe='')}"
    body = None if method == "DELETE" else json.dumps(row).encode()

    response = rest.request(
        method, "/fuzz_items" + target, headers=headers, content=body
    )

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert snapshot(live, rest) == before, (response.status_code, response.text)
        return
    after = rest.get(
        f"/fuzz_items?id=eq.{row['id']}", headers=live.headers(key=live.service_key)
    )
    assert after.status_code == 200, after.text
    stored = after.json()
    if method == "DELETE":
        assert stored == []
    elif stored and method in ("PUT", "PATCH"):
        # What was written reads back as sent (numbers exactly, text as text).
        for column in ("qty", "small", "doc"):
            if column in row and isinstance(row[column], int | dict | list):
                assert stored[0][column] == row[column]
