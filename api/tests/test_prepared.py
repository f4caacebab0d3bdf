"""Masking query strings into prepared shapes."""

from __future__ import annotations

from api.rest.prepared import mask
from database.plan import SLOT_MARK


def test_comparison_values_become_slots():
    shape, values = mask("select=*&id=eq.5&priority=not.gte.3&order=id.desc&limit=2")

    assert (
        shape
        == f"select=*&id=eq.{SLOT_MARK}0&priority=not.gte.{SLOT_MARK}1&order=id.desc&limit=2"
    )
    assert values == ("5", "3")


def test_values_are_url_decoded_like_the_parser_does():
    _, values = mask("title=eq.a%2Bb&name=eq.two+words&x=eq.%C3%A9")

    assert values == ("a+b", "two words", "é")


def test_patterns_lists_and_logic_keep_their_values():
    query = "title=like.a*&id=in.(1,2)&or=(id.eq.1,id.eq.2)&done=is.true&tags=cs.{a}"

    assert mask(query) == (query, ())


def test_reserved_parameters_are_never_masked():
    query = "select=eq.x&order=eq.1&comments.limit=eq.1"

    assert mask(query) == (query, ())


def test_nul_bytes_disable_preparing():
    assert mask("id=eq.%00slot0") is None
    assert mask("id=eq.\x00") is None
