"""Django's SQLite backend with KoyaLite's SQL functions on every connection
(`functions.py`): the compiler's SQL calls them. Each connection also gets
the outbox's triggers (`database.outbox`)."""

from __future__ import annotations

from django.db.backends.sqlite3 import base

from database import outbox
from database.sqlite import functions


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        functions.register(connection)
        outbox.prepare(connection)
        outbox.ensure(connection, self.settings_dict["NAME"])
        return connection
