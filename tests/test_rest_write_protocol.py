"""The write half of PostgREST's protocol, case by case against its own specs.

Each test names the case of PostgREST's test suite it follows
(test/spec/Feature/Query/{Insert,Update,Delete,Upsert,Singular}Spec.hs), and
every refused request is checked to leave the tables as they were.
"""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError

from tests.conftest import ALICE

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


# ---------------------------------------------------------------- statuses


def ensure(rest, headers, *rows: dict) -> None:
    """Store `rows` in wp_items whatever state earlier tests left."""
    response = rest.post(
        "/wp_items",
        json=list(rows),
        headers=headers | {"Prefer": "resolution=merge-duplicates"},
    )
    assert response.status_code in (200, 201), response.text


@pytest.mark.parametrize(
    ("method", "path", "body", "prefer", "status", "content_range"),
    [
        # UpdateSpec: 'can update a single item'
        ("PATCH", "/wp_items?id=eq.40", {"qty": 5}, None, 204, "0-0/*"),
        # UpdateSpec: 'returns updated object as array when return=rep'
        ("PATCH", "/wp_items?id=eq.40", {"qty": 5}, "return=representation", 200, "0-0/*"),
        # UpdateSpec: 'can update multiple items'
        ("PATCH", "/wp_items?id=in.(40,41)", {"qty": 5}, None, 204, "0-1/*"),
        ("PATCH", "/wp_items?id=in.(40,41)", {"qty": 5}, "count=exact", 204, "0-1/2"),
        # UpdateSpec: 'returns status code 200 when no rows updated' (a 204)
        ("PATCH", "/wp_items?id=eq.99", {"qty": 5}, None, 204, "*/*"),
        ("PATCH", "/wp_items?id=eq.99", {"qty": 5}, "count=exact", 204, "*/0"),
        # UpdateSpec: 'returns empty array when no rows updated and return=rep'
        ("PATCH", "/wp_items?id=eq.99", {"qty": 5}, "return=representation", 200, "*/*"),
        # DeleteSpec: 'succeeds with 204 and deletion count'
        ("DELETE", "/wp_items?id=eq.40", None, None, 204, "*/*"),
        # DeleteSpec: 'returns the deleted item and count if requested'
        ("DELETE", "/wp_items?id=eq.40", None, "return=representation,count=exact", 200, "*/1"),
        # DeleteSpec: 'known route, no records matched: includes [] body if return=rep'
        ("DELETE", "/wp_items?id=eq.99", None, "return=representation", 200, "*/*"),
        # InsertSpec: 'accepts disparate json types' (201, no body, no type)
        ("POST", "/wp_items", {"id": 42, "label": "new"}, None, 201, "*/*"),
        # InsertSpec: 'includes related data after insert' (count=exact)
        ("POST", "/wp_items", {"id": 42, "label": "new"}, "return=representation,count=exact", 201, "*/1"),
        # UpsertSpec: 'UPDATEs rows on pk conflict' (200: nothing created)
        ("POST", "/wp_items", [{"id": 40, "label": "x"}], "resolution=merge-duplicates", 200, "*/*"),
        # UpsertSpec: 'INSERTs and UPDATEs rows on pk conflict'
        ("POST", "/wp_items", [{"id": 40, "label": "x"}, {"id": 42, "label": "y"}], "resolution=merge-duplicates", 201, "*/*"),
        # UpsertSpec: 'succeeds when the payload has no elements'
        ("POST", "/wp_items", [], "return=representation,resolution=merge-duplicates", 200, "*/*"),
        # UpsertSpec: 'INSERTs and ignores rows on pk conflict' (201 all the same)
        ("POST", "/wp_items", [{"id": 40, "label": "x"}], "resolution=ignore-duplicates", 201, "*/*"),
        # UpsertSpec: 'Inserting row: succeeds on table with single pk col'
        ("PUT", "/wp_items?id=eq.42", {"id": 42, "label": "put"}, "return=representation", 201, None),
        # UpsertSpec: 'Updating row: succeeds on table with single pk col'
        ("PUT", "/wp_items?id=eq.40", {"id": 40, "label": "put"}, "return=representation", 200, None),
        # UpsertSpec: 'works with PUT' / 'works with request method PUT and return=minimal'
        ("PUT", "/wp_items?id=eq.40", {"id": 40, "label": "put"}, None, 204, None),
        ("PUT", "/wp_items?id=eq.42", {"id": 42, "label": "put"}, "return=minimal", 204, None),
    ],
)  # fmt: skip
def test_write_status_and_content_range_are_postgrests(
    rest, headers, method, path, body, prefer, status, content_range
):
    """PATCH answers the rows it touched as a range (`0-0/*`), POST and DELETE
    only a total (`*/*`, `*/N` with count=exact), PUT no range; POST is 201
    unless a merge only updated, PUT 201 when it inserted, 200 when it replaced
    (with return=representation, else 204), as the spec cases beside each
    row say."""
    rest.delete("/wp_items?id=in.(40,41,42)", headers=headers)
    ensure(rest, headers, {"id": 40, "label": "forty"}, {"id": 41, "label": "41"})
    extra = {"Prefer": prefer} if prefer else {}

    response = rest.request(method, path, json=body, headers=headers | extra)

    assert response.status_code == status, response.text
    assert response.headers.get("content-range") == content_range
    if status == 204 or (method == "POST" and "representation" not in (prefer or "")):
        assert response.content == b""
        assert "content-type" not in response.headers


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"id": 44, "label": "one"}, "/wp_items?id=eq.44"),
        ([{"id": 45, "label": "a"}, {"id": 46, "label": "b"}], None),
    ],
)
def test_location_names_the_one_row_an_insert_created(rest, headers, body, location):
    """InsertSpec: 'requesting headers only representation' gives a Location
    built from the primary key; 'with bulk insert returns 201 but no location
    header'."""
    rest.delete("/wp_items?id=in.(44,45,46)", headers=headers)

    response = rest.post(
        "/wp_items", json=body, headers=headers | {"Prefer": "return=headers-only"}
    )

    assert response.status_code == 201
    assert response.headers.get("location") == location
    assert response.headers["content-range"] == "*/*"
    assert response.content == b""


# ---------------------------------------------------------------- PUT


PUT_SCHEMA = """
create table wp_pairs (
  a bigint,
  b text,
  note text,
  primary key (a, b)
);
create table wp_keyless (a bigint, b text);
create table wp_keys (id bigint primary key);
insert into wp_keys (id) values (1), (2);
insert into wp_pairs (a, b, note) values (1, 'x', 'first');
"""


@pytest.fixture(scope="module")
def put_tables(live, tables):
    live.sql(PUT_SCHEMA)
    yield
    live.sql("drop table wp_pairs; drop table wp_keyless; drop table wp_keys;")


def put_snapshot(rest, headers) -> dict[str, bytes]:
    return snapshot(rest, headers) | {
        table: rest.get(f"/{table}?order=a", headers=headers).content
        for table in ("wp_pairs", "wp_keyless", "wp_keys")
    }


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        # UpsertSpec: 'rejects every other filter than pk cols eq's'
        ("/wp_items?label=eq.one", {"id": 1, "label": "one"}, 405, "PGRST105"),
        ("/wp_items?id=not.eq.1", {"id": 1, "label": "one"}, 405, "PGRST105"),
        ("/wp_items?id=in.(1)", {"id": 1, "label": "one"}, 405, "PGRST105"),
        ("/wp_items?and=(id.eq.1)", {"id": 1, "label": "one"}, 405, "PGRST105"),
        ("/wp_items?or=(id.eq.1)", {"id": 1, "label": "one"}, 405, "PGRST105"),
        ("/wp_items?id=eq.1&label=eq.one", {"id": 1, "label": "one"}, 405, "PGRST105"),
        ("/wp_items", {"id": 1, "label": "one"}, 405, "PGRST105"),
        # UpsertSpec: 'fails if not all composite key cols are specified as eq filters'
        ("/wp_pairs?a=eq.1", {"a": 1, "b": "x", "note": "n"}, 405, "PGRST105"),
        # UpsertSpec: 'fails if the table has no PK'
        ("/wp_keyless?a=eq.1&b=eq.x", {"a": 1, "b": "x"}, 405, "PGRST105"),
        # UpsertSpec: 'fails if limit is specified' / 'fails if offset is specified'
        ("/wp_items?id=eq.1&limit=1", {"id": 1, "label": "one"}, 400, "PGRST114"),
        ("/wp_items?id=eq.1&offset=1", {"id": 1, "label": "one"}, 400, "PGRST114"),
        # UpsertSpec: 'fails if the uri primary key doesn't match the payload primary key'
        ("/wp_items?id=eq.1", {"id": 2, "label": "one"}, 400, "PGRST115"),
        ("/wp_items?id=eq.1", {"label": "no key"}, 400, "PGRST115"),
        ("/wp_pairs?a=eq.1&b=eq.y", {"a": 1, "b": "x", "note": "n"}, 400, "PGRST115"),
    ],
)  # fmt: skip
def test_put_refuses_anything_but_its_primary_key_and_writes_nothing(
    rest, headers, put_tables, path, body, status, code
):
    """PUT takes exactly `eq` on every primary-key column, nothing else, and a
    body with the same key values (UpsertSpec, 'Restrictions')."""
    before = put_snapshot(rest, headers)

    response = rest.put(path, json=body, headers=headers)

    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert put_snapshot(rest, headers) == before


def test_put_on_a_composite_key_inserts_then_replaces(rest, headers, put_tables):
    """UpsertSpec: 'Inserting row succeeds on table with composite pk' (201),
    'Updating row succeeds on table with composite pk' (200)."""
    rest.delete("/wp_pairs?a=eq.2", headers=headers)
    prefer = headers | {"Prefer": "return=representation"}

    inserted = rest.put(
        "/wp_pairs?a=eq.2&b=eq.y", json={"a": 2, "b": "y", "note": "n"}, headers=prefer
    )
    replaced = rest.put(
        "/wp_pairs?b=eq.y&a=eq.2",
        json=[{"a": 2, "b": "y", "note": "m"}],
        headers=prefer,
    )

    assert (inserted.status_code, inserted.json()) == (
        201,
        [{"a": 2, "b": "y", "note": "n"}],
    )
    assert (replaced.status_code, replaced.json()) == (
        200,
        [{"a": 2, "b": "y", "note": "m"}],
    )


def test_put_with_several_rows_puts_the_one_the_url_names(rest, headers, put_tables):
    """UpsertSpec: 'succeeds if the payload has more than one row, but it only
    puts the first element'."""
    rest.delete("/wp_pairs?a=in.(3,4)", headers=headers)

    response = rest.put(
        "/wp_pairs?a=eq.3&b=eq.z",
        json=[{"a": 3, "b": "z", "note": "put"}, {"a": 4, "b": "z", "note": "dropped"}],
        headers=headers
        | {
            "Prefer": "return=representation",
            "Accept": "application/vnd.pgrst.object+json",
        },
    )
    stored = rest.get("/wp_pairs?a=in.(3,4)&order=a", headers=headers).json()

    assert (response.status_code, response.json()) == (
        201,
        {"a": 3, "b": "z", "note": "put"},
    )
    assert stored == [{"a": 3, "b": "z", "note": "put"}]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "rows"),
    [
        ("PUT", "/wp_keys?id=eq.1", [{"id": 1}], 200, [{"id": 1}]),
        (
            "POST",
            "/wp_keys",
            [{"id": 1}, {"id": 2}],
            200,
            [{"id": 1}, {"id": 2}],
        ),
    ],
)
def test_upsert_of_a_table_with_only_key_columns_returns_the_row(
    rest, headers, put_tables, method, path, body, status, rows
):
    """UpsertSpec: 'succeeds if the table has only PK cols and no other cols'
    (PUT, 'Updating row'; POST with merge-duplicates): the existing rows are
    the result, though there is nothing to change in them."""
    prefer = "return=representation,resolution=merge-duplicates"

    response = rest.request(
        method, path, json=body, headers=headers | {"Prefer": prefer}
    )

    assert (response.status_code, response.json()) == (status, rows)


def test_resolution_on_a_table_without_primary_key_is_a_plain_insert(
    rest, headers, put_tables
):
    """UpsertSpec: 'succeeds and ignores the Prefer: resolution header ... if
    the table has no PK'."""
    response = rest.post(
        "/wp_keyless",
        json=[{"a": 5, "b": "five"}],
        headers=headers
        | {"Prefer": "return=representation,resolution=merge-duplicates"},
    )

    assert (response.status_code, response.json()) == (201, [{"a": 5, "b": "five"}])


def test_put_on_a_row_the_caller_may_not_update_is_refused(live, rest, alice):
    """PUT writes exactly one row (PostgREST's failPut): where row-level
    security keeps the caller from replacing the existing row, Postgres
    raises 42501 and nothing changes, rather than a 204 that wrote nothing."""
    service = live.headers(key=live.service_key)
    bobs = rest.get("/todos?title=eq.bob fixes bike&select=*", headers=service)
    row = bobs.json()[0]
    before = rest.get("/todos?order=id", headers=service).content

    response = rest.put(
        f"/todos?id=eq.{row['id']}",
        json={"id": row["id"], "owner": ALICE, "title": "taken"},
        headers=live.headers(user=ALICE),
    )

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "42501"
    assert rest.get("/todos?order=id", headers=service).content == before


# ---------------------------------------------------------------- empty bodies


@pytest.mark.parametrize("body", [{}, [], [{}]])
@pytest.mark.parametrize(
    ("query", "prefer", "status", "content"),
    [
        ("", None, 204, b""),
        ("?select=id", None, 204, b""),
        ("", "return=representation", 200, b"[]"),
        ("?select=id", "return=representation", 200, b"[]"),
    ],
)
def test_patch_with_an_empty_body_changes_nothing(
    rest, headers, body, query, prefer, status, content
):
    """UpdateSpec: 'when patching with an empty body makes no updates and
    returns 204 without return= (with and without ?select=)' and '... returns
    200 with return=rep': no UPDATE runs, so no filter is needed."""
    before = snapshot(rest, headers)
    extra = {"Prefer": prefer} if prefer else {}

    response = rest.patch(f"/wp_items{query}", json=body, headers=headers | extra)

    assert response.status_code == status, response.text
    assert response.content == content
    assert response.headers["content-range"] == "*/*"
    assert snapshot(rest, headers) == before


def test_patch_with_several_objects_is_refused(rest, headers):
    """PostgREST would update with one of several objects, unsaid which;
    KoyaLite refuses the body and writes nothing."""
    before = snapshot(rest, headers)

    response = rest.patch(
        "/wp_items?id=eq.1", json=[{"qty": 1}, {"qty": 2}], headers=headers
    )

    assert response.status_code == 400
    assert response.json()["code"] == "PGRST102"
    assert snapshot(rest, headers) == before


@pytest.mark.parametrize(
    ("body", "added"), [({}, 1), ([{}], 1), ([{}, {}], 2), ([], 0)]
)
def test_post_of_empty_objects_inserts_rows_of_defaults(rest, headers, body, added):
    """InsertSpec: 'successfully inserts a row with all-default columns',
    '... two rows with all-default columns', '... with prefer=rep and
    &select=', and 'returns empty array when no items inserted, and
    return=rep'."""
    before = rest.get("/wp_defaults?select=id&order=id", headers=headers).json()

    response = rest.post(
        "/wp_defaults?select=label",
        json=body,
        headers=headers | {"Prefer": "return=representation"},
    )

    assert response.status_code == 201, response.text
    assert response.json() == [{"label": "none"}] * added
    after = rest.get("/wp_defaults?select=id&order=id", headers=headers).json()
    assert len(after) == len(before) + added


# ---------------------------------------------------------------- form and CSV bodies

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "row"),
    [
        (
            "POST",
            "/wp_items",
            b"id=50&label=forms+are+fun&qty=7",
            201,
            {"id": 50, "label": "forms are fun", "qty": 7},
        ),
        (
            "PATCH",
            "/wp_items?id=eq.50",
            b"label=after&qty=3",
            200,
            {"id": 50, "label": "after", "qty": 3},
        ),
    ],
)
def test_form_body_writes_one_row_with_the_columns_types(
    rest, headers, method, path, body, status, row
):
    """InsertSpec: 'from an html form accepts disparate json types': fields
    arrive as text and are coerced as JSON strings would be; on PATCH the
    form is the object of its fields (Payload.hs makes one JSON object of a
    form for every mutation)."""
    rest.delete("/wp_items?id=eq.50", headers=headers)
    if method == "PATCH":
        ensure(rest, headers, {"id": 50, "label": "before"})

    response = rest.request(
        method,
        path,
        content=body,
        headers=headers | {"Content-Type": FORM, "Prefer": "return=representation"},
    )

    assert response.status_code == status, response.text
    assert response.json() == [row]


def test_csv_body_inserts_rows_and_csv_comes_back(rest, headers):
    """InsertSpec (CSV insert): 'returns full details of inserted record',
    'can post nulls' (`NULL`; an unquoted empty field too), 'only returns the
    requested column header with its associated data'; quoted fields keep
    commas, newlines and doubled quotes."""
    rest.delete("/wp_items?id=in.(52,53,54)", headers=headers)
    body = b'id,label,qty\n52,"say ""hi"", twice",NULL\n53,"two\nlines",\n54,plain,4\n'

    response = rest.post(
        "/wp_items?select=id,qty",
        content=body,
        headers=headers
        | {
            "Content-Type": "text/csv",
            "Accept": "text/csv",
            "Prefer": "return=representation",
        },
    )

    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text == "id,qty\n52,\n53,\n54,4\n"
    stored = rest.get("/wp_items?id=in.(52,53)&order=id", headers=headers).json()
    assert stored == [
        {"id": 52, "label": 'say "hi", twice', "qty": None},
        {"id": 53, "label": "two\nlines", "qty": None},
    ]


def test_csv_body_patches_with_its_one_row(rest, headers):
    """A CSV body on PATCH is its one data line."""
    ensure(rest, headers, {"id": 55, "label": "before"})

    response = rest.patch(
        "/wp_items?id=eq.55",
        content=b'label,qty\n"after",',
        headers=headers
        | {"Content-Type": "text/csv", "Prefer": "return=representation"},
    )

    assert response.status_code == 200, response.text
    assert response.json() == [{"id": 55, "label": "after", "qty": None}]


@pytest.mark.parametrize(
    ("content_type", "body", "code", "message"),
    [
        # InsertSpec: 'with wrong number of columns fails for too few'
        ("text/csv", b"id,label\n60,a\n61", "PGRST102", "All lines must have same number of fields"),
        ("text/csv", b"id,label\n60,a,b", "PGRST102", "All lines must have same number of fields"),
        ("text/csv", b"id,label\n60,\"a", "PGRST102", "CSV has a quoted field without a closing quote"),
        ("text/csv", b"id,label\n60,a\n61,b\nx,c", "22P02", 'invalid input syntax for type bigint: "x"'),
        ("text/csv", b"id,nosuch\n60,a", "PGRST204", "Could not find the 'nosuch' column of 'wp_items' in the schema cache"),
        (FORM, b"id=60&label=a&qty=lots", "22P02", 'invalid input syntax for type integer: "lots"'),
        (FORM, b"id=60&label=a&qty=", "22P02", 'invalid input syntax for type integer: ""'),
        (FORM, b"id=60&nosuch=a", "PGRST204", "Could not find the 'nosuch' column of 'wp_items' in the schema cache"),
    ],
)  # fmt: skip
def test_bad_form_or_csv_body_is_refused_and_writes_nothing(
    rest, headers, content_type, body, code, message
):
    """Every row or none: a malformed line or a value its column cannot take
    refuses the whole body, in PostgREST's error shape."""
    before = snapshot(rest, headers)

    response = rest.post(
        "/wp_items", content=body, headers=headers | {"Content-Type": content_type}
    )

    assert response.status_code == 400, response.text
    assert (response.json()["code"], response.json()["message"]) == (code, message)
    assert snapshot(rest, headers) == before


# ---------------------------------------------------------------- representations

EMBED_SCHEMA = """
create table wp_nodes (
  id bigint primary key,
  name text not null,
  parent_id bigint references wp_nodes(id)
);
create table wp_books (id bigint primary key, title text not null);
create table wp_genres (id bigint primary key, name text not null);
create table wp_book_genres (
  book_id bigint references wp_books(id) on delete cascade,
  genre_id bigint references wp_genres(id),
  primary key (book_id, genre_id)
);
insert into wp_nodes (id, name, parent_id) values
  (1, 'root', null), (2, 'fezz', 1), (3, 'foo', 1), (4, 'bar', 1), (5, 'wut', 2);
insert into wp_books (id, title) values (1, 'Dune'), (2, 'Emma');
insert into wp_genres (id, name) values (1, 'scifi'), (2, 'classic'), (3, 'drama');
insert into wp_book_genres (book_id, genre_id) values (1, 1), (1, 3), (2, 2), (2, 3);
"""
CHILDREN = "children:wp_nodes!parent_id"


@pytest.fixture(scope="module")
def embed_tables(live, tables):
    live.sql(EMBED_SCHEMA)
    yield
    live.sql(
        "drop table wp_book_genres; drop table wp_genres; drop table wp_books;"
        "drop table wp_nodes;"
    )


def represent(rest, headers, method, path, body=None, prefer=""):
    response = rest.request(
        method,
        path,
        json=body,
        headers=headers
        | {"Prefer": ",".join(filter(None, ["return=representation", prefer]))},
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_patch_orders_the_rows_it_returns(rest, headers, embed_tables):
    """UpdateSpec: 'with ordering on top-level resource': `order=` sorts the
    returned rows, not only the ones a limit picks."""
    rows = represent(
        rest, headers, "PATCH", "/wp_nodes?id=in.(2,3,4)&select=id&order=name.desc", {}
    )
    named = represent(
        rest,
        headers,
        "PATCH",
        "/wp_nodes?id=in.(2,3,4)&select=id,name&order=name.desc",
        {"parent_id": 1},
    )

    assert rows == []  # an empty body updates nothing
    assert named == [
        {"id": 3, "name": "foo"},
        {"id": 2, "name": "fezz"},
        {"id": 4, "name": "bar"},
    ]


def test_patch_embeds_self_referencing_parent_and_filtered_children(
    rest, headers, embed_tables
):
    """UpdateSpec: 'embeds parent, children and grandchildren after update
    with filters', and 'with ordering works with request method PATCH and
    embedded resource'."""
    path = (
        f"/wp_nodes?id=eq.1&select=id,name,{CHILDREN}(name,"
        f"grandchildren:wp_nodes!parent_id(name)),"
        "parent:parent_id(name)"
        "&children.name=like.f*&children.order=name.asc"
        "&children.grandchildren.id=eq.5"
    )

    rows = represent(rest, headers, "PATCH", path, {"name": "root"})

    assert rows == [
        {
            "id": 1,
            "name": "root",
            "children": [
                {"name": "fezz", "grandchildren": [{"name": "wut"}]},
                {"name": "foo", "grandchildren": []},
            ],
            "parent": None,
        }
    ]


def test_patch_embeds_a_filtered_many_to_many(rest, headers, embed_tables):
    """UpdateSpec: 'embeds an M2M relationship plus parent after update with
    filters'."""
    path = "/wp_books?id=eq.1&select=title,wp_genres(name)&wp_genres.name=neq.drama"

    rows = represent(rest, headers, "PATCH", path, {"title": "Dune"})

    assert rows == [{"title": "Dune", "wp_genres": [{"name": "scifi"}]}]


def test_insert_embeds_parent_and_orders_rows(rest, headers, embed_tables):
    """InsertSpec: 'tables with self reference foreign keys embeds parent
    after insert'; UpsertSpec: 'works with batch upserts and embedded
    resource' (order=id.desc)."""
    rest.delete("/wp_nodes?id=in.(10,11)", headers=headers)
    path = "/wp_nodes?select=id,name,parent:parent_id(name)&order=id.desc"
    body = [
        {"id": 10, "name": "ten", "parent_id": 4},
        {"id": 11, "name": "eleven", "parent_id": 5},
    ]

    inserted = represent(rest, headers, "POST", path, body)
    upserted = represent(
        rest, headers, "POST", path, body, "resolution=merge-duplicates"
    )

    expected = [
        {"id": 11, "name": "eleven", "parent": {"name": "wut"}},
        {"id": 10, "name": "ten", "parent": {"name": "bar"}},
    ]
    assert inserted == expected
    assert upserted == expected


def test_put_embeds_ordered_children(rest, headers, embed_tables):
    """UpsertSpec: 'with ordering works with request method PUT and embedded
    resource'."""
    path = f"/wp_nodes?id=eq.1&select=id,{CHILDREN}(name)&children.order=name.asc"

    rows = represent(rest, headers, "PUT", path, {"id": 1, "name": "root"})

    assert rows == [
        {"id": 1, "children": [{"name": "bar"}, {"name": "fezz"}, {"name": "foo"}]}
    ]


def test_delete_returns_rows_and_embeds_as_they_were(rest, headers, embed_tables):
    """DeleteSpec: 'works with request method DELETE and embedded resource'
    (order=id.desc) and 'can embed (parent) entities': the junction rows the
    delete cascades away still show in what it returns."""
    rest.delete("/wp_books?id=in.(20,21)", headers=headers)
    represent(
        rest,
        headers,
        "POST",
        "/wp_books",
        [{"id": 20, "title": "A"}, {"id": 21, "title": "B"}],
    )
    represent(
        rest,
        headers,
        "POST",
        "/wp_book_genres",
        [{"book_id": 20, "genre_id": 1}, {"book_id": 21, "genre_id": 2}],
    )
    path = "/wp_books?id=in.(20,21)&select=id,wp_genres(name)&order=id.desc"

    rows = represent(rest, headers, "DELETE", path)

    assert rows == [
        {"id": 21, "wp_genres": [{"name": "classic"}]},
        {"id": 20, "wp_genres": [{"name": "scifi"}]},
    ]
    left = rest.get("/wp_book_genres?book_id=in.(20,21)", headers=headers).json()
    assert left == []


def test_inner_embed_filters_what_a_write_returns_not_what_it_writes(
    rest, headers, embed_tables
):
    """EmbedInnerJoinSpec: 'filters source tables when the embedded table is
    filtered', on the rows a PATCH returns (PostgREST reads them with the same
    read plan): a row the filter drops is still written, and it is not an
    error of row-level security."""
    path = (
        "/wp_books?id=eq.2&select=title,wp_genres!inner(name)&wp_genres.name=eq.scifi"
    )

    rows = represent(rest, headers, "PATCH", path, {"title": "Emma!"})

    assert rows == []
    stored = rest.get("/wp_books?id=eq.2&select=title", headers=headers).json()
    assert stored == [{"title": "Emma!"}]


# ---------------------------------------------------------------- select and columns


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/wp_items?select=id,nosuch", {"id": 70, "label": "s"}, 201),
        ("PATCH", "/wp_items?id=eq.70&select=id,nosuch", {"qty": 9}, 204),
        ("DELETE", "/wp_items?id=eq.70&select=id,nosuch", None, 204),
    ],
)
@pytest.mark.parametrize("prefer", [None, "return=minimal"])
def test_select_is_ignored_when_nothing_is_returned(
    rest, headers, method, path, body, status, prefer
):
    """InsertSpec / UpdateSpec / DeleteSpec: 'ignores ?select= when return
    not set or return=minimal': the select's columns are never read, so they
    are not checked either, and the write happens."""
    if method == "POST":
        rest.delete("/wp_items?id=eq.70", headers=headers)
    else:
        ensure(rest, headers, {"id": 70, "label": "s"})
    extra = {"Prefer": prefer} if prefer else {}

    response = rest.request(method, path, json=body, headers=headers | extra)

    assert response.status_code == status, response.text
    stored = rest.get("/wp_items?id=eq.70&select=qty", headers=headers).json()
    assert stored == {"POST": [{"qty": 0}], "PATCH": [{"qty": 9}], "DELETE": []}[method]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        # InsertSpec / UpdateSpec: 'disallows ?columns which don't exist'
        ("POST", "/wp_items?columns=id,helicopter", 400, "PGRST204"),
        ("PATCH", "/wp_items?id=eq.1&columns=helicopter", 400, "PGRST204"),
        # InsertSpec / UpdateSpec: 'returns missing table error even if also
        # has invalid ?columns'
        ("POST", "/garlic?columns=helicopter", 404, "PGRST205"),
        ("PATCH", "/garlic?id=eq.1&columns=helicopter", 404, "PGRST205"),
        # InsertSpec: 'disallows blank ?columns'
        ("POST", "/wp_items?columns=", 400, "PGRST100"),
    ],
)
def test_columns_naming_an_unknown_column_is_refused_before_parsing_values(
    rest, headers, method, path, status, code
):
    """InsertSpec / UpdateSpec (datarep): 'fails without parsing anything if
    at least one specified column doesn't exist': the bad `qty` is never
    looked at, and nothing is written."""
    before = snapshot(rest, headers)

    response = rest.request(
        method,
        path,
        json={"id": 71, "label": "c", "qty": "not a number"},
        headers=headers | {"Prefer": "return=representation"},
    )

    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    if code == "PGRST204":
        assert response.json()["message"] == (
            "Could not find the 'helicopter' column of 'wp_items' in the schema cache"
        )
    assert snapshot(rest, headers) == before


def test_columns_takes_only_the_keys_it_names(rest, headers):
    """InsertSpec: 'POST with ?columns parameter ignores json keys not
    included in ?columns': `qty` is left out and takes its default."""
    rest.delete("/wp_items?id=in.(72,73)", headers=headers)

    rows = represent(
        rest,
        headers,
        "POST",
        "/wp_items?columns=id,label&select=id,label,qty",
        [
            {"id": 72, "label": "a", "smth": "here", "qty": "ignored"},
            {"id": 73, "label": "b", "garbage": "%%$&"},
        ],
    )

    assert rows == [
        {"id": 72, "label": "a", "qty": 0},
        {"id": 73, "label": "b", "qty": 0},
    ]


# ---------------------------------------------------------------- supabase-py


def test_client_single_insert_of_two_rows_raises_and_writes_nothing(
    rest, headers, service
):
    """SingularSpec: 'raises an error when attempting to create multiple
    entities', through supabase-py's `.insert(...).single()`."""
    before = snapshot(rest, headers)

    with pytest.raises(APIError) as error:
        (
            service.table("wp_items")
            .insert([{"id": 80, "label": "a"}, {"id": 81, "label": "b"}])
            .single()
            .execute()
        )

    assert error.value.code == "PGRST116"
    assert snapshot(rest, headers) == before


def test_client_insert_returns_rows_in_the_order_asked(rest, headers, service):
    """UpsertSpec: 'works with batch upserts and embedded resource', through
    supabase-py's `.upsert(...).order(...)`."""
    rest.delete("/wp_items?id=in.(82,83)", headers=headers)

    rows = (
        service.table("wp_items")
        .upsert([{"id": 82, "label": "a"}, {"id": 83, "label": "b"}])
        .order("id", desc=True)
        .execute()
        .data
    )

    assert [row["id"] for row in rows] == [83, 82]


def test_client_update_count_reads_the_patch_range(rest, headers, service):
    """UpdateSpec: 'can update multiple items' (Content-Range 0-1/*), with
    count=exact the total supabase-py reads after the slash."""
    ensure(rest, headers, {"id": 84, "label": "a"}, {"id": 85, "label": "b"})

    result = (
        service.table("wp_items")
        .update({"qty": 4}, count="exact", returning="minimal")
        .in_("id", [84, 85])
        .execute()
    )

    assert result.count == 2
