"""Time limits on SQLite work run for an operator: the Studio's grid, counts
and policy tester, and scripts from its SQL and schema editors.

SQLite calls a progress handler every N virtual-machine steps; returning true
interrupts the statement, as Datasette's `sqlite_timelimit` does. Work over
its limit stops with a clear error instead of holding a server thread and,
for a write, the database's single writer.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from database.executor import raw_connection
from koyalite.errors import KoyaError

# Virtual-machine steps between checks of the clock: SQLite runs about 100
# a microsecond here, so a check every half millisecond or so. Each check
# takes the GIL; checked more often, a statement on one thread waits on the
# Python work of the others (1,000 steps cost GraphQL reads a tenth of their
# throughput under concurrency).
STEPS = 50_000


class QueryTooSlow(KoyaError):
    status = 504
    code = "KL504"

    def __init__(self, limit_ms: int, advice: str = "") -> None:
        message = f"the query took too long (more than {limit_ms} ms) and was stopped"
        super().__init__(message + (f"; {advice}" if advice else ""))
        self.limit_ms = limit_ms


@contextmanager
def deadline(
    limit_ms: int, raw: sqlite3.Connection | None = None
) -> Iterator[Callable[[], bool]]:
    """Interrupt SQLite work on `raw` (this thread's connection by default)
    once `limit_ms` have passed; yield a function telling whether they have."""
    raw = raw or raw_connection()
    end = time.monotonic() + limit_ms / 1000

    def passed() -> bool:
        return time.monotonic() > end

    raw.set_progress_handler(lambda: int(passed()), STEPS)
    try:
        yield passed
    finally:
        raw.set_progress_handler(None, 0)


@contextmanager
def time_limit(
    limit_ms: int, advice: str = "", raw: sqlite3.Connection | None = None
) -> Iterator[None]:
    """`deadline`, with the work it interrupted raised as `QueryTooSlow`."""
    with deadline(limit_ms, raw) as passed:
        try:
            yield
        except (sqlite3.OperationalError, KoyaError) as error:
            if passed() and "interrupted" in str(error):
                raise QueryTooSlow(limit_ms, advice) from None
            raise
