"""A number is stored exactly as sent or refused: never rounded, clamped or cut.

Out-of-range values are Postgres' 22003 in bodies, filters, PUT keys and
upserts, and nothing is written.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postgrest.exceptions import APIError

SCHEMA = """
create table numbers (
  id bigint primary key,
  small smallint,
  medium integer,
  big bigint,
  exact numeric,
  approx double precision,
  single real,
  label text,
  doc jsonb,
  counts integer[]
);
insert into numbers (id, big, label) values (1, 7, 'seed');
"""

RANGES = {
    "small": ("smallint", -(2**15), 2**15 - 1),
    "medium": ("integer", -(2**31), 2**31 - 1),
    "big": ("bigint", -(2**63), 2**63 - 1),
}


@pytest.fixture(scope="module")
def table(live):
    live.sql(SCHEMA)
    yield
    live.sql("drop table numbers;")


@pytest.fixture
def service_headers(live):
    return live.headers(key=live.service_key) | {"Prefer": "return=representation"}


def rows(rest, live) -> bytes:
    return rest.get(
        "/numbers?order=id", headers=live.headers(key=live.service_key)
    ).content


def post_raw(rest, headers, text: str):
    return rest.post(
        "/numbers",
        headers=headers | {"Content-Type": "application/json"},
        content=text.encode(),
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '{"id": 2, "big": -9223372036854775809}',
            'value "-9223372036854775809" is out of range for type bigint',
        ),
        (
            '{"id": 2, "big": 99999999999999999999}',
            'value "99999999999999999999" is out of range for type bigint',
        ),
        (
            '{"id": 2, "big": "99999999999999999999"}',
            'value "99999999999999999999" is out of range for type bigint',
        ),
        (
            '{"id": 2, "big": ' + "9" * 5000 + "}",
            'value "' + "9" * 77 + '..." is out of range for type bigint',
        ),
        (
            '{"id": 2, "medium": 2147483648}',
            'value "2147483648" is out of range for type integer',
        ),
        (
            '{"id": 2, "small": -32769}',
            'value "-32769" is out of range for type smallint',
        ),
        (
            '{"id": 2, "counts": [1, 2147483648]}',
            'value "2147483648" is out of range for type integer',
        ),
        (
            '{"id": 2, "exact": 0.1234567890123456789}',
            'value "0.1234567890123456789" is out of range for type numeric',
        ),
        (
            '{"id": 2, "exact": 123456789012345678901234567890}',
            'value "123456789012345678901234567890" is out of range for type numeric',
        ),
        ('{"id": 2, "exact": 1e400}', 'value "1e400" is out of range for type numeric'),
        (
            '{"id": 2, "approx": -1e400}',
            '"-1e400" is out of range for type double precision',
        ),
        ('{"id": 2, "single": 1e39}', '"1e39" is out of range for type real'),
        (
            '{"id": 99999999999999999999, "label": "x"}',
            'value "99999999999999999999" is out of range for type bigint',
        ),
        (
            '[{"id": 2, "big": 1}, {"id": 3, "big": 9223372036854775808}]',
            'value "9223372036854775808" is out of range for type bigint',
        ),
    ],
)
def test_out_of_range_body_value_is_22003_and_nothing_is_written(
    live, rest, table, service_headers, body, message
):
    before = rows(rest, live)

    response = post_raw(rest, service_headers, body)

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "22003"
    assert response.json()["message"] == message
    assert rows(rest, live) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"id": 2, "big": 1.0}', 'invalid input syntax for type bigint: "1.0"'),
        ('{"id": 2, "medium": 1e3}', 'invalid input syntax for type integer: "1e3"'),
        ('{"id": 2.5, "label": "x"}', 'invalid input syntax for type bigint: "2.5"'),
    ],
)
def test_fraction_for_an_integer_column_is_refused_not_rounded(
    live, rest, table, service_headers, body, message
):
    before = rows(rest, live)

    response = post_raw(rest, service_headers, body)

    assert (response.status_code, response.json()["code"]) == (400, "22P02")
    assert response.json()["message"] == message
    assert rows(rest, live) == before


def test_values_at_the_edges_are_stored_exactly(live, rest, table, service_headers):
    body = (
        '{"id": 10, "small": -32768, "medium": 2147483647,'
        ' "big": -9223372036854775808, "exact": 0.30000000000000004,'
        ' "approx": 1.7976931348623157e308, "single": 3.4e38,'
        ' "label": 1e20, "doc": {"x": 0.1234567890123456789,'
        ' "y": 99999999999999999999, "z": [1.50, -0.0]},'
        ' "counts": [-2147483648, 2147483647]}'
    )

    response = post_raw(rest, service_headers, body)

    assert response.status_code == 201, response.text
    text = response.text
    # The JSON document keeps every number as written, as jsonb would.
    assert '"doc":{"x":0.1234567890123456789,"y":99999999999999999999' in text
    row = response.json()[0]
    assert row["small"] == -32768
    assert row["medium"] == 2147483647
    assert row["big"] == -9223372036854775808
    assert row["exact"] == 0.30000000000000004
    assert row["approx"] == 1.7976931348623157e308
    assert row["label"] == "1e20"
    assert row["counts"] == [-2147483648, 2147483647]
    live.sql("delete from numbers where id = 10;")


@pytest.mark.parametrize(
    "sent", ["34607292920841e4", "3.4607292920841E+17", '"34607292920841e4"']
)
def test_whole_numeric_with_an_exponent_is_the_integer_sent(
    live, rest, table, service_headers, sent
):
    # As a double this is 346072929208409984 once SQLite's numeric affinity
    # makes it an integer; Postgres keeps 346072929208410000.
    response = post_raw(rest, service_headers, f'{{"id": 11, "exact": {sent}}}')
    assert response.status_code == 201, response.text
    assert response.json()[0]["exact"] == 346072929208410000

    patched = rest.patch(
        "/numbers?id=eq.11&exact=eq.346072929208410000",
        headers=service_headers | {"Prefer": "return=representation"},
        json={"label": "found"},
    )
    assert [row["exact"] for row in patched.json()] == [346072929208410000]
    live.sql("delete from numbers where id = 11;")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("big=eq.99999999999999999999", 'value "99999999999999999999"'),
        ("big=in.(1,-9223372036854775809)", 'value "-9223372036854775809"'),
        ("medium=gt.3000000000", 'value "3000000000" is out of range for type integer'),
        ("small=eq.40000", 'value "40000" is out of range for type smallint'),
        ("exact=eq.1e400", 'value "1e400" is out of range for type numeric'),
        ("exact=lt.0.1234567890123456789", "out of range for type numeric"),
        ("approx=eq.1e999", '"1e999" is out of range for type double precision'),
        ("id=eq." + "9" * 5000, "out of range for type bigint"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_out_of_range_filter_is_22003_on_every_method(
    live, rest, table, query, message, method
):
    before = rows(rest, live)
    body = {"label": "changed"} if method == "PATCH" else None

    response = rest.request(
        method,
        f"/numbers?{query}",
        headers=live.headers(key=live.service_key),
        json=body,
    )

    assert response.status_code == 400, response.text
    assert response.json()["code"] == "22003"
    assert message in response.json()["message"]
    assert rows(rest, live) == before


def test_json_path_filter_with_a_huge_number_compares_as_text(live, rest, table):
    live.sql(
        """insert into numbers (id, doc) values (20, '{"n": "99999999999999999999"}');"""
    )

    response = rest.get(
        "/numbers?select=id&doc->>n=eq.99999999999999999999",
        headers=live.headers(key=live.service_key),
    )

    assert response.status_code == 200, response.text
    assert response.json() == [{"id": 20}]
    live.sql("delete from numbers where id = 20;")


def test_put_key_out_of_range_is_22003(live, rest, table):
    before = rows(rest, live)

    response = rest.put(
        "/numbers?id=eq.99999999999999999999",
        headers=live.headers(key=live.service_key),
        json={"id": 1, "label": "x"},
    )

    assert (response.status_code, response.json()["code"]) == (400, "22003")
    assert rows(rest, live) == before


def test_upsert_with_out_of_range_value_is_22003(live, rest, table):
    before = rows(rest, live)

    response = rest.post(
        "/numbers?on_conflict=id",
        headers=live.headers(key=live.service_key)
        | {
            "Prefer": "resolution=merge-duplicates",
            "Content-Type": "application/json",
        },
        content=b'[{"id": 1, "medium": 1}, {"id": 2, "medium": 2147483648}]',
    )

    assert (response.status_code, response.json()["code"]) == (400, "22003")
    assert rows(rest, live) == before


def test_supabase_py_insert_out_of_range_raises_22003(live, rest, table, service):
    before = rows(rest, live)

    with pytest.raises(APIError) as error:
        service.table("numbers").insert({"id": 3, "big": 2**64}).execute()

    assert error.value.code == "22003"
    assert rows(rest, live) == before


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    column=st.sampled_from(sorted(RANGES)),
    value=st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([2**15, 2**31, 2**63, -(2**15) - 1, -(2**31) - 1]),
    ),
)
def test_any_integer_is_stored_exactly_or_refused(
    live, rest, table, service_headers, column, value
):
    type_name, low, high = RANGES[column]

    response = post_raw(rest, service_headers, f'{{"id": 50, "{column}": {value}}}')

    if low <= value <= high:
        assert response.status_code == 201, response.text
        assert response.json()[0][column] == value
        live.sql("delete from numbers where id = 50;")
    else:
        assert response.status_code == 400, response.text
        assert response.json()["message"] == (
            f'value "{value}" is out of range for type {type_name}'
        )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    digits=st.text(alphabet="0123456789", min_size=1, max_size=25),
    point=st.integers(min_value=0, max_value=25),
    exponent=st.integers(min_value=-350, max_value=350) | st.none(),
)
def test_any_numeric_is_stored_exactly_or_refused(
    live, rest, table, service_headers, digits, point, exponent
):
    whole, fraction = digits[:point].lstrip("0") or "0", digits[point:]
    text = f"{whole}.{fraction}" if fraction else whole
    if exponent is not None:
        text += f"e{exponent}"

    # Cleared first: a failing example must not leave its row to collide
    # with the replay hypothesis makes of it.
    live.sql("delete from numbers where id = 60;")
    response = post_raw(rest, service_headers, f'{{"id": 60, "exact": {text}}}')

    if response.status_code == 201:
        stored = response.json()[0]["exact"]
        assert Decimal(repr(stored)) == Decimal(text) or stored == Decimal(text)
    else:
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "22003"


@pytest.mark.parametrize(
    "accept", ["text/csv", "application/vnd.pgrst.array+json;nulls=stripped"]
)
def test_reshaped_bodies_keep_numbers_as_stored(live, rest, table, accept):
    live.sql(
        "insert into numbers (id, doc, exact) values "
        """(30, '{"x": 0.1234567890123456789, "y": 1e400}', 0.30000000000000004);"""
    )

    response = rest.get(
        "/numbers?id=eq.30&select=doc,exact,label",
        headers=live.headers(key=live.service_key) | {"Accept": accept},
    )
    live.sql("delete from numbers where id = 30;")

    assert response.status_code == 200, response.text
    assert "0.1234567890123456789" in response.text
    assert "1e400" in response.text
    assert "0.30000000000000004" in response.text


@pytest.mark.parametrize(
    ("value", "status"),
    [("999.99", 201), ("-999.99", 201), ("1000", 400), ("1000.5", 400), ("1e3", 400)],
)
def test_numeric_precision_bounds_the_value_as_postgres_does(live, rest, value, status):
    live.sql(
        "create table if not exists prices (id bigint primary key, amount numeric(5,2));"
    )
    headers = live.headers(key=live.service_key) | {"Content-Type": "application/json"}
    before = rest.get("/prices", headers=headers).content

    response = rest.post(
        "/prices", headers=headers, content=f'{{"id": 1, "amount": {value}}}'.encode()
    )
    rest.delete("/prices?id=eq.1", headers=headers)

    assert response.status_code == status, response.text
    if status == 400:
        assert response.json() == {
            "code": "22003",
            "message": "numeric field overflow",
            "details": "A field with precision 5, scale 2 must round to an absolute value less than 10^3.",
            "hint": None,
        }
        assert rest.get("/prices", headers=headers).content == before
