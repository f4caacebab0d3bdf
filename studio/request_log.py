"""The request log's writer: API requests recorded off the hot path.

`record()` is called by `RequestLogMiddleware` once per API request. It puts a
small tuple in an in-memory buffer and returns; a daemon thread per process
drains the buffer and inserts in batches (every ~2 s or 2,000 records) through
`database.executor.write_transaction`, the write-lock path every writer takes,
then trims the table to the newest `KOYALITE_REQUEST_LOG_ROWS` rows. A full
buffer drops the record and counts it: logging never blocks or fails a request.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections import deque

from django.conf import settings
from django.db import DatabaseError, close_old_connections

from koyalite.logging import get_logger

log = get_logger("koyalite.request_log")

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


class _Writer:
    """This process's buffer and the thread draining it.

    The buffer is a deque, not a `queue.Queue`: a Queue wakes its consumer on
    every put, and that thread switch per request cost 40 % of `/rest/v1`
    GET throughput. Appending to a deque is atomic under the GIL and wakes no
    one; the thread wakes every FLUSH_SECONDS, or when BATCH_SIZE records wait.
    """

    def __init__(self) -> None:
        self.buffer: deque[Record] = deque()
        self.wake = threading.Event()
        self.dropped = 0
        self.written = 0
        self.thread = threading.Thread(
            target=self._run, name="koyalite-request-log", daemon=True
        )
        self.thread.start()

    def add(self, record: Record) -> None:
        waiting = len(self.buffer)
        if waiting >= BUFFER_SIZE:
            self.dropped += 1
            return
        self.buffer.append(record)
        if waiting + 1 == BATCH_SIZE:
            self.wake.set()

    def _run(self) -> None:
        while True:
            self.wake.wait(FLUSH_SECONDS)
            self.wake.clear()
            batch = self._take()
            if not batch:
                continue
            try:
                self._write(batch)
            except (DatabaseError, sqlite3.Error) as error:
                # A locked or missing table loses this batch, not the server.
                log.warning(
                    "request_log.write_failed", error=str(error), records=len(batch)
                )
                close_old_connections()

    def _take(self) -> list[Record]:
        batch = []
        # popleft() is atomic: records appended meanwhile wait for the next turn.
        with contextlib.suppress(IndexError):
            for _ in range(BUFFER_SIZE):
                batch.append(self.buffer.popleft())
        return batch

    def _write(self, batch: list[Record]) -> None:
        from database.executor import write_transaction

        with write_transaction() as tx:
            for start in range(0, len(batch), ROWS_PER_INSERT):
                chunk = batch[start : start + ROWS_PER_INSERT]
                sql = (
                    _INSERT
                    if len(chunk) == ROWS_PER_INSERT
                    else _insert_sql(len(chunk))
                )
                tx.raw.execute(sql, [value for record in chunk for value in record])
            tx.raw.execute(_TRIM, (settings.REQUEST_LOG_ROWS,))
        self.written += len(batch)


_writer: _Writer | None = None
_writer_lock = threading.Lock()


def _forget_writer() -> None:
    """In a forked worker: the inherited writer has no thread (and its records
    are the parent's to write), so the child starts its own on first use.

    A fork hook, not a pid check per request: `os.getpid()` is a system call.
    """
    global _writer, _writer_lock
    _writer = None
    _writer_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_writer)


def _current_writer() -> _Writer:
    global _writer
    writer = _writer
    if writer is None:
        with _writer_lock:
            writer = _writer
            if writer is None:
                writer = _writer = _Writer()
    return writer


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
    _current_writer().add(
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


def stats() -> dict[str, int]:
    """This process's writer counters (records written, dropped, waiting)."""
    writer = _writer
    if writer is None:
        return {"written": 0, "dropped": 0, "queued": 0}
    return {
        "written": writer.written,
        "dropped": writer.dropped,
        "queued": len(writer.buffer),
    }
