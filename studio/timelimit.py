"""A time limit for the queries the Studio runs on an operator's behalf.

SQLite's progress handler is called every N virtual-machine steps; returning
true interrupts the statement, as Datasette's `sqlite_timelimit` does. A
query over the limit raises `QueryTooSlow` instead of holding a server thread.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from koyalite.errors import KoyaError

# Steps between checks of the clock: often enough to stop within a
# millisecond or so, rarely enough to cost nothing measurable.
_STEPS = 1000


class QueryTooSlow(KoyaError):
    status = 504
    code = "KL504"

    def __init__(self, limit_ms: int) -> None:
        super().__init__(f"The query took too long (more than {limit_ms} ms).")


@contextmanager
def time_limit(raw: sqlite3.Connection, limit_ms: int) -> Iterator[None]:
    """Interrupt any statement run on `raw` inside the block after `limit_ms`."""
    deadline = time.monotonic() + limit_ms / 1000
    raw.set_progress_handler(lambda: time.monotonic() > deadline, _STEPS)
    try:
        yield
    except sqlite3.OperationalError as error:
        if "interrupted" in str(error):
            raise QueryTooSlow(limit_ms) from None
        raise
    finally:
        raw.set_progress_handler(None, 0)
