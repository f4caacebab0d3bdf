"""Settings for the test suite: a throwaway project directory and secret."""

import os
import tempfile

os.environ.setdefault(
    "KOYALITE_JWT_SECRET", "test-secret-0123456789abcdef0123456789abcdef"
)
os.environ.setdefault("KOYALITE_PROJECT_DIR", tempfile.mkdtemp(prefix="koyalite-test-"))

from koyalite.settings import *  # noqa: E402,F403
from koyalite.settings import DATABASES, PROJECT_DIR  # noqa: E402

# A real file, not Django's default in-memory test database: WAL, locking and
# schema_version behave as they do in production only on a file.
DATABASES["default"]["TEST"] = {"NAME": str(PROJECT_DIR / "test.sqlite3")}

# In-process tests share one database with the test's transaction: no
# background writer. Live servers (their own processes) keep the default.
REQUEST_LOG_ROWS = 0
