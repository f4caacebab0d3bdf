"""Django's SQLite backend with KoyaLite's SQL functions on every connection.

`koyalite_real(x)` writes a REAL as the shortest text that reads back as the
same double (Python's repr). SQLite's own JSON functions write 15 significant
digits, which reads back as another number (0.30000000000000004 as 0.3, the
largest double as infinity), and its printf is not exact past 15 digits, so
the compiler renders REAL values through this function instead.
"""

from __future__ import annotations

from django.db.backends.sqlite3 import base


def _real_text(value: object) -> object:
    return repr(value) if isinstance(value, float) else value


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        connection.create_function("koyalite_real", 1, _real_text, deterministic=True)
        return connection
