"""WAL checkpoints run in a background thread, not in the COMMIT of a request."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from database import checkpoint
from database.executor import raw_connection

pytestmark = pytest.mark.django_db(transaction=True)

PAGE = 4096


def test_commits_leave_the_wal_to_the_checkpoint_thread() -> None:
    checkpoint.start()
    raw = raw_connection()
    assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    database = Path(raw.execute("PRAGMA database_list").fetchone()[2])
    raw.execute("CREATE TABLE checkpoint_probe (blob BLOB)")
    try:
        before = database.stat().st_size
        # 1,500 new pages: past the 1,000 at which SQLite's own checkpoint
        # runs. Free pages (earlier tests dropped tables) are filled first.
        free = raw.execute("PRAGMA freelist_count").fetchone()[0]
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany(
            "INSERT INTO checkpoint_probe VALUES (?)",
            [(os.urandom(PAGE - 100),) for _ in range(1_500 + free)],
        )
        raw.execute("COMMIT")
        # The pages reach the database file only through the thread.
        deadline = time.monotonic() + checkpoint.INTERVAL_SECONDS * 15
        while database.stat().st_size < before + 1_500 * PAGE:
            assert time.monotonic() < deadline, "the checkpoint thread did not run"
            time.sleep(0.05)
    finally:
        raw.execute("DROP TABLE checkpoint_probe")


def test_every_new_connection_of_the_process_leaves_checkpoints_alone() -> None:
    checkpoint.start()
    seen: list[int] = []

    def other_thread() -> None:
        seen.append(raw_connection().execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        connection.close()

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join()
    assert seen == [0]


def test_start_is_once_per_process() -> None:
    checkpoint.start()
    checkpoint.start()
    names = [t.name for t in threading.enumerate()]
    assert names.count("wal-checkpoint") == 1
