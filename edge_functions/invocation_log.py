"""The invocation log's writer: one row per call, written off the hot path.

`record()` appends to an in-memory buffer and returns; a daemon thread per
server process writes the buffer every second through the write lock and
trims the table to the newest `KOYALITE_FUNCTIONS_LOG_ROWS` rows. Logging
never blocks or fails a call; a full buffer drops records and counts them.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, close_old_connections

from koyalite.logging import get_logger

log = get_logger("koyalite.functions")

TABLE = "functions_invocations"
FLUSH_SECONDS = 1.0
BUFFER_SIZE = 10_000
_INSERT = (
    f"INSERT INTO {TABLE} (function, started_at, method, path, status, "
    "duration_ms, memory_kb, cold_start, error, output, request_id, source) "
    "VALUES (?, strftime('%Y-%m-%d %H:%M:%f', ?, 'unixepoch'), ?, ?, ?, ?, ?, ?, "
    "?, ?, ?, ?)"
)
_TRIM = (
    f"DELETE FROM {TABLE} WHERE id <= "
    f"(SELECT id FROM {TABLE} ORDER BY id DESC LIMIT 1 OFFSET ?)"
)


@dataclass(frozen=True, slots=True)
class Record:
    function: str
    started: float  # Unix time
    method: str
    path: str
    status: int
    duration_ms: float
    memory_kb: int | None
    cold_start: bool
    error: str
    # Text, or a function giving it when the record is written: a process's
    # output reaches KoyaLite through a pipe a moment after the response.
    output: str | Callable[[], str]
    request_id: str
    source: str

    def row(self) -> tuple:
        return (
            self.function,
            self.started,
            self.method[:16],
            self.path[:1024],
            self.status,
            self.duration_ms,
            self.memory_kb,
            self.cold_start,
            self.error,
            self.output if isinstance(self.output, str) else self.output(),
            self.request_id[:128],
            self.source,
        )


class _Writer:
    def __init__(self) -> None:
        self.buffer: deque[Record] = deque()
        self.dropped = 0
        self.thread = threading.Thread(
            target=self._run, name="koyalite-functions-log", daemon=True
        )
        self.thread.start()

    def add(self, record: Record) -> None:
        if len(self.buffer) >= BUFFER_SIZE:
            self.dropped += 1
            return
        self.buffer.append(record)

    def _run(self) -> None:
        while True:
            time.sleep(FLUSH_SECONDS)
            batch: list[Record] = []
            with contextlib.suppress(IndexError):
                while True:
                    batch.append(self.buffer.popleft())
            if not batch:
                continue
            try:
                self._write(batch)
            except (DatabaseError, sqlite3.Error) as error:
                log.warning(
                    "function_log.write_failed", error=str(error), records=len(batch)
                )
                close_old_connections()

    def _write(self, batch: list[Record]) -> None:
        from database.executor import write_transaction

        with write_transaction() as tx:
            for record in batch:
                tx.raw.execute(_INSERT, record.row())
            tx.raw.execute(_TRIM, (settings.FUNCTIONS_LOG_ROWS,))


_writer: _Writer | None = None
_writer_lock = threading.Lock()


def _forget_writer() -> None:
    global _writer, _writer_lock
    _writer = None
    _writer_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_writer)


def record(entry: Record) -> None:
    """Queue one invocation for the log; never blocks, never raises."""
    global _writer
    if not settings.FUNCTIONS_LOG_ROWS:
        return
    writer = _writer
    if writer is None:
        with _writer_lock:
            writer = _writer
            if writer is None:
                writer = _writer = _Writer()
    writer.add(entry)
