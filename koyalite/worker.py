"""The worker: a django-q2 cluster that runs jobs, and a loop that hands them out.

The cluster (its own processes) takes jobs from the queue — the project's
database, or Redis — and runs them; a job whose process died is handed out
again by the queue. This process ticks meanwhile: each of
`settings.WORKER_TICKS` looks for work that is due (new change events to fan
out as webhook deliveries, retries whose time has come, ...) and queues it.
What a tick finds lives in status rows of its own app, so a tick that runs
twice, or in two workers at once, queues nothing twice.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from importlib import import_module

from django.conf import settings
from django.db import close_old_connections, connections

from koyalite.logging import get_logger

log = get_logger("koyalite.worker")


def ticks() -> list[Callable[[], None]]:
    found = []
    for path in settings.WORKER_TICKS:
        module, name = path.rsplit(".", 1)
        found.append(getattr(import_module(module), name))
    return found


def tick_once(functions: list[Callable[[], None]] | None = None) -> None:
    """Run every tick once; one that fails is logged, the others still run."""
    for function in functions if functions is not None else ticks():
        try:
            function()
        except Exception:
            log.exception("worker.tick_failed", tick=function.__qualname__)
            close_old_connections()


def run(*, parent_pid: int | None = None) -> None:
    """Run the cluster and tick until SIGTERM/SIGINT, or until `parent_pid`
    (`koyalite serve`) is gone."""
    from django_q.cluster import Cluster

    stop = threading.Event()
    # The cluster forks its processes from here: they must not share this
    # process's SQLite connections.
    connections.close_all()
    cluster = Cluster()
    # Cluster() took SIGTERM/SIGINT for itself. Its handler joins the
    # sentinel from inside the signal handler, which hangs or fails when the
    # signal comes while the cluster is still starting; the loop below stops
    # the cluster instead, once it has started.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    cluster.start()
    log.info("worker.started", processes=settings.WORKER_PROCESSES)
    functions = ticks()
    interval = settings.WORKER_TICK_MS / 1000
    try:
        while not stop.is_set():
            if parent_pid is not None and os.getppid() != parent_pid:
                break  # the server went away without telling us
            if not cluster.sentinel.is_alive():
                log.error("worker.cluster_died")
                break
            started = time.monotonic()
            tick_once(functions)
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
    finally:
        cluster.stop()
        log.info("worker.stopped")
