"""Row filters in Supabase Realtime's syntax, on change events' rows."""

from __future__ import annotations

import pytest

from database.row_filter import InvalidRowFilter, parse

ROW = {"id": 7, "price": 9.5, "status": "done", "paid": True, "note": None,
       "meta": {"a": 1}, "title": "a, b"}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status=eq.done", True),
        ("status=neq.done", False),
        ("id=eq.7", True),
        ("id=eq.7.0", True),
        ("id=gt.6", True),
        ("id=gte.8", False),
        ("price=lt.10", True),
        ("price=lte.9.5", True),
        ("id=in.(1,7,9)", True),
        ("id=in.(1,2)", False),
        ('title=in.("a, b",c)', True),
        ("status=in.(open,done)", True),
        ("paid=eq.true", True),
        ("paid=neq.true", False),
        ("paid=gt.false", False),
        ("note=eq.null", False),
        ("note=neq.x", False),  # NULL matches nothing, as in SQL
        ("missing=eq.x", False),
        ("id=eq.seven", False),  # not a number: cannot equal one
        ("meta=eq.x", False),
        ("status=gt.a", True),  # text compares as text
    ],
)
def test_a_filter_matches_rows_as_postgres_compares_them(text, expected):
    assert parse(text).matches(ROW) is expected


def test_an_empty_filter_is_none():
    assert parse("  ") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("status", "is not column=operator.value"),
        ("status=like.x", "is not column=operator.value"),
        ("=eq.x", "is not column=operator.value"),
        ("id=in.1,2", "in takes a list"),
        ("id=in.()", "the list is empty"),
    ],
)
def test_a_malformed_filter_is_refused_with_its_reason(text, message):
    with pytest.raises(InvalidRowFilter, match=message):
        parse(text)
