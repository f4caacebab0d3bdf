"""The shared JSON body decoder refuses documents nested past its limit, and
whatever it accepts can be written back inside the responses that carry it."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from koyalite import jsonbody


def nested(levels: int, leaf: object = 1) -> object:
    """`levels` alternating objects and arrays around `leaf`."""
    document = leaf
    for level in range(levels):
        document = {"k": document} if level % 2 else [document]
    return document


@pytest.mark.parametrize("levels", [0, 1, 2, jsonbody.MAX_DEPTH])
def test_documents_up_to_the_limit_decode_as_orjson_does(levels):
    data = orjson.dumps(nested(levels))

    assert jsonbody.loads(data) == orjson.loads(data)


@pytest.mark.parametrize("levels", [jsonbody.MAX_DEPTH + 1, 254, 260, 1024, 1025, 5000])
def test_deeper_documents_are_refused_as_too_deep(levels):
    data = b"[" * levels + b"]" * levels

    with pytest.raises(jsonbody.TooDeep) as error:
        jsonbody.loads(data)

    assert str(error.value) == f"JSON is nested deeper than {jsonbody.MAX_DEPTH} levels"


def test_brackets_inside_strings_do_not_count_as_levels():
    data = orjson.dumps({"text": "[{" * 1000, "list": [[[]]]})

    assert jsonbody.loads(data)["list"] == [[[]]]


def test_a_wide_document_is_not_deep():
    data = orjson.dumps([{"a": [i, {"b": [i]}]} for i in range(5000)])

    assert len(jsonbody.loads(data)) == 5000


def test_the_limit_can_be_lowered_per_call():
    with pytest.raises(jsonbody.TooDeep):
        jsonbody.loads(b'{"a": [1]}', max_depth=1)
    assert jsonbody.loads(b'{"a": 1}', max_depth=1) == {"a": 1}
    assert jsonbody.loads(b'"text"', max_depth=0) == "text"


@pytest.mark.parametrize("data", [b"", b"{", b"[1,]", b"nul", "{'a': 1}"])
def test_malformed_json_raises_orjsons_decode_error(data):
    with pytest.raises(orjson.JSONDecodeError):
        jsonbody.loads(data)


def test_the_limit_leaves_room_for_the_wrappers_that_return_a_document():
    # A session (body → user → user_metadata) in a page of a hundred more
    # levels still serialises: orjson's write limit is 254.
    stored = jsonbody.loads(orjson.dumps(nested(jsonbody.MAX_DEPTH)))

    orjson.dumps(nested(100, stored))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


def depth_of(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    return 0


@given(value=json_values, limit=st.integers(0, 8))
def test_loads_refuses_exactly_the_documents_deeper_than_the_limit(value, limit):
    data = orjson.dumps(value)

    if depth_of(value) > limit:
        with pytest.raises(jsonbody.TooDeep):
            jsonbody.loads(data, max_depth=limit)
    else:
        assert jsonbody.loads(data, max_depth=limit) == value
