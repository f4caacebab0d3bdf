"""WAL checkpoints in the background of a serving process, not in a request.

SQLite's automatic checkpoint runs inside the COMMIT that fills the WAL past
1,000 pages: that request copies the pages into the database file and syncs
it while holding the write lock, and every queued writer waits behind it.
Under a refresh load that cost a quarter of the throughput. A serving process
turns the automatic checkpoint off on its connections and runs a PASSIVE
checkpoint (which never blocks readers or writers) from a thread instead.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time

from django.db import connection
from django.db.backends.signals import connection_created

from koyalite.logging import get_logger

INTERVAL_SECONDS = 1.0

log = get_logger("koyalite.database")
_started_in: int | None = None  # the pid: a forked worker starts its own


def start() -> None:
    """Checkpoint from a daemon thread of this process from now on."""
    global _started_in
    if connection.vendor != "sqlite" or _started_in == os.getpid():
        return
    _started_in = os.getpid()
    path = connection.settings_dict["NAME"]
    connection_created.connect(_no_autocheckpoint, dispatch_uid=__name__)
    if connection.connection is not None:
        connection.connection.execute("PRAGMA wal_autocheckpoint=0")
    threading.Thread(
        target=_checkpoint_forever,
        args=(str(path),),
        name="wal-checkpoint",
        daemon=True,
    ).start()


def _no_autocheckpoint(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.execute("PRAGMA wal_autocheckpoint=0")


def _checkpoint_forever(path: str) -> None:
    db = sqlite3.connect(path, timeout=0, check_same_thread=False)
    while True:
        time.sleep(INTERVAL_SECONDS)
        try:
            # Another process's checkpoint in progress answers "busy": fine,
            # that one is doing the work.
            db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                log.warning("database.checkpoint_failed", error=str(error))
