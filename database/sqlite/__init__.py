"""KoyaLite's SQLite database backend: Django's, plus the SQL functions the
query compiler relies on (see `base.py`)."""
