"""The Table editor's reads and writes, expressed as `/rest/v1` requests.

The grid never has a query builder of its own: its query string *is* the
PostgREST grammar (`?col=eq.5&order=col.desc`) plus three Studio keys —
`page`, `per_page` and `as` (view as `anon` or an app user's id). Those keys
are taken off, `limit`/`offset` are added, and what is left goes through
`api.rest.parse` → `database.services`, the same path as `/rest/v1`, under the
`Auth` that `accounts.keys` would give that role. RLS is therefore applied by
the compiler, as everywhere else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode

import orjson
from django.http import HttpRequest

from accounts import sessions
from accounts.keys import ANON, SERVICE, Auth
from api.rest import parse
from database import services, timelimit
from database.executor import catalog
from database.schema import TableInfo
from database.types import ReadRequest, Shape, WriteRequest
from koyalite.errors import KoyaError

STUDIO_KEYS = frozenset({"page", "per_page", "as"})
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
# Grid and export queries stop after this long rather than hold the one
# SQLite connection of a worker (Datasette's sql_time_limit_ms).
TIME_LIMIT_MS = 5000
GRID_ADVICE = "filter on an indexed column or sort by one"


class UnknownTable(KoyaError):
    status = 404
    code = "PGRST205"

    def __init__(self, table: str) -> None:
        super().__init__(
            f"Could not find the table 'public.{table}' in the schema cache"
        )


class UnknownUser(KoyaError):
    status = 400
    code = "KL801"

    def __init__(self, value: str) -> None:
        super().__init__(f"cannot view as {value!r}: no such app user")


class BadPage(KoyaError):
    status = 400
    code = "KL803"


class ReadOnlyViewer(KoyaError):
    status = 400
    code = "KL804"

    def __init__(self) -> None:
        super().__init__(
            "viewing as a user or anon is read-only; Studio writes run as service role"
        )


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict]
    total: int | None
    page: int
    per_page: int


def table_info(name: str) -> TableInfo:
    schema, _ = catalog()
    info = schema.table(name)
    if info is None:
        raise UnknownTable(name)
    return info


def user_tables() -> list[TableInfo]:
    schema, _ = catalog()
    return sorted(schema.tables.values(), key=lambda t: t.name.casefold())


def viewer(value: str | None) -> Auth:
    """The `Auth` for `?as=`: service role (default), anon, or an app user
    with the claims an access token of theirs would carry."""
    if not value or value == "service_role":
        return SERVICE
    if value == "anon":
        return ANON
    auth = sessions.auth_as_user(value) if _looks_like_id(value) else None
    if auth is None:
        raise UnknownUser(value)
    return auth


def _looks_like_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def split_query(query_string: str) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(PostgREST pairs, Studio keys) of a grid query string."""
    rest: list[tuple[str, str]] = []
    studio: dict[str, str] = {}
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key in STUDIO_KEYS:
            studio[key] = value
        elif key not in ("limit", "offset"):
            rest.append((key, value))
    return rest, studio


def _positive(studio: dict[str, str], key: str, default: int, top: int) -> int:
    text = studio.get(key, "")
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise BadPage(f"'{key}' must be a whole number of at least 1, not {text!r}")
    return min(int(text), top)


@contextmanager
def time_limit(limit_ms: int = TIME_LIMIT_MS) -> Iterator[None]:
    """The grid's limit on one read, with advice for the operator."""
    with timelimit.time_limit(limit_ms, GRID_ADVICE):
        yield


def grid_request(
    request: HttpRequest, table: str, query_string: str
) -> tuple[ReadRequest, Auth, int, int]:
    """The `/rest/v1` read a grid URL stands for: (read, auth, page, per_page)."""
    table_info(table)
    pairs, studio = split_query(query_string)
    page = _positive(studio, "page", 1, 10**9)
    per_page = _positive(studio, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    auth = viewer(studio.get("as"))
    pairs += [("limit", str(per_page)), ("offset", str((page - 1) * per_page))]
    read = parse.read_request(request, table, urlencode(pairs))
    return replace(read, count="exact", format="json", head=False), auth, page, per_page


def read_page(request: HttpRequest, table: str, query_string: str) -> Page:
    """One page of `table` as `?as=` may see it, with the exact count."""
    read, auth, page, per_page = grid_request(request, table, query_string)
    with time_limit():
        result = services.read(read, auth)
    return Page(orjson.loads(result.body), result.total, page, per_page)


def stream_rows(
    request: HttpRequest, table: str, query_string: str, batch: int = 2000
) -> Iterator[list[dict]]:
    """Every row the grid's filters and `as` select, in batches, in order.

    Without an `order`, a table with a one-column primary key is walked by
    that key (`key=gt.<last>`), so each batch seeks instead of skipping all
    the rows before it as OFFSET does; with an `order`, offsets are used.
    """
    info = table_info(table)
    pairs, studio = split_query(query_string)
    auth = viewer(studio.get("as"))
    key = info.primary_key[0] if len(info.primary_key) == 1 else None
    by_key = key is not None and not any(k == "order" for k, _ in pairs)
    if by_key:
        pairs.append(("order", f"{key}.asc"))
    last: object = None
    offset = 0
    while True:
        page = list(pairs)
        if by_key and last is not None:
            page.append((key, f"gt.{last}"))
        else:
            page.append(("offset", str(offset)))
        page.append(("limit", str(batch)))
        read = parse.read_request(request, table, urlencode(page))
        read = replace(read, count=None, format="json", head=False)
        with time_limit():
            rows = orjson.loads(services.read(read, auth).body)
        if rows:
            yield rows
        if len(rows) < batch:
            return
        offset += batch
        last = rows[-1][key] if by_key else None


def insert_rows(table: str, rows: list[dict]) -> services.WriteResult:
    """Insert `rows` as service role: one statement, all or nothing."""
    write = WriteRequest(
        table=table,
        method="insert",
        rows=tuple(rows),
        shape=Shape(),
        returning="minimal",
        is_bulk=len(rows) != 1,
    )
    return services.write(write, SERVICE)


# Column names that usually say what a row is, tried before any other text.
_DISPLAY_NAMES = ("name", "title", "label", "email", "username", "slug")


def display_column(info: TableInfo, key: str) -> str | None:
    """The text column that names a row of `info` in a foreign key picker:
    a usual name such as `name` or `title`, else the first text column that
    is not part of a key; None when there is none."""
    candidates = [
        column.name
        for column in info.columns.values()
        if column.kind == "text" and column.primary_key == 0 and column.name != key
    ]
    by_name = {name.casefold(): name for name in candidates}
    for usual in _DISPLAY_NAMES:
        if usual in by_name:
            return by_name[usual]
    return candidates[0] if candidates else None


def column_metadata(info: TableInfo) -> list[dict]:
    """Name, type, nullability, key and foreign-key target of each column;
    a target names the column its picker shows and searches beside the key."""
    schema, _ = catalog()
    targets = {}
    for key in info.foreign_keys:
        if len(key.columns) == 1:
            referenced = schema.table(key.ref_table)
            column = referenced and referenced.column(key.ref_columns[0])
            targets[key.columns[0]] = {
                "table": key.ref_table,
                "column": key.ref_columns[0],
                "kind": column.kind if column else "text",
                "display": (
                    display_column(referenced, key.ref_columns[0])
                    if referenced
                    else None
                ),
            }
    return [
        {
            "name": column.name,
            "type": column.declared_type or "any",
            "kind": column.kind,
            "nullable": column.nullable,
            "pk": column.primary_key > 0,
            "has_default": column.has_default,
            "generated": column.generated,
            "fk": targets.get(column.name),
        }
        for column in info.columns.values()
    ]
