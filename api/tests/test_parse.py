"""Tests for api/rest/parse: PostgREST's request grammar to typed requests."""

from __future__ import annotations

import orjson
import pytest
from django.test import RequestFactory, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.rest.errors import (
    AggregatesNotAllowed,
    InvalidBody,
    InvalidPreferences,
    InvalidQuery,
    InvalidRange,
    NotAcceptable,
    PayloadTooLarge,
    PutWithLimit,
    SchemaNotExposed,
    UnsupportedFeature,
    UnsupportedMediaType,
    UnsupportedMethod,
)
from api.rest.parse import (
    parse_condition,
    parse_order,
    parse_select,
    read_request,
    write_request,
)
from database.types import (
    Column,
    Count,
    Embed,
    FieldRef,
    Filter,
    JsonStep,
    Logic,
    OrderTerm,
    ReadRequest,
    Shape,
    WriteRequest,
)
from koyalite.errors import KoyaError

factory = RequestFactory()
STAR = Column(FieldRef("*"))
Params = list[tuple[str, str]] | dict[str, str] | dict[str, list[str]] | None


def read(
    params: Params = None,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> ReadRequest:
    request = factory.generic(
        method, "/rest/v1/todos", query_params=params or None, headers=headers
    )
    return read_request(request, "todos")


def write(
    method: str,
    body: bytes = b"",
    params: Params = None,
    headers: dict[str, str] | None = None,
    content_type: str | None = "application/json",
) -> WriteRequest:
    request = factory.generic(
        method,
        "/rest/v1/todos",
        data=body,
        content_type=content_type or "",
        query_params=params or None,
        headers=headers,
    )
    if content_type is None:
        request.META.pop("CONTENT_TYPE", None)
    else:  # the factory leaves it out when the body is empty
        request.META["CONTENT_TYPE"] = content_type
    return write_request(request, "todos")


def col(name: str, *steps: JsonStep) -> FieldRef:
    return FieldRef(name, steps)


def only_filter(key: str, value: str) -> Filter:
    path, condition = parse_condition(key, value)
    assert path == ()
    assert isinstance(condition, Filter)
    return condition


# ---------------------------------------------------------------- select


def test_missing_select_means_star() -> None:
    assert read().select == (STAR,)


def test_empty_select_means_star() -> None:
    assert read({"select": ""}).select == (STAR,)
    assert parse_select("  ") == (STAR,)


def test_select_plain_columns_ignore_whitespace() -> None:
    assert parse_select(" id , title ,\tdone ") == (
        Column(col("id")),
        Column(col("title")),
        Column(col("done")),
    )


def test_select_alias_cast_and_json_path() -> None:
    assert parse_select("name:title,id::text,v:data->a->>b::int") == (
        Column(col("title"), alias="name"),
        Column(col("id"), cast="text"),
        Column(
            col("data", JsonStep("->", "a"), JsonStep("->>", "b")),
            alias="v",
            cast="int",
        ),
    )


def test_select_json_array_indexes_are_ints() -> None:
    assert parse_select('data->0->>-1,data->"0"') == (
        Column(col("data", JsonStep("->", 0), JsonStep("->>", -1))),
        Column(col("data", JsonStep("->", "0"))),
    )


def test_select_json_key_may_hold_punctuation_and_dashes() -> None:
    assert parse_select("data->!@#$%^&*_a,data->>a-b") == (
        Column(col("data", JsonStep("->", "!@#$%^&*_a"))),
        Column(col("data", JsonStep("->>", "a-b"))),
    )


def test_select_quoted_names_keep_commas_and_escapes() -> None:
    assert parse_select('"quoted col","a,b",x:"say \\"hi\\""') == (
        Column(col("quoted col")),
        Column(col("a,b")),
        Column(col('say "hi"'), alias="x"),
    )


def test_select_dashed_and_spaced_names() -> None:
    assert parse_select("first-name,full name") == (
        Column(col("first-name")),
        Column(col("full name")),
    )


def test_select_embed_forms() -> None:
    assert parse_select(
        "users(*),author:users!author_fk(id,name),tags!inner(*),"
        "owner!left(id),a:users!fk!inner(id),b:users!inner!fk(id)"
    ) == (
        Embed("users", (STAR,)),
        Embed("users", (Column(col("id")), Column(col("name"))), "author", "author_fk"),
        Embed("tags", (STAR,), join="inner"),
        Embed("owner", (Column(col("id")),), join="left"),
        Embed("users", (Column(col("id")),), "a", "fk", "inner"),
        Embed("users", (Column(col("id")),), "b", "fk", "inner"),
    )


def test_select_spread_embed() -> None:
    assert parse_select("id,...owner!fk!inner(name,email)") == (
        Column(col("id")),
        Embed(
            "owner",
            (Column(col("name")), Column(col("email"))),
            hint="fk",
            join="inner",
            spread=True,
        ),
    )


def test_select_nested_embeds() -> None:
    assert parse_select("id, comments ( text , author ( name , posts ( * ) ) )") == (
        Column(col("id")),
        Embed(
            "comments",
            (
                Column(col("text")),
                Embed("author", (Column(col("name")), Embed("posts", (STAR,)))),
            ),
        ),
    )


def test_select_empty_embed_selects_nothing_from_it() -> None:
    assert parse_select("id,tags!inner()") == (
        Column(col("id")),
        Embed("tags", (), join="inner"),
    )


def test_select_count_forms() -> None:
    assert parse_select(
        "count(),n:count(),comments(count),c2:comments(total:count)"
    ) == (
        Count(),
        Count("n"),
        Embed("comments", (Count(),)),
        Embed("comments", (Count("total"),), "c2"),
    )


def test_select_top_level_bare_count_is_a_column() -> None:
    assert parse_select("count") == (Column(col("count")),)


@pytest.mark.parametrize("function", ["sum", "avg", "count", "max", "min"])
def test_select_aggregate_is_not_allowed(function: str) -> None:
    with pytest.raises(AggregatesNotAllowed) as caught:
        parse_select(f"total:amount::int.{function}()")

    assert caught.value.code == "PGRST123"
    assert str(caught.value) == (
        f"Use of aggregate functions is not allowed: amount.{function}()"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a,,b", "expected a name, found ',' at position 2"),
        ("a(b", "expected ')', found end of input"),
        ("a)", "unexpected ')' at position 1"),
        ("a!x!y(*)", "embed has two hints ('!x' and '!y')"),
        ("a!inner!left(*)", "embed has two join types ('!inner' and '!left')"),
        ("name!hint", "embed 'name' needs a select list in parentheses"),
        ("...rel", "spread '...rel' needs a select list in parentheses"),
        ("*!hint", "unexpected '!' at position 1"),
        ("a::", "expected a type after '::', found end of input"),
        ("count()::int", "count() cannot be cast"),
        ("count(id)", "'count' is not an embeddable relation; use count()"),
        ("rel->x(*)", "unexpected '(' at position 6"),
        ("a.b", "unexpected '.' after 'a'"),
        ('"open', "unclosed '\"' at position 0"),
        ("data->", "expected a JSON key after '->', found end of input"),
        ("data->>-78xy", "expected a JSON key after '->>', found '-' at position 7"),
        ("alias:*", "expected a name, found '*' at position 6"),
    ],
)
def test_select_syntax_errors_name_the_cause(text: str, message: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_select(text)

    assert caught.value.code == "PGRST100"
    assert str(caught.value) == f"failed to parse select parameter ({text}): {message}"


def test_select_allows_200_items_and_rejects_201() -> None:
    assert len(parse_select(",".join(["a"] * 200))) == 200
    with pytest.raises(InvalidQuery, match="more than 200 select items"):
        parse_select(",".join(["a"] * 201))


def test_select_items_inside_embeds_count_toward_the_bound() -> None:
    with pytest.raises(InvalidQuery, match="more than 200 select items"):
        parse_select("rel(" + ",".join(["a"] * 200) + ")")


def test_select_embeds_nest_8_deep_but_not_9() -> None:
    eight = "a(" * 8 + "id" + ")" * 8
    nine = "a(" * 9 + "id" + ")" * 9
    depth, items = 0, parse_select(eight)
    while isinstance(items[0], Embed):
        depth, items = depth + 1, items[0].select
    assert depth == 8
    with pytest.raises(InvalidQuery, match="embeds nested deeper than 8 levels"):
        parse_select(nine)


def test_select_first_parameter_wins_when_repeated() -> None:
    assert read([("select", "id"), ("select", "title")]).select == (Column(col("id")),)


# ---------------------------------------------------------------- order


def test_order_terms_with_direction_and_nulls() -> None:
    assert parse_order("a.desc.nullslast,b,c.asc.nullsfirst,d.nullsfirst") == (
        OrderTerm(col("a"), descending=True, nulls_first=False),
        OrderTerm(col("b")),
        OrderTerm(col("c"), nulls_first=True),
        OrderTerm(col("d"), nulls_first=True),
    )


def test_order_by_json_path_and_related_column() -> None:
    assert parse_order("data->>x.desc, author(data->a).asc.nullslast") == (
        OrderTerm(col("data", JsonStep("->>", "x")), descending=True),
        OrderTerm(
            col("data", JsonStep("->", "a")), nulls_first=False, relation="author"
        ),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id.ac", "invalid order modifier 'ac' for 'id'"),
        ("id.descc", "invalid order modifier 'descc' for 'id'"),
        ("id.asc.asc", "invalid order modifier 'asc' for 'id'"),
        ("id.nullsfirst.desc", "invalid order modifier 'desc' for 'id'"),
        ("id.", "invalid order modifier end of input for 'id'"),
    ],
)
def test_order_rejects_unknown_modifiers(text: str, message: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_order(text)

    assert str(caught.value) == (
        f"failed to parse order ({text}): {message} "
        "(expected asc or desc, then nullsfirst or nullslast)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected a name, found end of input"),
        ("a,", "expected a name, found end of input"),
        ("rel(a,b)", "expected ')', found ',' at position 5"),
        ("a b c!", "unexpected '!' at position 5"),
    ],
)
def test_order_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_order(text)

    assert str(caught.value) == f"failed to parse order ({text}): {message}"


def test_order_params_land_on_their_embed_paths() -> None:
    shape = read(
        [
            ("order", "id.desc"),
            ("comments.order", "created_at.desc"),
            ("comments.author.order", "name"),
            ("order", "title"),
        ]
    ).shape

    assert shape.order == {
        (): (OrderTerm(col("id"), descending=True), OrderTerm(col("title"))),
        ("comments",): (OrderTerm(col("created_at"), descending=True),),
        ("comments", "author"): (OrderTerm(col("name")),),
    }


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize(
    "op",
    [
        "eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch",
        "isdistinct", "cs", "cd", "ov", "fts", "plfts", "phfts", "wfts",
    ],
)  # fmt: skip
def test_every_single_value_operator_keeps_the_raw_value(op: str) -> None:
    assert only_filter("title", f"{op}.a b.c,(d)") == Filter(
        col("title"), op, "a b.c,(d)"
    )


def test_not_prefix_negates_a_filter() -> None:
    assert only_filter("id", "not.eq.5") == Filter(col("id"), "eq", "5", negated=True)


@pytest.mark.parametrize(
    ("op", "quantifier"),
    [
        ("like", "any"),
        ("like", "all"),
        ("ilike", "any"),
        ("ilike", "all"),
        ("eq", "any"),
        ("gt", "all"),
        ("gte", "any"),
        ("lt", "any"),
        ("lte", "all"),
        ("match", "any"),
        ("imatch", "all"),
    ],
)
def test_quantified_operators(op: str, quantifier: str) -> None:
    assert only_filter("title", f"not.{op}({quantifier}).{{a*,b*}}") == Filter(
        col("title"), op, "{a*,b*}", negated=True, quantifier=quantifier
    )


def test_full_text_search_carries_its_config() -> None:
    assert only_filter("body", "wfts(english).cat & dog") == Filter(
        col("body"), "wfts", "cat & dog", language="english"
    )


def test_top_level_value_keeps_quotes_and_dots() -> None:
    assert only_filter("name", 'eq."a,b"') == Filter(col("name"), "eq", '"a,b"')
    assert only_filter("ip", "eq.10.0.0.1") == Filter(col("ip"), "eq", "10.0.0.1")
    assert only_filter("name", "eq.") == Filter(col("name"), "eq", "")


def test_in_list_items_lose_their_quotes() -> None:
    assert only_filter("id", 'in.(1,2,"x,y","say \\"hi\\"", 3)') == Filter(
        col("id"), "in", ("1", "2", "x,y", 'say "hi"', " 3")
    )


def test_in_list_quote_counts_only_when_it_ends_the_item() -> None:
    assert only_filter("id", 'in.("a"b,"c")').value == ('"a"b', "c")


def test_empty_in_list_is_empty_tuple() -> None:
    assert only_filter("id", "in.()") == Filter(col("id"), "in", ())
    assert only_filter("id", 'in.("")') == Filter(col("id"), "in", ("",))


def test_in_list_allows_1000_items_and_rejects_1001() -> None:
    assert len(only_filter("id", "in.(" + ",".join(["1"] * 1000) + ")").value) == 1000
    with pytest.raises(InvalidQuery, match="'in' list has more than 1000 items"):
        only_filter("id", "in.(" + ",".join(["1"] * 1001) + ")")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("null", "null"),
        ("NULL", "null"),
        ("not_null", "not_null"),
        ("True", "true"),
        ("false", "false"),
        ("UNKNOWN", "unknown"),
    ],
)
def test_is_accepts_its_five_values_in_any_case(text: str, value: str) -> None:
    assert only_filter("done", f"is.{text}") == Filter(col("done"), "is", value)


def test_is_rejects_other_values() -> None:
    with pytest.raises(InvalidQuery) as caught:
        only_filter("done", "is.maybe")

    assert str(caught.value) == (
        "failed to parse filter (is.maybe) for column 'done': unknown value 'maybe' "
        "for 'is' (expected null, not_null, true, false or unknown)"
    )


def test_filter_on_embed_path_and_json_path() -> None:
    assert parse_condition("comments.author.data->0->>x", "eq.1") == (
        ("comments", "author"),
        Filter(col("data", JsonStep("->", 0), JsonStep("->>", "x")), "eq", "1"),
    )


def test_filter_key_may_be_quoted() -> None:
    assert parse_condition('"my.col"', "eq.1") == ((), Filter(col("my.col"), "eq", "1"))


def test_embed_null_filter_stays_a_plain_filter_for_the_planner() -> None:
    assert parse_condition("author", "not.is.null") == (
        (),
        Filter(col("author"), "is", "null", negated=True),
    )


@pytest.mark.parametrize("op", ["sl", "sr", "nxl", "nxr", "adj"])
def test_range_operators_are_not_supported(op: str) -> None:
    with pytest.raises(UnsupportedFeature) as caught:
        parse_condition("during", f"{op}.(1,2)")

    assert caught.value.code == "PGRST127"
    assert str(caught.value) == (
        f"operator '{op}' on column 'during' is not supported: "
        "SQLite has no range types"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("eqq.5", "unknown operator 'eqq'"),
        ("5", "expected an operator (eq, gt, ...), found '5' at position 0"),
        ("", "expected an operator (eq, gt, ...), found end of input"),
        ("eq", "expected '.' after operator 'eq', found end of input"),
        ("eq:5", "expected '.' after operator 'eq', found ':' at position 2"),
        ("neq(any).1", "operator 'neq' takes no '(...)' modifier"),
        ("in(any).(1)", "operator 'in' takes no '(...)' modifier"),
        ("eq(some).1", "expected (any) or (all) after 'eq', found '(' at position 2"),
        ("fts().x", "expected a text search config in 'fts(...)'"),
        ("in.1,2", "expected '(', found '1' at position 3"),
        ("in.(1,2", "expected ',' or ')' in list, found end of input"),
        ("in.(1)x", "unexpected 'x' at position 6"),
        ("is.null x", "unexpected ' ' at position 7"),
        ("not.not.eq.1", "unknown operator 'not'"),
    ],
)
def test_filter_syntax_errors_name_column_and_cause(value: str, message: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_condition("id", value)

    assert caught.value.code == "PGRST100"
    assert (
        str(caught.value)
        == f"failed to parse filter ({value}) for column 'id': {message}"
    )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "expected a name, found end of input"),
        ("a..b", "expected a name, found '.' at position 2"),
        ("data->a.b", "unexpected '.' at position 7"),
        ("a#b", "unexpected '#' at position 1"),
    ],
)
def test_bad_filter_keys_are_tree_path_errors(key: str, message: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_condition(key, "eq.1")

    assert str(caught.value) == f"failed to parse tree path ({key}): {message}"


def test_repeated_filter_params_are_all_kept_in_order() -> None:
    shape = read({"id": ["gte.1", "lte.5"], "comments.status": "eq.x"}).shape

    assert shape.filters == {
        (): (Filter(col("id"), "gte", "1"), Filter(col("id"), "lte", "5")),
        ("comments",): (Filter(col("status"), "eq", "x"),),
    }


# ---------------------------------------------------------------- logic


def test_or_and_not_or_params() -> None:
    assert parse_condition("or", "(a.eq.1,b.gt.2)") == (
        (),
        Logic("or", (Filter(col("a"), "eq", "1"), Filter(col("b"), "gt", "2"))),
    )
    assert parse_condition("not.and", "(a.eq.1)") == (
        (),
        Logic("and", (Filter(col("a"), "eq", "1"),), negated=True),
    )


def test_logic_on_an_embed_path() -> None:
    assert parse_condition("comments.not.or", "(a.is.null)") == (
        ("comments",),
        Logic("or", (Filter(col("a"), "is", "null"),), negated=True),
    )


def test_logic_nests_and_negates_freely() -> None:
    _, tree = parse_condition(
        "or", '( a.eq.1, and( b.not.in.(1,"x,y") , not.or(c.is.NULL,d.eq."a,b") ) )'
    )

    assert tree == Logic(
        "or",
        (
            Filter(col("a"), "eq", "1"),
            Logic(
                "and",
                (
                    Filter(col("b"), "in", ("1", "x,y"), negated=True),
                    Logic(
                        "or",
                        (Filter(col("c"), "is", "null"), Filter(col("d"), "eq", "a,b")),
                        negated=True,
                    ),
                ),
            ),
        ),
    )


def test_logic_values_quotes_escapes_and_array_literals() -> None:
    _, tree = parse_condition(
        "or",
        '(name.eq."a,b)c",name.eq."back\\\\slash",tags.cs.{1,2},'
        'tags.like(any).{a*,b*},data->>k.eq.x(y,name.eq."a"b,name.eq. a b )',
    )

    assert tree == Logic(
        "or",
        (
            Filter(col("name"), "eq", "a,b)c"),
            Filter(col("name"), "eq", "back\\slash"),
            Filter(col("tags"), "cs", "{1,2}"),
            Filter(col("tags"), "like", "{a*,b*}", quantifier="any"),
            Filter(col("data", JsonStep("->>", "k")), "eq", "x(y"),
            Filter(col("name"), "eq", '"a"b'),
            Filter(col("name"), "eq", " a b "),
        ),
    )


def test_column_named_like_a_logic_operator_is_a_filter_in_logic() -> None:
    _, tree = parse_condition("and", "(or.eq.1,order.gt.2)")

    assert tree == Logic(
        "and", (Filter(col("or"), "eq", "1"), Filter(col("order"), "gt", "2"))
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("()", "expected a name, found ')' at position 1"),
        ("(a.eq.1", "expected ',' or ')', found end of input"),
        ("a.eq.1", "expected '(', found 'a' at position 0"),
        ("(a.eq.1)x", "unexpected 'x' at position 8"),
        ("(a.eq.1,xor(b.eq.2))", "expected '.', found '(' at position 11"),
        ("(a.bogus.1)", "unknown operator 'bogus'"),
        (
            "(a.is.nul)",
            "unknown value 'nul' for 'is' "
            "(expected null, not_null, true, false or unknown)",
        ),
    ],
)
def test_logic_syntax_errors(value: str, message: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        parse_condition("or", value)

    assert str(caught.value) == f"failed to parse logic tree ({value}): {message}"


def test_logic_nests_16_deep_but_not_17() -> None:
    parse_condition("or", "(" + "and(" * 15 + "a.eq.1" + ")" * 15 + ")")
    with pytest.raises(InvalidQuery, match="and/or nested deeper than 16 levels"):
        parse_condition("or", "(" + "and(" * 16 + "a.eq.1" + ")" * 16 + ")")


def test_request_allows_100_conditions_and_rejects_101() -> None:
    hundred = [("id", "eq.1")] * 97 + [("or", "(a.eq.1,b.eq.2)")]
    assert len(read(hundred).shape.filters[()]) == 98
    with pytest.raises(InvalidQuery) as caught:
        read([*hundred, ("id", "eq.2")])

    assert str(caught.value) == (
        "too many filters: at most 100 filters and and/or terms are allowed per request"
    )


def test_one_huge_logic_tree_hits_the_condition_bound() -> None:
    with pytest.raises(InvalidQuery, match="too many filters"):
        parse_condition("or", "(" + ",".join(["a.eq.1"] * 100) + ")")


# ---------------------------------------------------------------- limit, offset, Range


def test_limit_and_offset_per_embed_path() -> None:
    shape = read(
        {
            "limit": "10",
            "offset": "20",
            "comments.limit": "1",
            "comments.author.offset": "3",
        }
    ).shape

    assert shape.limit == {(): 10, ("comments",): 1}
    assert shape.offset == {(): 20, ("comments", "author"): 3}


def test_zero_offset_is_left_out() -> None:
    assert read({"offset": "0"}).shape.offset == {}


@pytest.mark.parametrize("value", ["-1", "-4", "-" + "9" * 30])
def test_negative_limit_is_an_unsatisfiable_range(value: str) -> None:
    """RangeSpec: 'fails if limit is negative' (416 PGRST103)."""
    with pytest.raises(InvalidRange) as caught:
        read({"limit": value})

    assert caught.value.details == "Limit should be greater than or equal to zero."


@pytest.mark.parametrize("value", ["-1", "-4"])
def test_negative_offset_is_no_offset(value: str) -> None:
    """RangeSpec: 'succeeds if offset is negative as a no-op'."""
    assert read({"offset": value}).shape.offset == {}


def test_in_list_of_only_spaces_is_empty() -> None:
    """QuerySpec: 'returns an empty result set when the in value is empty'."""
    condition = read({"id": "in.(    )"}).shape.filters[()][0]

    assert condition.value == ()


def test_in_list_with_a_blank_item_keeps_it() -> None:
    """QuerySpec: 'only returns an empty result set if the in value is empty'."""
    condition = read({"id": "in.( ,3,4)"}).shape.filters[()][0]

    assert condition.value == ("", "3", "4")


def test_repeated_limit_keeps_the_last() -> None:
    assert read([("limit", "5"), ("limit", "7")]).shape.limit == {(): 7}


@pytest.mark.parametrize(
    "value", ["abc", "-", "1.5", "", " 1", "١٢", "9" * 20, "9" * 5000]
)
def test_limit_must_be_a_non_negative_integer(value: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        read({"limit": value})

    assert str(caught.value).startswith(
        f"failed to parse limit parameter ({value[:120]}"
    )
    assert str(caught.value).endswith("expected a non-negative integer up to 2^63 - 1")


def test_range_header_sets_root_limit_and_offset() -> None:
    shape = read(headers={"Range": "10-24", "Range-Unit": "items"}).shape

    assert (shape.limit, shape.offset) == ({(): 15}, {(): 10})


def test_open_ended_range_header_sets_only_offset() -> None:
    shape = read(headers={"Range": "10-"}).shape

    assert (shape.limit, shape.offset) == ({}, {(): 10})


def test_range_header_intersects_limit_and_offset() -> None:
    shape = read({"limit": "100", "offset": "5"}, headers={"Range": "0-9"}).shape

    assert (shape.limit, shape.offset) == ({(): 5}, {(): 5})


def test_range_header_with_end_before_start_is_416() -> None:
    with pytest.raises(InvalidRange) as caught:
        read(headers={"Range": "10-5"})

    assert (caught.value.status, caught.value.code) == (416, "PGRST103")
    assert str(caught.value) == "Requested range not satisfiable"
    assert caught.value.details == (
        "The lower boundary must be lower than or equal to the upper boundary "
        "in the Range header."
    )


def test_range_header_disjoint_from_offset_is_416() -> None:
    with pytest.raises(InvalidRange):
        read({"offset": "20"}, headers={"Range": "0-9"})


def test_limit_zero_wins_over_range_header() -> None:
    assert read({"limit": "0"}, headers={"Range": "10-5"}).shape.limit == {(): 0}


def test_malformed_range_header_is_ignored() -> None:
    shape = read(headers={"Range": "items=0-9"}).shape

    assert (shape.limit, shape.offset) == ({}, {})


def test_range_header_is_ignored_on_head_and_writes() -> None:
    assert read(headers={"Range": "0-9"}, method="HEAD").shape.limit == {}
    patch = write("PATCH", b'{"a":1}', headers={"Range": "0-9"})
    assert patch.shape.limit == {}


# ---------------------------------------------------------------- Prefer


def test_read_takes_count_preference() -> None:
    assert read(headers={"Prefer": "count=exact"}).count == "exact"


def test_write_without_prefer_leaves_return_unset() -> None:
    request = write("POST", b"{}")

    assert (request.returning, request.count, request.resolution) == (
        None,
        None,
        None,
    )
    assert (request.missing_default, request.rollback, request.max_affected) == (
        False,
        False,
        None,
    )


def test_write_reads_every_preference() -> None:
    request = write(
        "POST",
        b"{}",
        headers={
            "Prefer": "return=headers-only, count=planned ,"
            "resolution=ignore-duplicates,"
            "missing=default,tx=rollback,handling=strict,max-affected=5,"
            "timezone=Europe/Paris"
        },
    )

    assert (request.returning, request.count, request.resolution) == (
        "headers-only",
        "planned",
        "ignore-duplicates",
    )
    assert (request.missing_default, request.rollback, request.max_affected) == (
        True,
        True,
        5,
    )


def test_first_preference_of_a_kind_wins() -> None:
    request = write(
        "POST", b"{}", headers={"Prefer": "return=representation,return=minimal"}
    )

    assert request.returning == "representation"


def test_max_affected_applies_only_with_strict_handling() -> None:
    lenient = write("DELETE", headers={"Prefer": "max-affected=5"})
    strict = write("DELETE", headers={"Prefer": "handling=strict,max-affected=5"})

    assert (lenient.max_affected, strict.max_affected) == (None, 5)


def test_unknown_preferences_are_ignored_when_lenient() -> None:
    request = read(
        headers={"Prefer": "count=exact,foo,return=everything,handling=lenient"}
    )

    assert request.count == "exact"


def test_unknown_preferences_fail_with_strict_handling() -> None:
    with pytest.raises(InvalidPreferences) as caught:
        write(
            "POST",
            b"{}",
            headers={"Prefer": "handling=strict,foo,count=maybe,max-affected=x"},
        )

    assert (caught.value.status, caught.value.code) == (400, "PGRST122")
    assert str(caught.value) == (
        "Invalid preferences given with handling=strict: "
        "foo, count=maybe, max-affected=x"
    )
    assert (
        caught.value.details == "Invalid preferences: foo, count=maybe, max-affected=x"
    )


# ---------------------------------------------------------------- Accept, profiles


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, ("json", False)),
        ("", ("json", False)),
        ("*/*", ("json", False)),
        ("application/json", ("json", False)),
        ("application/json; charset=utf-8", ("json", False)),
        ("application/vnd.pgrst.object+json", ("object", False)),
        ("application/vnd.pgrst.object", ("object", False)),
        ("Application/Vnd.Pgrst.Object+JSON", ("object", False)),
        ("application/vnd.pgrst.object+json;nulls=stripped", ("object", True)),
        ("application/vnd.pgrst.array+json;nulls=stripped", ("json", True)),
        ("application/vnd.pgrst.array+json", ("json", False)),
        ("text/csv", ("csv", False)),
        ("text/html, text/csv", ("csv", False)),
        ("application/json;q=0.5, text/csv", ("csv", False)),
        ("text/csv;q=0.2, application/json;q=0.9", ("json", False)),
        ("*/*;q=0.8, text/csv", ("csv", False)),
        (
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            ("json", False),
        ),
    ],
)
def test_accept_negotiation(accept: str | None, expected: tuple[str, bool]) -> None:
    request = read(headers=None if accept is None else {"Accept": accept})

    assert (request.format, request.strip_nulls) == expected


def test_unsupported_accept_is_406() -> None:
    with pytest.raises(NotAcceptable) as caught:
        read(headers={"Accept": "text/html, application/json;q=0"})

    assert (caught.value.status, caught.value.code) == (406, "PGRST107")
    assert str(caught.value) == (
        "None of these media types are available: text/html, application/json;q=0"
    )


def test_write_negotiates_accept_too() -> None:
    request = write(
        "POST", b"{}", headers={"Accept": "application/vnd.pgrst.object+json"}
    )

    assert request.format == "object"


def test_public_profile_is_accepted() -> None:
    assert read(headers={"Accept-Profile": "public"}).table == "todos"
    assert write("POST", b"{}", headers={"Content-Profile": "public"}).table == "todos"


@pytest.mark.parametrize(
    ("method", "header"), [("GET", "Accept-Profile"), ("POST", "Content-Profile")]
)
def test_other_profile_is_406(method: str, header: str) -> None:
    with pytest.raises(SchemaNotExposed) as caught:
        if method == "GET":
            read(headers={header: "private"})
        else:
            write(method, b"{}", headers={header: "private"})

    assert (caught.value.status, caught.value.code) == (406, "PGRST106")
    assert str(caught.value) == "Invalid schema: private"
    assert caught.value.hint == "Only the following schemas are exposed: public"


# ---------------------------------------------------------------- write bodies


def test_insert_single_object() -> None:
    request = write("POST", b'{"title":"a","done":false}', {"select": "id"})

    assert request == WriteRequest(
        table="todos",
        method="insert",
        rows=({"title": "a", "done": False},),
        shape=Shape(),
        select=(Column(col("id")),),
    )


def test_insert_array_is_bulk() -> None:
    request = write("POST", b'[{"a":1},{"a":2}]')

    assert (request.rows, request.is_bulk, request.select) == (
        ({"a": 1}, {"a": 2}),
        True,
        (STAR,),
    )


def test_insert_empty_array_has_no_rows() -> None:
    assert write("POST", b"[]").rows == ()


@pytest.mark.parametrize("body", [b"", b"{", b"nul", b"\xff", b"[1e999999]x"])
def test_empty_or_invalid_json_is_pgrst102(body: bytes) -> None:
    with pytest.raises(InvalidBody) as caught:
        write("POST", body)

    assert (caught.value.status, caught.value.code) == (400, "PGRST102")
    assert str(caught.value) == "Empty or invalid json"


JSON = "application/json"


@pytest.mark.parametrize(
    ("content_type", "body", "message"),
    [
        (JSON, b"1", "JSON body must be an object or an array of objects"),
        (JSON, b'"x"', "JSON body must be an object or an array of objects"),
        (JSON, b'[{"a":1},2]', "JSON array body must contain only objects"),
        (JSON, b'[{"a":1},{"b":2}]', "All object keys must match"),
        (JSON, b'[{"a":1},{"a":1,"b":2}]', "All object keys must match"),
        ("text/csv", b"a,b\n1,x\n2", "All lines must have same number of fields"),
        ("text/csv", b"a,b\n1,x,3", "All lines must have same number of fields"),
        ("text/csv", b"", "CSV body needs a header line of column names"),
        ("text/csv", b"a,a\n1,2", "CSV header names a column more than once"),
        ("text/csv", b'a,b\n"open,x', "CSV has a quoted field without a closing quote"),
        ("text/csv", b'a,b\n1,x"y', "CSV line 2 has a quote inside an unquoted field"),
        ("text/csv", b'a,b\n"1"x,y', "CSV line 2 has a quote inside an unquoted field"),
        ("text/csv", b"a,b\n\xff,x", "CSV body is not valid UTF-8"),
        ("application/x-www-form-urlencoded", b"a=%FF", "Invalid form body: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
    ],
)  # fmt: skip
def test_body_shape_errors(content_type: str, body: bytes, message: str) -> None:
    with pytest.raises(InvalidBody) as caught:
        write("POST", body, content_type=content_type)

    assert (caught.value.code, str(caught.value)) == ("PGRST102", message)


@pytest.mark.parametrize("columns", ['"a","b"', "a,b", " a , b "])
def test_columns_param_lets_keys_differ(columns: str) -> None:
    request = write("POST", b'[{"a":1},{"b":2,"c":3}]', {"columns": columns})

    assert (request.columns, request.rows) == (("a", "b"), ({"a": 1}, {"b": 2, "c": 3}))


def test_columns_param_syntax_error() -> None:
    with pytest.raises(InvalidQuery) as caught:
        write("POST", b"{}", {"columns": "a,,b"})

    assert str(caught.value) == (
        "failed to parse columns parameter (a,,b): "
        "expected a name, found ',' at position 2"
    )


def test_on_conflict_is_a_column_tuple() -> None:
    request = write(
        "POST",
        b"{}",
        {"on_conflict": "email, org_id"},
        headers={"Prefer": "resolution=merge-duplicates"},
    )

    assert (request.on_conflict, request.resolution) == (
        ("email", "org_id"),
        "merge-duplicates",
    )


def test_update_takes_one_object_and_filters() -> None:
    request = write("PATCH", b'{"done":true}', {"id": "eq.1", "limit": "1"})

    assert request == WriteRequest(
        table="todos",
        method="update",
        rows=({"done": True},),
        shape=Shape(filters={(): (Filter(col("id"), "eq", "1"),)}, limit={(): 1}),
        select=(STAR,),
    )


@pytest.mark.parametrize(
    ("body", "rows"),
    [(b"[]", ()), (b"[{}]", ({},)), (b'[{"done":true}]', ({"done": True},))],
)
def test_update_takes_an_array_of_at_most_one_object(body: bytes, rows) -> None:
    assert write("PATCH", body).rows == rows


def test_update_rejects_several_objects() -> None:
    with pytest.raises(InvalidBody, match="PATCH body must be a single JSON object"):
        write("PATCH", b'[{"done":true},{"done":false}]')


def test_delete_has_no_rows_and_ignores_any_body() -> None:
    request = write("DELETE", b"not json", {"id": "eq.1"}, content_type="text/plain")

    assert (request.method, request.rows, request.is_bulk) == ("delete", None, False)
    assert request.shape.filters == {(): (Filter(col("id"), "eq", "1"),)}


def test_put_takes_one_object_or_an_array_of_one() -> None:
    single = write("PUT", b'{"id":1}', {"id": "eq.1"})
    array = write("PUT", b'[{"id":1}]', {"id": "eq.1"})

    assert (single.method, single.rows, single.is_bulk) == (
        "upsert",
        ({"id": 1},),
        False,
    )
    assert (array.rows, array.is_bulk) == (({"id": 1},), True)


def test_put_keeps_several_rows_for_plan_to_choose() -> None:
    assert len(write("PUT", b'[{"id":1},{"id":2}]').rows) == 2


def test_put_refuses_an_empty_array() -> None:
    with pytest.raises(InvalidBody, match="PUT body must hold the row to put"):
        write("PUT", b"[]")


# ---------------------------------------------------------------- form and CSV


def test_form_body_is_one_row_of_text() -> None:
    request = write(
        "POST",
        b"title=forms+are+fun&done=false&empty=&title2=%E2%9C%93",
        content_type="application/x-www-form-urlencoded",
    )

    assert request.rows == (
        {"title": "forms are fun", "done": "false", "empty": "", "title2": "\u2713"},
    )


def test_empty_form_body_is_one_empty_row() -> None:
    form = "application/x-www-form-urlencoded"

    assert write("POST", b"", content_type=form).rows == ({},)


@pytest.mark.parametrize(
    ("body", "rows"),
    [
        (b"a,b\n1,x\n2,y\n", ({"a": "1", "b": "x"}, {"a": "2", "b": "y"})),
        (b"a,b\r\n1,x\r\n", ({"a": "1", "b": "x"},)),
        (b'a,b\n,""', ({"a": None, "b": ""},)),
        (b'a,b\nNULL,"NULL"', ({"a": None, "b": None},)),
        (b'a,b\n"say ""hi""","x,\ny"', ({"a": 'say "hi"', "b": "x,\ny"},)),
        (b"a,b\n\n1,x\n\n", ({"a": "1", "b": "x"},)),
        (b"a,b\n", ()),
        (b"a,b\n1,", ({"a": "1", "b": None},)),
    ],
)
def test_csv_body_is_rows_of_text_with_unquoted_empty_as_null(body, rows) -> None:
    request = write("POST", body, content_type="text/csv")

    assert (request.rows, request.is_bulk) == (rows, True)


def test_put_ignores_columns_param() -> None:
    assert write("PUT", b'{"id":1}', {"columns": "id"}).columns is None


@pytest.mark.parametrize("param", ["limit", "offset"])
def test_put_with_limit_or_offset_is_pgrst114(param: str) -> None:
    with pytest.raises(PutWithLimit) as caught:
        write("PUT", b'{"id":1}', {param: "0"})

    assert (caught.value.status, caught.value.code) == (400, "PGRST114")
    assert str(caught.value) == (
        "limit/offset querystring parameters are not allowed for PUT"
    )


def test_put_allows_embedded_limit() -> None:
    assert write("PUT", b'{"id":1}', {"comments.limit": "1"}).shape.limit == {
        ("comments",): 1
    }


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10)
def test_body_over_the_upload_limit_is_413() -> None:
    with pytest.raises(PayloadTooLarge) as caught:
        write("POST", b'{"title":"far too long"}')

    assert (caught.value.status, str(caught.value)) == (
        413,
        "Request body is larger than the allowed size",
    )


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=3)
def test_too_many_query_params_is_400() -> None:
    with pytest.raises(InvalidQuery, match="too many query parameters"):
        read([("a", "eq.1")] * 4)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml"])
def test_body_of_another_media_type_is_415(content_type: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        write("POST", b"a=1", content_type=content_type)

    assert (caught.value.status, caught.value.code) == (415, "PGRST102")
    assert str(caught.value) == f"Content-Type not acceptable: {content_type}"


@pytest.mark.parametrize("content_type", [None, "application/json; charset=utf-8"])
def test_missing_or_parameterised_json_content_type_is_fine(
    content_type: str | None,
) -> None:
    assert write("POST", b'{"a":1}', content_type=content_type).rows == ({"a": 1},)


def test_unknown_write_method_is_405() -> None:
    with pytest.raises(UnsupportedMethod) as caught:
        write("TRACE")

    assert (caught.value.status, str(caught.value)) == (
        405,
        "Unsupported HTTP method: TRACE",
    )


def test_head_read_is_marked() -> None:
    assert read(method="HEAD") == ReadRequest(
        table="todos", select=(STAR,), shape=Shape(), head=True
    )


def test_supabase_py_select_query_round_trip() -> None:
    """The exact query supabase-py sends for a typical list call."""
    request = read(
        [
            ("select", "id,title,author:users!author_id(name)"),
            ("done", "is.false"),
            ("title", "ilike.%milk%"),
            ("tags", "cs.{a,b}"),
            ("id", 'in.(1,2,"x,y")'),
            ("or", "(priority.gt.3,due.lt.2024-01-01)"),
            ("order", "created_at.desc.nullslast"),
            ("offset", "0"),
            ("limit", "10"),
        ],
        headers={"Prefer": "count=exact", "Accept-Profile": "public"},
    )

    assert request == ReadRequest(
        table="todos",
        select=(
            Column(col("id")),
            Column(col("title")),
            Embed("users", (Column(col("name")),), "author", "author_id"),
        ),
        shape=Shape(
            filters={
                (): (
                    Filter(col("done"), "is", "false"),
                    Filter(col("title"), "ilike", "%milk%"),
                    Filter(col("tags"), "cs", "{a,b}"),
                    Filter(col("id"), "in", ("1", "2", "x,y")),
                    Logic(
                        "or",
                        (
                            Filter(col("priority"), "gt", "3"),
                            Filter(col("due"), "lt", "2024-01-01"),
                        ),
                    ),
                )
            },
            order={
                (): (OrderTerm(col("created_at"), descending=True, nulls_first=False),)
            },
            limit={(): 10},
        ),
        count="exact",
    )


# ---------------------------------------------------------------- properties

GRAMMAR = st.text(alphabet='abc01 -_>:!*().,"\\{}', max_size=60)
ANY_TEXT = st.one_of(GRAMMAR, st.text(max_size=60))
KEYS = st.one_of(
    st.sampled_from(
        ["select", "order", "limit", "offset", "columns", "on_conflict", "or", "and",
         "not.or", "a.order", "a.limit", "a.offset", "a.or", "id", "a.b"]
    ),
    ANY_TEXT,
)  # fmt: skip
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "Prefer": ANY_TEXT,
        "Accept": ANY_TEXT,
        "Range": st.one_of(
            st.from_regex(r"[0-9]{1,25}-[0-9]{0,25}", fullmatch=True), ANY_TEXT
        ),
        "Accept-Profile": ANY_TEXT,
        "Content-Profile": ANY_TEXT,
    },
)
PROPERTY = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY
@given(text=ANY_TEXT)
def test_parse_functions_raise_only_koya_errors(text: str) -> None:
    for parse in (parse_select, parse_order, lambda t: parse_condition("id", t)):
        try:
            parse(text)
        except KoyaError:
            pass
    try:
        parse_condition(text, "eq.1")
    except KoyaError:
        pass


@PROPERTY
@given(
    params=st.lists(st.tuples(KEYS, ANY_TEXT), max_size=6),
    headers=HEADERS,
    method=st.sampled_from(["GET", "HEAD"]),
)
def test_read_request_raises_only_koya_errors(
    params: list[tuple[str, str]], headers: dict[str, str], method: str
) -> None:
    try:
        read(params, headers=headers, method=method)
    except KoyaError:
        pass


@PROPERTY
@given(
    params=st.lists(st.tuples(KEYS, ANY_TEXT), max_size=4),
    headers=HEADERS,
    method=st.sampled_from(["POST", "PATCH", "DELETE", "PUT", "OPTIONS"]),
    body=st.one_of(
        st.binary(max_size=40),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers(-(2**63), 2**63 - 1)
            | st.text(max_size=5),
            lambda children: (
                st.lists(children, max_size=3)
                | st.dictionaries(st.text(max_size=3), children, max_size=3)
            ),
            max_leaves=8,
        ).map(orjson.dumps),
    ),
)
def test_write_request_raises_only_koya_errors(
    params: list[tuple[str, str]], headers: dict[str, str], method: str, body: bytes
) -> None:
    try:
        write(method, body, params, headers=headers)
    except KoyaError:
        pass
