"""What the Overview shows about the project: its API URL and public key, its
tables and their row counts, its app users, its database files and the API
requests that failed lately. Page and JSON endpoint both read it from here."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import datetime

from django.conf import settings

from accounts import keys
from accounts.models import User
from database.executor import catalog, raw_connection
from database.sql import quote_ident
from database.timelimit import QueryTooSlow, time_limit
from studio.models import RequestLog

# Each count(*) may take this long; a bigger table shows "too slow to count".
COUNT_LIMIT_MS = 500
RECENT_ERRORS = 5


@dataclass(frozen=True, slots=True)
class TableCount:
    name: str
    is_view: bool
    rows: int | None  # None: counting took longer than COUNT_LIMIT_MS


@dataclass(frozen=True, slots=True)
class DatabaseFiles:
    path: str
    size_bytes: int
    wal_bytes: int


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    time: datetime
    method: str
    path: str
    status: int
    role: str
    user_id: str
    duration_ms: float
    request_id: str


@dataclass(frozen=True, slots=True)
class Overview:
    api_url: str
    anon_key: str
    tables: list[TableCount]
    user_count: int
    database: DatabaseFiles
    recent_errors: list[LoggedRequest]
    request_log_enabled: bool

    def as_json(self) -> dict:
        return asdict(self)


def api_url() -> str:
    """The URL clients call, as `koyalite keys` prints it."""
    return settings.API_URL


def count_tables() -> list[TableCount]:
    """Every user table and view with its row count, each count time-limited."""
    schema, _policies = catalog()
    raw = raw_connection()
    counts = []
    for name in sorted(schema.tables, key=str.casefold):
        info = schema.tables[name]
        try:
            with time_limit(COUNT_LIMIT_MS, raw=raw):
                (rows,) = raw.execute(
                    f"SELECT count(*) FROM {quote_ident(name)}"
                ).fetchone()
        except QueryTooSlow:
            rows = None
        counts.append(TableCount(name=name, is_view=info.is_view, rows=rows))
    return counts


def database_files() -> DatabaseFiles:
    path = str(settings.DATABASES["default"]["NAME"])
    return DatabaseFiles(
        path=path, size_bytes=_size(path), wal_bytes=_size(path + "-wal")
    )


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:  # no WAL file between checkpoints is normal
        return 0


def recent_errors(limit: int = RECENT_ERRORS) -> list[LoggedRequest]:
    """The latest API requests answered with a 4xx or 5xx."""
    return [
        as_logged_request(entry)
        for entry in RequestLog.objects.filter(status__gte=400).order_by("-id")[:limit]
    ]


def as_logged_request(entry: RequestLog) -> LoggedRequest:
    return LoggedRequest(
        time=entry.time,
        method=entry.method,
        path=entry.path,
        status=entry.status,
        role=entry.role,
        user_id=entry.user_id,
        duration_ms=entry.duration_ms,
        request_id=entry.request_id,
    )


def overview() -> Overview:
    return Overview(
        api_url=api_url(),
        anon_key=keys.anon_key(),
        tables=count_tables(),
        user_count=User.objects.count(),
        database=database_files(),
        recent_errors=recent_errors(),
        request_log_enabled=bool(settings.REQUEST_LOG_ROWS),
    )
