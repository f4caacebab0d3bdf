"""Records written off the request path: buffered in memory, inserted in
batches by a daemon thread. The request log and the functions' invocation
log use it; logging never blocks or fails the request it describes.

The buffer is a deque, not a `queue.Queue`: a Queue wakes its consumer on
every put, and that thread switch per request cost 40 % of `/rest/v1` GET
throughput. Appending to a deque is atomic under the GIL and wakes no one;
the thread wakes every `flush_seconds`, or when `batch_size` records wait.
A full buffer drops records; the thread logs how many.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from django.db import DatabaseError, close_old_connections

from koyalite.logging import get_logger

log = get_logger("koyalite.batch_writer")

T = TypeVar("T")


class BatchWriter(Generic[T]):
    """One process's buffer and the thread draining it into `write`, which
    gets every waiting record (at most `buffer_size`) and stores them."""

    def __init__(
        self,
        name: str,
        write: Callable[[list[T]], None],
        *,
        flush_seconds: float,
        batch_size: int,
        buffer_size: int,
    ) -> None:
        self.name = name
        self._write = write
        self.flush_seconds = flush_seconds
        self.batch_size = batch_size
        self.buffer_size = buffer_size
        self.buffer: deque[T] = deque()
        self.wake = threading.Event()
        self.dropped = 0
        self.thread = threading.Thread(
            target=self._run, name=f"koyalite-{name}", daemon=True
        )
        self.thread.start()

    def add(self, record: T) -> None:
        waiting = len(self.buffer)
        if waiting >= self.buffer_size:
            self.dropped += 1
            return
        self.buffer.append(record)
        if waiting + 1 == self.batch_size:
            self.wake.set()

    def _run(self) -> None:
        while True:
            self.wake.wait(self.flush_seconds)
            self.wake.clear()
            batch = self._take()
            if self.dropped:
                dropped, self.dropped = self.dropped, 0
                log.warning("batch_writer.dropped", writer=self.name, records=dropped)
            if not batch:
                continue
            try:
                self._write(batch)
            except (DatabaseError, sqlite3.Error) as error:
                # A locked or missing table loses this batch, not the server.
                log.warning(
                    "batch_writer.write_failed",
                    writer=self.name,
                    error=str(error),
                    records=len(batch),
                )
                close_old_connections()

    def _take(self) -> list[T]:
        batch: list[T] = []
        # popleft() is atomic: records appended meanwhile wait for the next turn.
        with contextlib.suppress(IndexError):
            for _ in range(self.buffer_size):
                batch.append(self.buffer.popleft())
        return batch


class PerProcess(Generic[T]):
    """A `BatchWriter` made on first use in each process.

    A forked worker inherits the parent's writer without its thread (and its
    records are the parent's to write), so the child makes its own. A fork
    hook, not a pid check per record: `os.getpid()` is a system call.
    """

    def __init__(self, make: Callable[[], BatchWriter[T]]) -> None:
        self._make = make
        self._writer: BatchWriter[T] | None = None
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._writer = None
        self._lock = threading.Lock()

    def get(self) -> BatchWriter[T]:
        writer = self._writer
        if writer is None:
            with self._lock:
                writer = self._writer
                if writer is None:
                    writer = self._writer = self._make()
        return writer
