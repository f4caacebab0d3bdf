"""Prepared reads: one compiled statement per request shape.

Most API traffic repeats a few shapes with different values — `id=eq.<id>`
with a new id each time. The values of simple comparisons are masked out of
the query string, the masked request is parsed, planned and compiled once,
with those values left as `Slot` parameters, and later requests of the same
shape only bind their values. Values still get their column's type (and a bad
one its 22P02) when they are bound; nothing about the SQL depends on them.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import unquote

from django.http import HttpRequest

from accounts.keys import Auth
from api.rest import parse
from database import services
from database.executor import catalog
from database.plan import SLOT_MARK
from database.sql import Sql
from database.types import ReadRequest

# Parameters that are not filters, and the comparisons whose value enters the
# statement only as one parameter, never as SQL text or a pattern.
_RESERVED = frozenset({"select", "order", "limit", "offset", "columns", "on_conflict"})
_MASKABLE = re.compile(r"^(not\.)?(eq|neq|gt|gte|lt|lte)\.")
_CACHE_SIZE = 512


@dataclass(frozen=True, slots=True)
class Prepared:
    read: ReadRequest
    sql: Sql
    catalog: object  # the PolicyCatalog it was compiled against


def mask(query_string: str) -> tuple[str, tuple[str, ...]] | None:
    """Split a query string into its shape and the values of its comparisons.

    None when the request cannot be prepared (a NUL anywhere: slot markers use
    it, so it must not come from a client).
    """
    if "\x00" in query_string or "%00" in query_string:
        return None
    parts = []
    values: list[str] = []
    for part in query_string.split("&"):
        key, separator, value = part.partition("=")
        if (
            separator
            and key not in _RESERVED
            and not key.endswith((".order", ".limit", ".offset"))
        ):
            match = _MASKABLE.match(value)
            if match is not None:
                values.append(unquote(value[match.end() :].replace("+", " ")))
                part = f"{key}={match.group(0)}{SLOT_MARK}{len(values) - 1}"
        parts.append(part)
    return "&".join(parts), tuple(values)


class _Cache:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple, Prepared] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Prepared | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: tuple, item: Prepared) -> None:
        with self._lock:
            self._items[key] = item
            if len(self._items) > self._size:
                self._items.popitem(last=False)


_cache = _Cache(_CACHE_SIZE)


def read(
    request: HttpRequest, table: str, auth: Auth
) -> tuple[ReadRequest, services.ReadResult]:
    """Parse (or reuse), run and return a GET/HEAD on `table`."""
    schema, policies = catalog()
    masked = mask(request.META.get("QUERY_STRING", ""))
    if masked is None:
        parsed = parse.read_request(request, table)
        return parsed, services.run_read(
            services.prepare_read(parsed, auth, schema, policies), auth
        )
    shape, values = masked
    meta = request.META
    key = (
        table,
        request.method,
        auth.role,
        shape,
        meta.get("HTTP_ACCEPT"),
        meta.get("HTTP_PREFER"),
        meta.get("HTTP_RANGE"),
        meta.get("HTTP_ACCEPT_PROFILE"),
    )
    prepared = _cache.get(key)
    if prepared is None or prepared.catalog is not policies:
        parsed = parse.read_request(request, table, shape)
        sql = services.prepare_read(parsed, auth, schema, policies, slots=True)
        prepared = Prepared(parsed, sql, policies)
        _cache.put(key, prepared)
    return prepared.read, services.run_read(prepared.sql, auth, values)
