"""The request log's writer: API requests recorded off the hot path.

`record()` is called by `RequestLogMiddleware` once per API request. It puts a
small tuple on an in-memory queue and returns; a daemon thread per process
drains the queue and inserts in batches (every ~0.5 s or 200 records) through
`database.executor.write_transaction`, the write-lock path every writer takes,
then trims the table to the newest `KOYALITE_REQUEST_LOG_ROWS` rows. A full
queue drops the record and counts it: logging never blocks or fails a request.
"""

from __future__ import annotations

import os
import queue
import sqlite3
import threading
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import DatabaseError, close_old_connections

from koyalite.logging import get_logger

log = get_logger("koyalite.request_log")

# Only the APIs' requests are logged; Studio pages and static files are not.
LOGGED_PREFIXES = ("/rest/", "/auth/", "/storage/", "/functions/", "/graphql/")
TABLE = "koyalite_request_log"
BATCH_SIZE = 200
FLUSH_SECONDS = 0.5
# Enough for several seconds of peak load; beyond it records are dropped.
QUEUE_SIZE = 20_000

Record = tuple[float, str, str, int, str, str, float, str]

_INSERT = (
    f"INSERT INTO {TABLE} "
    "(time, method, path, status, role, user_id, duration_ms, request_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
# The newest N rows are kept; deleting below the N-th id uses the primary key.
_TRIM = (
    f"DELETE FROM {TABLE} WHERE id <= "
    f"(SELECT id FROM {TABLE} ORDER BY id DESC LIMIT 1 OFFSET ?)"
)


class _Writer:
    """This process's queue and the thread draining it."""

    def __init__(self) -> None:
        self.queue: queue.Queue[Record] = queue.Queue(maxsize=QUEUE_SIZE)
        self.dropped = 0
        self.written = 0
        self.pid = os.getpid()
        self.thread = threading.Thread(
            target=self._run, name="koyalite-request-log", daemon=True
        )
        self.thread.start()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            try:
                self._write(batch)
            except (DatabaseError, sqlite3.Error) as error:
                # A locked or missing table loses this batch, not the server.
                log.warning(
                    "request_log.write_failed", error=str(error), records=len(batch)
                )
                close_old_connections()

    def _next_batch(self) -> list[Record]:
        batch = [self.queue.get()]  # sleeps until there is something to write
        deadline = time.monotonic() + FLUSH_SECONDS
        while len(batch) < BATCH_SIZE:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self.queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _write(self, batch: list[Record]) -> None:
        from database.executor import write_transaction

        keep = settings.REQUEST_LOG_ROWS
        rows = [(_timestamp(r[0]), *r[1:]) for r in batch]
        with write_transaction() as tx:
            tx.raw.executemany(_INSERT, rows)
            tx.raw.execute(_TRIM, (keep,))
        self.written += len(batch)


def _timestamp(epoch: float) -> str:
    # Django's SQLite text form of an aware datetime, stored in UTC.
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_writer: _Writer | None = None
_writer_lock = threading.Lock()


def _current_writer() -> _Writer:
    global _writer
    writer = _writer
    # A forked worker inherits the object but not the thread: start its own.
    if writer is None or writer.pid != os.getpid():
        with _writer_lock:
            writer = _writer
            if writer is None or writer.pid != os.getpid():
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
    writer = _current_writer()
    try:
        writer.queue.put_nowait(
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
    except queue.Full:
        writer.dropped += 1


def stats() -> dict[str, int]:
    """This process's writer counters (records written, dropped, waiting)."""
    writer = _writer
    if writer is None or writer.pid != os.getpid():
        return {"written": 0, "dropped": 0, "queued": 0}
    return {
        "written": writer.written,
        "dropped": writer.dropped,
        "queued": writer.queue.qsize(),
    }
