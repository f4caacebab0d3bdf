"""Turn a PostgREST request (query string, headers, body) into a typed request.

Owns PostgREST's grammar: `select`, `order`, filters and `and`/`or` trees,
`limit`/`offset` and the `Range` header, `Prefer`, `Accept`, the profile headers
and the JSON body. It knows nothing of the schema: names stay strings and values
stay the text the client sent, for `database/plan.py` to resolve. Every bad input
ends as a `KoyaError` (PGRST1xx), never as another exception. Grammar follows
PostgREST's `ApiRequest/QueryParams.hs`, stricter where PostgREST silently
ignores trailing text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, NoReturn, TypeVar
from urllib.parse import parse_qsl

import orjson
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

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
from database.types import (
    Column,
    Condition,
    Count,
    CountMethod,
    Embed,
    EmbedPath,
    FieldRef,
    Filter,
    FilterOp,
    JsonStep,
    Logic,
    OrderTerm,
    ReadRequest,
    ResponseFormat,
    Returning,
    SelectItem,
    Shape,
    WriteMethod,
    WriteRequest,
)

# Bounds on what one request may ask; past them the answer is a 400, not a hang.
MAX_CONDITIONS = 100  # filters plus and/or nodes, over all parameters
MAX_LOGIC_DEPTH = 16
MAX_EMBED_DEPTH = 8
MAX_IN_ITEMS = 1000
MAX_SELECT_ITEMS = 200
MAX_ORDER_TERMS = 100  # per `order` parameter
_MAX_INT = 2**63 - 1  # what SQLite's INTEGER holds

_OPERATORS: dict[str, FilterOp] = {
    op: op
    for op in (
        "eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch",
        "in", "is", "isdistinct", "cs", "cd", "ov", "fts", "plfts", "phfts", "wfts",
    )
}  # fmt: skip
_QUANTIFIABLE = frozenset(
    {"eq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"}
)
_FULL_TEXT = frozenset({"fts", "plfts", "phfts", "wfts"})
_RANGE_OPERATORS = frozenset({"sl", "sr", "nxl", "nxr", "adj"})
_IS_VALUES = frozenset({"null", "not_null", "true", "false", "unknown"})
_AGGREGATES = frozenset({"sum", "avg", "count", "max", "min"})
_SPACE = " \t\r\n"
_NESTED_LOGIC = re.compile(r"(not\.)?(and|or)[ \t]*\(")
_DIGITS = re.compile(r"[0-9]+")
_RANGE_HEADER = re.compile(r"([0-9]+)-([0-9]*)")
_QUALITY = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
_JSON_INDEX = re.compile(r"-?[0-9]+(?=->|::|[.,) \t]|\Z)")
_WRITE_METHODS: dict[str, WriteMethod] = {
    "POST": "insert",
    "PATCH": "update",
    "DELETE": "delete",
    "PUT": "upsert",
}


def _excerpt(text: str, limit: int = 120) -> str:
    """Cut user text echoed in a message, so a huge parameter is not sent back."""
    return text if len(text) <= limit else text[:limit] + "…"


def _is_name_char(char: str) -> bool:
    # PostgREST's identifier: letters, digits, "_", "$" and spaces (stripped).
    return char.isalnum() or char in "_ $"


def _is_json_key_char(char: str) -> bool:
    return char not in "(-:.,>)"


class _Cursor:
    """A position in one parameter's text; `fail` names the parameter."""

    __slots__ = ("text", "pos", "context")

    def __init__(self, text: str, context: str) -> None:
        self.text = text
        self.pos = 0
        self.context = context

    def peek(self, size: int = 1) -> str:
        return self.text[self.pos : self.pos + size]

    def startswith(self, prefix: str) -> bool:
        return self.text.startswith(prefix, self.pos)

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def eat(self, prefix: str) -> bool:
        if self.text.startswith(prefix, self.pos):
            self.pos += len(prefix)
            return True
        return False

    def expect(self, prefix: str) -> None:
        if not self.eat(prefix):
            self.fail(f"expected '{prefix}', found {self.found()}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _SPACE:
            self.pos += 1

    def take_while(self, predicate: Callable[[str], bool]) -> str:
        start = self.pos
        while self.pos < len(self.text) and predicate(self.text[self.pos]):
            self.pos += 1
        return self.text[start : self.pos]

    def rest(self) -> str:
        value, self.pos = self.text[self.pos :], len(self.text)
        return value

    def found(self) -> str:
        if self.at_end():
            return "end of input"
        return f"'{self.text[self.pos]}' at position {self.pos}"

    def fail(self, reason: str) -> NoReturn:
        # The reason may quote a name; an absurd one must not bloat the response.
        raise InvalidQuery(f"{self.context}: {_excerpt(reason, 300)}")


class _Budget:
    """Counts filters and logic nodes across a whole request."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_CONDITIONS

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise InvalidQuery(
                f"too many filters: at most {MAX_CONDITIONS} filters and and/or "
                "terms are allowed per request"
            )


# ---------------------------------------------------------------- names, fields


def _read_quoted(text: str, pos: int) -> tuple[str, int] | None:
    """`"..."` at `pos` with backslash escapes: (value, end) or None if unclosed."""
    chars: list[str] = []
    index = pos + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
        elif char == '"':
            return "".join(chars), index + 1
        else:
            chars.append(char)
            index += 1
    return None


def _dashed(cur: _Cursor, is_char: Callable[[str], bool]) -> str:
    """Runs of `is_char` joined by single dashes; a dash before `>` is an arrow."""
    parts = [cur.take_while(is_char)]
    while (
        parts[-1]
        and cur.peek() == "-"
        and cur.peek(2) != "->"
        and cur.pos + 1 < len(cur.text)
        and is_char(cur.text[cur.pos + 1])
    ):
        cur.pos += 1
        parts.append(cur.take_while(is_char))
    return "-".join(parts).strip()


def _name(cur: _Cursor) -> tuple[str, bool]:
    """A field, relation or alias name; returns (name, was_quoted)."""
    cur.skip_space()
    if cur.peek() == '"':
        quoted = _read_quoted(cur.text, cur.pos)
        if quoted is None:
            cur.fail(f"unclosed '\"' at position {cur.pos}")
        name, cur.pos = quoted
        return name, True
    name = _dashed(cur, _is_name_char)
    if not name:
        cur.fail(f"expected a name, found {cur.found()}")
    return name, False


def _json_path(cur: _Cursor) -> tuple[JsonStep, ...]:
    steps: list[JsonStep] = []
    while True:
        arrow: Literal["->", "->>"]
        if cur.eat("->>"):
            arrow = "->>"
        elif cur.eat("->"):
            arrow = "->"
        else:
            return tuple(steps)
        key: str | int
        index = _JSON_INDEX.match(cur.text, cur.pos)
        # A longer digit run stays a key: no JSON array is that long.
        if index and len(index.group()) <= 10:
            key, cur.pos = int(index.group()), index.end()
        elif cur.peek() == '"':
            key, _ = _name(cur)
        else:
            key = _dashed(cur, _is_json_key_char)
            if not key:
                cur.fail(f"expected a JSON key after '{arrow}', found {cur.found()}")
        steps.append(JsonStep(arrow, key))


def _field(cur: _Cursor) -> FieldRef:
    column, _ = _name(cur)
    field = FieldRef(column, _json_path(cur))
    cur.skip_space()
    return field


def _names(text: str, parameter: str) -> tuple[str, ...]:
    """`a,"b c",d` as used by `columns` and `on_conflict`."""
    cur = _Cursor(text, f"failed to parse {parameter} parameter ({_excerpt(text)})")
    names = [_name(cur)[0]]
    cur.skip_space()
    while cur.eat(","):
        names.append(_name(cur)[0])
        cur.skip_space()
    if not cur.at_end():
        cur.fail(f"unexpected {cur.found()}")
    return tuple(names)


def _tree_path(key: str) -> tuple[list[str], tuple[JsonStep, ...], bool]:
    """A parameter name `a.b.col->x`: (names, json path, last name was quoted)."""
    cur = _Cursor(key, f"failed to parse tree path ({_excerpt(key)})")
    name, quoted = _name(cur)
    names = [name]
    while cur.eat("."):
        name, quoted = _name(cur)
        names.append(name)
    json_path = _json_path(cur)
    cur.skip_space()
    if not cur.at_end():
        cur.fail(f"unexpected {cur.found()}")
    return names, json_path, quoted


# ---------------------------------------------------------------- select


def parse_select(text: str) -> tuple[SelectItem, ...]:
    """Parse a `select` value; an empty one means `*`."""
    if not text.strip(" \t\r\n"):
        return (Column(FieldRef("*")),)
    cur = _Cursor(text, f"failed to parse select parameter ({_excerpt(text)})")
    items = _select_list(cur, depth=0, counter=[0])
    if not cur.at_end():
        cur.fail(f"unexpected {cur.found()}")
    return items


def _select_list(
    cur: _Cursor, depth: int, counter: list[int]
) -> tuple[SelectItem, ...]:
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


def _select_item(cur: _Cursor, depth: int, counter: list[int]) -> SelectItem:
    cur.skip_space()
    if cur.eat("*"):
        return Column(FieldRef("*"))
    if cur.eat("..."):
        relation, _ = _name(cur)
        hint, join = _embed_params(cur)
        if cur.peek() != "(":
            cur.fail(f"spread '...{relation}' needs a select list in parentheses")
        select = _embed_body(cur, depth, counter)
        return Embed(relation, select, hint=hint, join=join, spread=True)
    alias = None
    name, quoted = _name(cur)
    if cur.peek() == ":" and cur.peek(2) != "::":
        cur.pos += 1
        alias = name
        name, quoted = _name(cur)
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
    json_path = _json_path(cur)
    cast = None
    if cur.eat("::"):
        cast = cur.take_while(_is_name_char).strip()
        if not cast:
            cur.fail(f"expected a type after '::', found {cur.found()}")
    if cur.peek() == ".":
        cur.pos += 1
        function = cur.take_while(str.isalpha)
        if function in _AGGREGATES and cur.startswith("()"):
            raise AggregatesNotAllowed(
                "Use of aggregate functions is not allowed: "
                f"{_excerpt(name)}.{function}()"
            )
        cur.fail(f"unexpected '.' after '{name}'")
    # `rel(count)` is PostgREST's long-standing spelling of an embedded row count.
    if is_count and depth > 0 and not json_path and cast is None:
        return Count(alias)
    return Column(FieldRef(name, json_path), alias, cast)


def _embed_params(
    cur: _Cursor,
) -> tuple[str | None, Literal["inner", "left"] | None]:
    hint: str | None = None
    join: Literal["inner", "left"] | None = None
    while cur.eat("!"):
        word, quoted = _name(cur)
        if not quoted and word in ("inner", "left"):
            if join is not None:
                cur.fail(f"embed has two join types ('!{join}' and '!{word}')")
            join = "inner" if word == "inner" else "left"
        elif hint is not None:
            cur.fail(f"embed has two hints ('!{hint}' and '!{word}')")
        else:
            hint = word
    return hint, join


def _embed_body(cur: _Cursor, depth: int, counter: list[int]) -> tuple[SelectItem, ...]:
    if depth + 1 > MAX_EMBED_DEPTH:
        cur.fail(f"embeds nested deeper than {MAX_EMBED_DEPTH} levels")
    cur.expect("(")
    items = _select_list(cur, depth + 1, counter)
    cur.expect(")")
    return items


# ---------------------------------------------------------------- order


def parse_order(text: str) -> tuple[OrderTerm, ...]:
    """Parse an `order` value: `a.desc.nullslast,rel(b).asc,data->>x`."""
    cur = _Cursor(text, f"failed to parse order ({_excerpt(text)})")
    terms = [_order_term(cur)]
    while cur.eat(","):
        if len(terms) == MAX_ORDER_TERMS:
            cur.fail(f"more than {MAX_ORDER_TERMS} order terms")
        terms.append(_order_term(cur))
    if not cur.at_end():
        cur.fail(f"unexpected {cur.found()}")
    return tuple(terms)


def _order_term(cur: _Cursor) -> OrderTerm:
    name, _ = _name(cur)
    relation = None
    if cur.eat("("):
        relation, field = name, _field(cur)
        cur.expect(")")
    else:
        field = FieldRef(name, _json_path(cur))
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
            shown = f"'{_excerpt(word)}'" if word else cur.found()
            cur.fail(
                f"invalid order modifier {shown} for '{name}' (expected asc or "
                "desc, then nullsfirst or nullslast)"
            )
    cur.skip_space()
    return OrderTerm(field, bool(descending), nulls_first, relation)


# ---------------------------------------------------------------- filters, logic


def parse_condition(key: str, value: str) -> tuple[EmbedPath, Condition]:
    """Parse one filter (`col=op.value`) or logic (`or=(...)`) parameter."""
    return _condition(key, value, _Budget())


def _condition(key: str, value: str, budget: _Budget) -> tuple[EmbedPath, Condition]:
    names, json_path, quoted = _tree_path(key)
    if not json_path and not quoted and names[-1] in ("and", "or"):
        op: Literal["and", "or"] = "and" if names[-1] == "and" else "or"
        negated = len(names) > 1 and names[-2] == "not"
        path = tuple(names[: -2 if negated else -1])
        cur = _Cursor(value, f"failed to parse logic tree ({_excerpt(value)})")
        cur.skip_space()
        budget.spend()
        children = _logic_children(cur, 1, budget)
        cur.skip_space()
        if not cur.at_end():
            cur.fail(f"unexpected {cur.found()}")
        return path, Logic(op, children, negated)
    field = FieldRef(names[-1], json_path)
    label = _excerpt(".".join(names))
    cur = _Cursor(
        value, f"failed to parse filter ({_excerpt(value)}) for column '{label}'"
    )
    budget.spend()
    condition = _operation(cur, field, in_logic=False)
    if not cur.at_end():
        cur.fail(f"unexpected {cur.found()}")
    return tuple(names[:-1]), condition


def _logic_children(cur: _Cursor, depth: int, budget: _Budget) -> tuple[Condition, ...]:
    if depth > MAX_LOGIC_DEPTH:
        cur.fail(f"and/or nested deeper than {MAX_LOGIC_DEPTH} levels")
    cur.expect("(")
    children: list[Condition] = []
    while True:
        cur.skip_space()
        budget.spend()
        nested = _NESTED_LOGIC.match(cur.text, cur.pos)
        if nested:
            cur.pos = nested.end() - 1
            op: Literal["and", "or"] = "and" if nested.group(2) == "and" else "or"
            grandchildren = _logic_children(cur, depth + 1, budget)
            children.append(Logic(op, grandchildren, bool(nested.group(1))))
        else:
            field = _field(cur)
            cur.expect(".")
            children.append(_operation(cur, field, in_logic=True))
        cur.skip_space()
        if cur.eat(")"):
            return tuple(children)
        if not cur.eat(","):
            cur.fail(f"expected ',' or ')', found {cur.found()}")


def _operation(cur: _Cursor, field: FieldRef, *, in_logic: bool) -> Filter:
    """`[not.]op[(modifier)].value`; top level, the value is the rest of the text."""
    negated = cur.eat("not.")
    word = cur.take_while(lambda char: char.isascii() and char.isalpha())
    if not word:
        cur.fail(f"expected an operator (eq, gt, ...), found {cur.found()}")
    if word in _RANGE_OPERATORS:
        raise UnsupportedFeature(
            f"operator '{word}' on column '{_excerpt(field.column)}' is not supported: "
            "SQLite has no range types"
        )
    op = _OPERATORS.get(word)
    if op is None:
        cur.fail(f"unknown operator '{_excerpt(word)}'")
    quantifier: Literal["any", "all"] | None = None
    language = None
    if cur.peek() == "(":
        if op in _QUANTIFIABLE:
            if cur.eat("(any)"):
                quantifier = "any"
            elif cur.eat("(all)"):
                quantifier = "all"
            else:
                cur.fail(f"expected (any) or (all) after '{op}', found {cur.found()}")
        elif op in _FULL_TEXT:
            cur.pos += 1
            language = cur.take_while(_is_name_char).strip()
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
        if value not in _IS_VALUES:
            cur.fail(
                f"unknown value '{_excerpt(word)}' for 'is' (expected null, "
                "not_null, true, false or unknown)"
            )
    elif in_logic:
        value = _logic_value(cur)
    else:
        value = cur.rest()
    return Filter(field, op, value, negated, quantifier, language)


def _list_value(cur: _Cursor) -> tuple[str, ...]:
    """`(1,2,"x,y")`; `()` is the empty list, matching nothing."""
    cur.skip_space()
    cur.expect("(")
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


def _quoted_or_raw(cur: _Cursor) -> str:
    # A quoted item counts only when it ends the item; `"a"b` stays literal.
    if cur.peek() == '"':
        quoted = _read_quoted(cur.text, cur.pos)
        if quoted and (quoted[1] == len(cur.text) or cur.text[quoted[1]] in ",)"):
            value, cur.pos = quoted
            return value
    return cur.take_while(lambda char: char not in ",)")


def _logic_value(cur: _Cursor) -> str:
    # `{a,b}` array literals keep their commas inside a logic tree.
    if cur.peek() == "{":
        close = cur.text.find("}", cur.pos)
        if close != -1 and "{" not in cur.text[cur.pos + 1 : close]:
            value, cur.pos = cur.text[cur.pos : close + 1], close + 1
            return value
    return _quoted_or_raw(cur)


# ---------------------------------------------------------------- query string


def _small_int(text: str) -> int | None:
    """`text` as an int if it is ASCII digits up to 2^63 - 1, else None."""
    # `int()` alone accepts any Unicode digit and raises past 4300 of them.
    if len(text) > 19 or not _DIGITS.fullmatch(text) or int(text) > _MAX_INT:
        return None
    return int(text)


def _non_negative_int(text: str, parameter: str) -> int:
    number = _small_int(text)
    if number is None:
        raise InvalidQuery(
            f"failed to parse {parameter} parameter ({_excerpt(text)}): "
            "expected a non-negative integer up to 2^63 - 1"
        )
    return number


def _header(request: HttpRequest, name: str, default: str | None = None) -> str | None:
    # request.headers builds a dict of every header on first use; one META
    # lookup is all a hot path needs.
    return request.META.get("HTTP_" + name.upper().replace("-", "_"), default)


def _query_lists(
    request: HttpRequest, query_string: str | None = None
) -> list[tuple[str, list[str]]]:
    """The query string as (key, values) pairs in first-seen order.

    Read straight from the raw query string: Django's QueryDict does the same
    parsing with several times the overhead, and the order of keys matters.
    """
    raw = request.META.get("QUERY_STRING", "") if query_string is None else query_string
    try:
        pairs = parse_qsl(
            raw,
            keep_blank_values=True,
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
            errors="strict",
        )
    except ValueError as error:
        # parse_qsl says "Max number of fields exceeded" for the bound.
        reason = (
            "too many query parameters"
            if "Max number" in str(error)
            else "invalid query string"
        )
        raise InvalidQuery(f"{reason}: {error}") from None
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return list(grouped.items())


@dataclass(slots=True)
class _Query:
    select: tuple[SelectItem, ...]
    shape: Shape
    columns: tuple[str, ...] | None
    on_conflict: tuple[str, ...] | None
    has_root_range: bool


def _query(request: HttpRequest, query_string: str | None = None) -> _Query:
    params = _query_lists(request, query_string)
    select: tuple[SelectItem, ...] | None = None
    columns = on_conflict = None
    filters: dict[EmbedPath, list[Condition]] = {}
    order: dict[EmbedPath, tuple[OrderTerm, ...]] = {}
    limit: dict[EmbedPath, int] = {}
    offset: dict[EmbedPath, int] = {}
    budget = _Budget()
    for key, values in params:
        last = key.rsplit(".", 1)[-1]
        if key == "select":
            # PostgREST reads the first `select`, like any single-valued lookup.
            select = parse_select(values[0])
        elif key == "columns":
            columns = _names(values[-1], "columns")
        elif key == "on_conflict":
            on_conflict = _names(values[-1], "on_conflict")
        elif last in ("order", "limit", "offset"):
            path: EmbedPath = ()
            if key != last:
                names, json_path, _ = _tree_path(key[: -len(last) - 1])
                if json_path:
                    raise InvalidQuery(f"'{_excerpt(key)}' names a JSON path")
                path = tuple(names)
            if last == "order":
                for value in values:
                    order[path] = order.get(path, ()) + parse_order(value)
            elif last == "limit":
                # Repeats: the last one wins, as PostgREST's HashMap does.
                limit[path] = _non_negative_int(values[-1], key)
            elif (number := _non_negative_int(values[-1], key)) > 0:
                offset[path] = number
        else:
            for value in values:
                path, condition = _condition(key, value, budget)
                filters.setdefault(path, []).append(condition)
    return _Query(
        select=select or (Column(FieldRef("*")),),
        shape=Shape(
            filters={path: tuple(conditions) for path, conditions in filters.items()},
            order=order,
            limit=limit,
            offset=offset,
        ),
        columns=columns,
        on_conflict=on_conflict,
        has_root_range=() in limit or any(key == "offset" for key, _ in params),
    )


def _apply_range_header(request: HttpRequest, shape: Shape) -> None:
    """Intersect `Range: a-b` with the root limit/offset, as PostgREST does."""
    header = _header(request, "Range")
    # RFC 9110: Range is ignored for methods other than GET.
    if request.method != "GET" or header is None:
        return
    match = _RANGE_HEADER.fullmatch(header.strip())
    if match is None or shape.limit.get(()) == 0:
        return  # PostgREST ignores a malformed Range; limit=0 always wins
    first = _small_int(match.group(1))
    last = _small_int(match.group(2)) if match.group(2) else None
    if first is None or (match.group(2) and last is None):
        raise InvalidRange(
            "Requested range not satisfiable",
            details=f"The Range header ({_excerpt(header)}) exceeds 2^63 - 1.",
        )
    if last is not None and last < first:
        raise InvalidRange(
            "Requested range not satisfiable",
            details="The lower boundary must be lower than or equal to the upper "
            "boundary in the Range header.",
        )
    lower = shape.offset.get((), 0)
    upper = None if () not in shape.limit else lower + shape.limit[()] - 1
    lower = max(lower, first)
    if last is not None:
        upper = last if upper is None else min(upper, last)
    if upper is not None and upper < lower:
        raise InvalidRange(
            "Requested range not satisfiable",
            details="The Range header and limit/offset select no rows in common.",
        )
    shape.offset.pop((), None)
    if lower > 0:
        shape.offset[()] = lower
    if upper is not None:
        shape.limit[()] = upper - lower + 1


# ---------------------------------------------------------------- headers


_Resolution = Literal["merge-duplicates", "ignore-duplicates"]
_Choice = TypeVar("_Choice", bound=str)
_RETURNING: tuple[Returning, ...] = ("minimal", "headers-only", "representation")
_COUNTS: tuple[CountMethod, ...] = ("exact", "planned", "estimated")
_RESOLUTIONS: tuple[_Resolution, ...] = ("merge-duplicates", "ignore-duplicates")
_PREFERENCES: dict[str, tuple[str, ...]] = {
    "return": _RETURNING,
    "count": _COUNTS,
    "resolution": _RESOLUTIONS,
    "missing": ("default", "null"),
    "tx": ("commit", "rollback"),
    "handling": ("lenient", "strict"),
}


@dataclass(frozen=True, slots=True)
class _Preferences:
    returning: Returning | None = None
    count: CountMethod | None = None
    resolution: _Resolution | None = None
    missing_default: bool = False
    rollback: bool = False
    max_affected: int | None = None


def _pick(value: str | None, choices: tuple[_Choice, ...]) -> _Choice | None:
    """Narrow a validated preference value to its Literal type."""
    return next((choice for choice in choices if choice == value), None)


def _preferences(request: HttpRequest) -> _Preferences:
    """Read `Prefer` (several headers arrive joined by commas); first value wins."""
    chosen: dict[str, str] = {}
    invalid: list[str] = []
    for token in _header(request, "Prefer", "").split(","):
        token = token.strip()
        if not token:
            continue
        kind, _, value = token.partition("=")
        if value in _PREFERENCES.get(kind, ()):
            chosen.setdefault(kind, value)
        elif kind == "max-affected" and _small_int(value) is not None:
            chosen.setdefault(kind, value)
        elif kind != "timezone" or not value:  # timezone: accepted, SQLite has none
            invalid.append(token)
    strict = chosen.get("handling") == "strict"
    if strict and invalid:
        listed = _excerpt(", ".join(invalid))
        raise InvalidPreferences(
            f"Invalid preferences given with handling=strict: {listed}",
            details=f"Invalid preferences: {listed}",
        )
    max_affected = chosen.get("max-affected")
    return _Preferences(
        returning=_pick(chosen.get("return"), _RETURNING),
        count=_pick(chosen.get("count"), _COUNTS),
        resolution=_pick(chosen.get("resolution"), _RESOLUTIONS),
        missing_default=chosen.get("missing") == "default",
        rollback=chosen.get("tx") == "rollback",
        # PostgREST enforces max-affected only together with handling=strict.
        max_affected=int(max_affected) if strict and max_affected else None,
    )


def _check_profile(request: HttpRequest, header: str) -> None:
    profile = _header(request, header)
    if profile is not None and profile.strip() != "public":
        raise SchemaNotExposed(_excerpt(profile.strip()))


def _media_format(
    media: str, params: dict[str, str]
) -> tuple[ResponseFormat, bool] | None:
    stripped = params.get("nulls") == "stripped"
    if media in ("application/json", "*/*"):
        return "json", False
    if media in ("application/vnd.pgrst.array+json", "application/vnd.pgrst.array"):
        return "json", stripped
    if media in ("application/vnd.pgrst.object+json", "application/vnd.pgrst.object"):
        return "object", stripped
    if media == "text/csv":
        return "csv", False
    return None


def _negotiate(accept: str | None) -> tuple[ResponseFormat, bool]:
    """Pick the response format from `Accept`: (format, strip_nulls)."""
    if accept is None or not accept.strip():
        return "json", False
    offered: list[tuple[float, int, int, str, dict[str, str]]] = []
    for index, part in enumerate(accept.split(",")):
        media, *raw_params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        params: dict[str, str] = {}
        for raw in raw_params:
            name, _, value = raw.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        quality = params.pop("q", "1")
        weight = float(quality) if _QUALITY.fullmatch(quality) else 1.0
        if weight == 0:
            continue  # q=0 means "not acceptable"
        media = media.lower()
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        offered.append((-weight, -specificity, index, media, params))
    for *_, media, params in sorted(offered, key=lambda entry: entry[:3]):
        chosen = _media_format(media, params)
        if chosen is not None:
            return chosen
    listed = ", ".join(part.strip() for part in accept.split(",") if part.strip())
    raise NotAcceptable(f"None of these media types are available: {_excerpt(listed)}")


# ---------------------------------------------------------------- body


def _rows(
    request: HttpRequest, method: WriteMethod, columns: tuple[str, ...] | None
) -> tuple[tuple[dict[str, object], ...], bool]:
    """Decode the JSON body into rows; returns (rows, body_was_array)."""
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type not in ("", "application/json"):
        raise UnsupportedMediaType(
            f"Content-Type not acceptable: {_excerpt(content_type)}"
        )
    try:
        body = request.body
    except RequestDataTooBig:
        raise PayloadTooLarge("Request body is larger than the allowed size") from None
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        # PostgREST drops the decoder's message for a generic one (#2344).
        raise InvalidBody("Empty or invalid json") from None
    if isinstance(document, dict):
        return (document,), False
    if not isinstance(document, list):
        raise InvalidBody("JSON body must be an object or an array of objects")
    if not all(isinstance(row, dict) for row in document):
        raise InvalidBody("JSON array body must contain only objects")
    if method == "update":
        raise InvalidBody("PATCH body must be a single JSON object, not an array")
    if method == "upsert" and len(document) != 1:
        raise InvalidBody("PUT body must be a single JSON object")
    # With ?columns= the keys are taken from it; otherwise rows must agree.
    if columns is None and document:
        keys = document[0].keys()
        if any(row.keys() != keys for row in document):
            raise InvalidBody("All object keys must match")
    return tuple(document), True


# ---------------------------------------------------------------- requests


def read_request(
    request: HttpRequest, table: str, query_string: str | None = None
) -> ReadRequest:
    """Parse a GET or HEAD on `/rest/v1/<table>`.

    `query_string` replaces the request's own, for parsing a prepared shape.
    """
    # Checks run in PostgREST's order, so the same bad request gets the same error.
    _check_profile(request, "Accept-Profile")
    query = _query(request, query_string)
    _apply_range_header(request, query.shape)
    preferences = _preferences(request)
    response_format, strip_nulls = _negotiate(_header(request, "Accept"))
    return ReadRequest(
        table=table,
        select=query.select,
        shape=query.shape,
        count=preferences.count,
        format=response_format,
        strip_nulls=strip_nulls,
        head=request.method == "HEAD",
    )


def write_request(request: HttpRequest, table: str) -> WriteRequest:
    """Parse a POST (insert), PATCH (update), DELETE or PUT (upsert)."""
    method = _WRITE_METHODS.get(request.method or "")
    if method is None:
        raise UnsupportedMethod(f"Unsupported HTTP method: {request.method}")
    _check_profile(request, "Content-Profile")
    query = _query(request)
    if method == "upsert" and query.has_root_range:
        raise PutWithLimit(
            "limit/offset querystring parameters are not allowed for PUT"
        )
    # PostgREST honours ?columns= only for insert and update.
    columns = query.columns if method in ("insert", "update") else None
    rows: tuple[dict[str, object], ...] | None = None
    is_bulk = False
    if method != "delete":
        rows, is_bulk = _rows(request, method, columns)
    preferences = _preferences(request)
    response_format, strip_nulls = _negotiate(_header(request, "Accept"))
    return WriteRequest(
        table=table,
        method=method,
        rows=rows,
        shape=query.shape,
        select=query.select,
        columns=columns,
        on_conflict=query.on_conflict,
        resolution=preferences.resolution,
        missing_default=preferences.missing_default,
        returning=preferences.returning or "minimal",
        count=preferences.count,
        format=response_format,
        strip_nulls=strip_nulls,
        max_affected=preferences.max_affected,
        rollback=preferences.rollback,
        is_bulk=is_bulk,
    )
