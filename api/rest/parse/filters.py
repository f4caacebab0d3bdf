"""Filters and `and`/`or` trees: `col=op.value`, `or=(…)`, `not.`."""

from __future__ import annotations

from typing import Literal

from api.rest.errors import InvalidQuery, UnsupportedFeature
from api.rest.parse.cursor import (
    Budget,
    Cursor,
    excerpt,
    is_name_char,
    read_field,
    read_quoted,
    tree_path,
)
from api.rest.parse.limits import (
    DIGITS,
    FULL_TEXT,
    IS_VALUES,
    MAX_IN_ITEMS,
    MAX_INT,
    MAX_LOGIC_DEPTH,
    NESTED_LOGIC,
    OPERATORS,
    QUANTIFIABLE,
    RANGE_OPERATORS,
)
from database.types import Condition, EmbedPath, FieldRef, Filter, Logic


def parse_condition(key: str, value: str) -> tuple[EmbedPath, Condition]:
    """Parse one filter (`col=op.value`) or logic (`or=(...)`) parameter."""
    return read_condition(key, value, Budget())


def read_condition(key: str, value: str, budget: Budget) -> tuple[EmbedPath, Condition]:
    names, json_path, quoted = tree_path(key)
    if not json_path and not quoted and names[-1] in ("and", "or"):
        op: Literal["and", "or"] = "and" if names[-1] == "and" else "or"
        negated = len(names) > 1 and names[-2] == "not"
        path = tuple(names[: -2 if negated else -1])
        cur = Cursor(value, f"failed to parse logic tree ({excerpt(value)})")
        cur.skip_space()
        budget.spend()
        children = _logic_children(cur, 1, budget)
        cur.skip_space()
        if not cur.at_end():
            cur.fail(f"unexpected {cur.found()}")
        return path, Logic(op, children, negated)
    field = FieldRef(names[-1], json_path)
    label = excerpt(".".join(names))
    cur = Cursor(
        value, f"failed to parse filter ({excerpt(value)}) for column '{label}'"
    )
    budget.spend()
    condition = _operation(cur, field, in_logic=False)
    if not cur.at_end():
        cur.fail(f"unexpected {cur.found()}")
    return tuple(names[:-1]), condition


def _logic_children(cur: Cursor, depth: int, budget: Budget) -> tuple[Condition, ...]:
    if depth > MAX_LOGIC_DEPTH:
        cur.fail(f"and/or nested deeper than {MAX_LOGIC_DEPTH} levels")
    cur.expect("(")
    children: list[Condition] = []
    while True:
        cur.skip_space()
        budget.spend()
        nested = NESTED_LOGIC.match(cur.text, cur.pos)
        if nested:
            cur.pos = nested.end() - 1
            op: Literal["and", "or"] = "and" if nested.group(2) == "and" else "or"
            grandchildren = _logic_children(cur, depth + 1, budget)
            children.append(Logic(op, grandchildren, bool(nested.group(1))))
        else:
            field = read_field(cur)
            cur.expect(".")
            children.append(_operation(cur, field, in_logic=True))
        cur.skip_space()
        if cur.eat(")"):
            return tuple(children)
        if not cur.eat(","):
            cur.fail(f"expected ',' or ')', found {cur.found()}")


def _operation(cur: Cursor, field: FieldRef, *, in_logic: bool) -> Filter:
    """`[not.]op[(modifier)].value`; top level, the value is the rest of the text."""
    negated = cur.eat("not.")
    word = cur.take_while(lambda char: char.isascii() and char.isalpha())
    if not word:
        cur.fail(f"expected an operator (eq, gt, ...), found {cur.found()}")
    if word in RANGE_OPERATORS:
        raise UnsupportedFeature(
            f"operator '{word}' on column '{excerpt(field.column)}' is not supported: "
            "SQLite has no range types"
        )
    op = OPERATORS.get(word)
    if op is None:
        cur.fail(f"unknown operator '{excerpt(word)}'")
    quantifier: Literal["any", "all"] | None = None
    language = None
    if cur.peek() == "(":
        if op in QUANTIFIABLE:
            if cur.eat("(any)"):
                quantifier = "any"
            elif cur.eat("(all)"):
                quantifier = "all"
            else:
                cur.fail(f"expected (any) or (all) after '{op}', found {cur.found()}")
        elif op in FULL_TEXT:
            cur.pos += 1
            language = cur.take_while(is_name_char).strip()
            if not language:
                cur.fail(f"expected a text search config in '{op}(...)'")
            cur.expect(")")
        else:
            cur.fail(f"operator '{op}' takes no '(...)' modifier")
    if not cur.eat("."):
        cur.fail(f"expected '.' after operator '{op}', found {cur.found()}")
    value: str | tuple[str, ...]
    if op == "in":
        value = _list_value(cur)
    elif op == "is":
        word = cur.take_while(lambda char: char.isalpha() or char == "_")
        value = word.lower()
        if value not in IS_VALUES:
            cur.fail(
                f"unknown value '{excerpt(word)}' for 'is' (expected null, "
                "not_null, true, false or unknown)"
            )
    elif in_logic:
        value = _logic_value(cur)
    else:
        value = cur.rest()
    return Filter(field, op, value, negated, quantifier, language)


def _list_value(cur: Cursor) -> tuple[str, ...]:
    """`(1,2,"x,y")`; `()` and `(  )` are the empty list, matching nothing.

    Spaces next to the parentheses go, as PostgREST's `lexeme` drops them;
    spaces inside an item stay (`in.(a, b)` holds " b").
    """
    cur.skip_space()
    cur.expect("(")
    cur.skip_space()
    items: list[str] = []
    if cur.eat(")"):
        cur.skip_space()
        return ()
    while True:
        if len(items) == MAX_IN_ITEMS:
            cur.fail(f"'in' list has more than {MAX_IN_ITEMS} items")
        items.append(_quoted_or_raw(cur))
        if cur.eat(")"):
            cur.skip_space()
            return tuple(items)
        if not cur.eat(","):
            cur.fail(f"expected ',' or ')' in list, found {cur.found()}")


def _quoted_or_raw(cur: Cursor) -> str:
    # A quoted item counts only when it ends the item; `"a"b` stays literal.
    if cur.peek() == '"':
        quoted = read_quoted(cur.text, cur.pos)
        if quoted and (quoted[1] == len(cur.text) or cur.text[quoted[1]] in ",)"):
            value, cur.pos = quoted
            return value
    return cur.take_while(lambda char: char not in ",)")


def _logic_value(cur: Cursor) -> str:
    # `{a,b}` array literals keep their commas inside a logic tree.
    if cur.peek() == "{":
        close = cur.text.find("}", cur.pos)
        if close != -1 and "{" not in cur.text[cur.pos + 1 : close]:
            value, cur.pos = cur.text[cur.pos : close + 1], close + 1
            return value
    return _quoted_or_raw(cur)


def small_int(text: str) -> int | None:
    """`text` as an int if it is ASCII digits up to 2^63 - 1, else None."""
    # `int()` alone accepts any Unicode digit and raises past 4300 of them.
    if len(text) > 19 or not DIGITS.fullmatch(text) or int(text) > MAX_INT:
        return None
    return int(text)


def non_negative_int(text: str, parameter: str) -> int:
    number = small_int(text)
    if number is None:
        raise InvalidQuery(
            f"failed to parse {parameter} parameter ({excerpt(text)}): "
            "expected a non-negative integer up to 2^63 - 1"
        )
    return number
