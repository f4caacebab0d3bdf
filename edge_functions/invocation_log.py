"""The invocation log's writer: one row per call, written off the hot path.

`record()` hands the call to the process's `BatchWriter`, whose thread writes
every second through the write lock and trims the table to the newest
`KOYALITE_FUNCTIONS_LOG_ROWS` rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from koyalite.batch_writer import BatchWriter, PerProcess

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


def _write(batch: list[Record]) -> None:
    from database.executor import write_transaction

    with write_transaction() as tx:
        for record in batch:
            tx.raw.execute(_INSERT, record.row())
        tx.raw.execute(_TRIM, (settings.FUNCTIONS_LOG_ROWS,))


_writers: PerProcess[Record] = PerProcess(
    lambda: BatchWriter(
        "functions-log",
        _write,
        flush_seconds=FLUSH_SECONDS,
        batch_size=BUFFER_SIZE,
        buffer_size=BUFFER_SIZE,
    )
)


def record(entry: Record) -> None:
    """Queue one invocation for the log; never blocks, never raises."""
    if settings.FUNCTIONS_LOG_ROWS:
        _writers.get().add(entry)
