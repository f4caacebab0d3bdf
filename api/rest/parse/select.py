"""`select=` (columns, renames, casts, embeds, aggregates) and `order=`."""

from __future__ import annotations

from typing import Literal

from api.rest.errors import AggregatesNotAllowed
from api.rest.parse.cursor import (
    Cursor,
    excerpt,
    is_name_char,
    read_field,
    read_json_path,
    read_name,
)
from api.rest.parse.limits import (
    AGGREGATES,
    MAX_EMBED_DEPTH,
    MAX_ORDER_TERMS,
    MAX_SELECT_ITEMS,
)
from database.types import Column, Count, Embed, FieldRef, OrderTerm, SelectItem


def parse_select(text: str) -> tuple[SelectItem, ...]:
    """Parse a `select` value; an empty one means `*`."""
    if not text.strip(" \t\r\n"):
        return (Column(FieldRef("*")),)
    cur = Cursor(text, f"failed to parse select parameter ({excerpt(text)})")
    items = _select_list(cur, depth=0, counter=[0])
    if not cur.at_end():
        cur.fail(f"unexpected {cur.found()}")
    return items


def _select_list(cur: Cursor, depth: int, counter: list[int]) -> tuple[SelectItem, ...]:
    items: list[SelectItem] = []
    cur.skip_space()
    if depth > 0 and cur.peek() == ")":
        return ()  # `rel()`: embed only to filter by it
    while True:
        counter[0] += 1
        if counter[0] > MAX_SELECT_ITEMS:
            cur.fail(f"more than {MAX_SELECT_ITEMS} select items")
        items.append(_select_item(cur, depth, counter))
        cur.skip_space()
        if not cur.eat(","):
            break
    if not (cur.at_end() or cur.peek() == ")"):
        cur.fail(f"unexpected {cur.found()}")
    return tuple(items)


def _select_item(cur: Cursor, depth: int, counter: list[int]) -> SelectItem:
    cur.skip_space()
    if cur.eat("*"):
        return Column(FieldRef("*"))
    if cur.eat("..."):
        relation, _ = read_name(cur)
        hint, join = _embed_params(cur)
        if cur.peek() != "(":
            cur.fail(f"spread '...{relation}' needs a select list in parentheses")
        select = _embed_body(cur, depth, counter)
        return Embed(relation, select, hint=hint, join=join, spread=True)
    alias = None
    name, quoted = read_name(cur)
    if cur.peek() == ":" and cur.peek(2) != "::":
        cur.pos += 1
        alias = name
        name, quoted = read_name(cur)
    is_count = name == "count" and not quoted
    if is_count and cur.eat("()"):
        if cur.startswith("::"):
            cur.fail("count() cannot be cast")
        return Count(alias)
    if cur.peek() in ("!", "("):
        if is_count:
            cur.fail("'count' is not an embeddable relation; use count()")
        hint, join = _embed_params(cur)
        if cur.peek() != "(":
            cur.fail(f"embed '{name}' needs a select list in parentheses")
        return Embed(name, _embed_body(cur, depth, counter), alias, hint, join)
    json_path = read_json_path(cur)
    cast = None
    if cur.eat("::"):
        cast = cur.take_while(is_name_char).strip()
        if not cast:
            cur.fail(f"expected a type after '::', found {cur.found()}")
    if cur.peek() == ".":
        cur.pos += 1
        function = cur.take_while(str.isalpha)
        if function in AGGREGATES and cur.startswith("()"):
            raise AggregatesNotAllowed(
                "Use of aggregate functions is not allowed: "
                f"{excerpt(name)}.{function}()"
            )
        cur.fail(f"unexpected '.' after '{name}'")
    # `rel(count)` is PostgREST's long-standing spelling of an embedded row count.
    if is_count and depth > 0 and not json_path and cast is None:
        return Count(alias)
    return Column(FieldRef(name, json_path), alias, cast)


def _embed_params(
    cur: Cursor,
) -> tuple[str | None, Literal["inner", "left"] | None]:
    hint: str | None = None
    join: Literal["inner", "left"] | None = None
    while cur.eat("!"):
        word, quoted = read_name(cur)
        if not quoted and word in ("inner", "left"):
            if join is not None:
                cur.fail(f"embed has two join types ('!{join}' and '!{word}')")
            join = "inner" if word == "inner" else "left"
        elif hint is not None:
            cur.fail(f"embed has two hints ('!{hint}' and '!{word}')")
        else:
            hint = word
    return hint, join


def _embed_body(cur: Cursor, depth: int, counter: list[int]) -> tuple[SelectItem, ...]:
    if depth + 1 > MAX_EMBED_DEPTH:
        cur.fail(f"embeds nested deeper than {MAX_EMBED_DEPTH} levels")
    cur.expect("(")
    items = _select_list(cur, depth + 1, counter)
    cur.expect(")")
    return items


def parse_order(text: str) -> tuple[OrderTerm, ...]:
    """Parse an `order` value: `a.desc.nullslast,rel(b).asc,data->>x`."""
    cur = Cursor(text, f"failed to parse order ({excerpt(text)})")
    terms = [_order_term(cur)]
    while cur.eat(","):
        if len(terms) == MAX_ORDER_TERMS:
            cur.fail(f"more than {MAX_ORDER_TERMS} order terms")
        terms.append(_order_term(cur))
    if not cur.at_end():
        cur.fail(f"unexpected {cur.found()}")
    return tuple(terms)


def _order_term(cur: Cursor) -> OrderTerm:
    name, _ = read_name(cur)
    relation = None
    if cur.eat("("):
        relation, field = name, read_field(cur)
        cur.expect(")")
    else:
        field = FieldRef(name, read_json_path(cur))
    descending: bool | None = None
    nulls_first: bool | None = None
    while cur.eat("."):
        start = cur.pos
        word = cur.take_while(str.isalpha)
        # PostgREST's order: direction first, then nulls, each at most once.
        if word in ("asc", "desc") and descending is None and nulls_first is None:
            descending = word == "desc"
        elif word in ("nullsfirst", "nullslast") and nulls_first is None:
            nulls_first = word == "nullsfirst"
        else:
            cur.pos = start
            shown = f"'{excerpt(word)}'" if word else cur.found()
            cur.fail(
                f"invalid order modifier {shown} for '{name}' (expected asc or "
                "desc, then nullsfirst or nullslast)"
            )
    cur.skip_space()
    return OrderTerm(field, bool(descending), nulls_first, relation)
