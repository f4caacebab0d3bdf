"""The request log's writer: API requests recorded off the hot path.

`record()` is called by `RequestLogMiddleware` once per API request. It puts a
small tuple in the process's `BatchWriter`, whose thread inserts in batches
(every ~2 s or 2,000 records) through `database.executor.write_transaction`,
the write-lock path every writer takes, then trims the table to the newest
`KOYALITE_REQUEST_LOG_ROWS` rows.
"""

from __future__ import annotations

from django.conf import settings

from koyalite.batch_writer import BatchWriter, PerProcess

# Only the APIs' requests are logged; Studio pages and static files are not.
LOGGED_PREFIXES = ("/rest/", "/auth/", "/storage/", "/functions/", "/graphql/")
TABLE = "koyalite_request_log"
# Every commit makes each reader connection drop its page cache; flushing every
# 2 s instead of 0.5 s took the log's cost on /rest/v1 GETs from ~9 % to ~6 %
# of server CPU (bench/request_log.py).
BATCH_SIZE = 2000
FLUSH_SECONDS = 2.0
# Several seconds of peak load; beyond it records are dropped.
BUFFER_SIZE = 20_000

Record = tuple[float, str, str, int, str, str, float, str]

# Rows go in a hundred per statement with bound values: a third of the CPU of
# one statement exploding the batch as JSON (json_each parsed every record),
# and the thread retakes the GIL once per hundred rows, not twice per row as
# executemany did (that convoy with the request threads cut req/s by ~15 %).
# Times arrive as Unix epochs and are stored in Django's SQLite text form.
ROWS_PER_INSERT = 100
_COLUMNS = "(time, method, path, status, role, user_id, duration_ms, request_id)"
_ROW = "(strftime('%Y-%m-%d %H:%M:%f', ?, 'unixepoch'), ?, ?, ?, ?, ?, ?, ?)"


def _insert_sql(rows: int) -> str:
    return f"INSERT INTO {TABLE} {_COLUMNS} VALUES " + ", ".join([_ROW] * rows)


_INSERT = _insert_sql(ROWS_PER_INSERT)


# The newest N rows are kept; deleting below the N-th id uses the primary key.
_TRIM = (
    f"DELETE FROM {TABLE} WHERE id <= "
    f"(SELECT id FROM {TABLE} ORDER BY id DESC LIMIT 1 OFFSET ?)"
)


def _write(batch: list[Record]) -> None:
    from database.executor import write_transaction

    with write_transaction() as tx:
        for start in range(0, len(batch), ROWS_PER_INSERT):
            chunk = batch[start : start + ROWS_PER_INSERT]
            sql = _INSERT if len(chunk) == ROWS_PER_INSERT else _insert_sql(len(chunk))
            tx.raw.execute(sql, [value for record in chunk for value in record])
        tx.raw.execute(_TRIM, (settings.REQUEST_LOG_ROWS,))


_writers: PerProcess[Record] = PerProcess(
    lambda: BatchWriter(
        "request-log",
        _write,
        flush_seconds=FLUSH_SECONDS,
        batch_size=BATCH_SIZE,
        buffer_size=BUFFER_SIZE,
    )
)


def is_enabled() -> bool:
    return bool(settings.REQUEST_LOG_ROWS)


def is_logged(path: str) -> bool:
    return path.startswith(LOGGED_PREFIXES)


def record(
    *,
    started: float,
    method: str,
    path: str,
    status: int,
    role: str | None,
    user_id: str | None,
    duration_ms: float,
    request_id: str,
) -> None:
    """Queue one request for the log; never blocks, never raises.

    `path` must be the path alone: query strings may carry `apikey` or tokens.
    """
    _writers.get().add(
        (
            started,
            method[:10],
            path[:2000],
            status,
            role or "",
            user_id or "",
            duration_ms,
            request_id,
        )
    )
