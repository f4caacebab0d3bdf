"""The query string as parameters, and `limit`/`offset`/`Range`."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest

from api.rest.errors import InvalidQuery, InvalidRange
from api.rest.parse.cursor import Budget, excerpt, read_names, tree_path
from api.rest.parse.filters import non_negative_int, read_condition, small_int
from api.rest.parse.limits import NEGATIVE, RANGE_HEADER
from api.rest.parse.select import parse_order, parse_select
from database.types import (
    Column,
    Condition,
    EmbedPath,
    FieldRef,
    OrderTerm,
    SelectItem,
    Shape,
)


def header_value(
    request: HttpRequest, name: str, default: str | None = None
) -> str | None:
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


def read_query(request: HttpRequest, query_string: str | None = None) -> _Query:
    params = _query_lists(request, query_string)
    select: tuple[SelectItem, ...] | None = None
    columns = on_conflict = None
    filters: dict[EmbedPath, list[Condition]] = {}
    order: dict[EmbedPath, tuple[OrderTerm, ...]] = {}
    limit: dict[EmbedPath, int] = {}
    offset: dict[EmbedPath, int] = {}
    budget = Budget()
    for key, values in params:
        last = key.rsplit(".", 1)[-1]
        if key == "select":
            # PostgREST reads the first `select`, like any single-valued lookup.
            select = parse_select(values[0])
        elif key == "columns":
            columns = read_names(values[-1], "columns")
        elif key == "on_conflict":
            on_conflict = read_names(values[-1], "on_conflict")
        elif last in ("order", "limit", "offset"):
            path: EmbedPath = ()
            if key != last:
                names, json_path, _ = tree_path(key[: -len(last) - 1])
                if json_path:
                    raise InvalidQuery(f"'{excerpt(key)}' names a JSON path")
                path = tuple(names)
            if last == "order":
                for value in values:
                    order[path] = order.get(path, ()) + parse_order(value)
            elif last == "limit":
                # Repeats: the last one wins, as PostgREST's HashMap does.
                if NEGATIVE.fullmatch(values[-1]):
                    raise InvalidRange(
                        "Requested range not satisfiable",
                        details="Limit should be greater than or equal to zero.",
                    )
                limit[path] = non_negative_int(values[-1], key)
            elif NEGATIVE.fullmatch(values[-1]):
                pass  # PostgREST takes a negative offset as none at all
            elif (number := non_negative_int(values[-1], key)) > 0:
                offset[path] = number
        else:
            for value in values:
                path, condition = read_condition(key, value, budget)
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


def apply_range_header(request: HttpRequest, shape: Shape) -> None:
    """Intersect `Range: a-b` with the root limit/offset, as PostgREST does."""
    header = header_value(request, "Range")
    # RFC 9110: Range is ignored for methods other than GET.
    if request.method != "GET" or header is None:
        return
    match = RANGE_HEADER.fullmatch(header.strip())
    if match is None or shape.limit.get(()) == 0:
        return  # PostgREST ignores a malformed Range; limit=0 always wins
    first = small_int(match.group(1))
    last = small_int(match.group(2)) if match.group(2) else None
    if first is None or (match.group(2) and last is None):
        raise InvalidRange(
            "Requested range not satisfiable",
            details=f"The Range header ({excerpt(header)}) exceeds 2^63 - 1.",
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
