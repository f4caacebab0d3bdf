from django.apps import AppConfig


class KoyaLiteConfig(AppConfig):
    name = "koyalite"
    verbose_name = "KoyaLite"

    def ready(self) -> None:
        from koyalite import checks  # noqa: F401  (registers system checks)
        from koyalite import logging as koyalite_logging

        koyalite_logging.configure()
        _keep_sqlite_connections()


def _keep_sqlite_connections() -> None:
    """Skip Django's per-request connection sweep on SQLite.

    `close_old_connections` runs twice per request to drop connections that
    are broken or past CONN_MAX_AGE. A SQLite connection is a file handle
    that neither breaks nor expires here (CONN_MAX_AGE is None), and the sweep
    cost a tenth of a small API request. What it still guards against — a
    transaction left open by a failed request — is checked by
    `end_abandoned_transaction` instead.
    """
    from django.core import signals
    from django.db import close_old_connections, connection

    if connection.vendor != "sqlite":
        return
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.request_finished.connect(end_abandoned_transaction)


def end_abandoned_transaction(**kwargs) -> None:
    from django.db import connection

    raw = connection.connection
    if raw is not None and raw.in_transaction and not connection.in_atomic_block:
        raw.rollback()
