"""Per-IP and per-address request limits on the auth endpoints (GoTrue's).

Counters live in the database, not in process memory, because several server
processes answer requests and each would otherwise grant the full limit.
One fixed five-minute window per (bucket, key), updated by a single UPSERT.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings

from accounts.errors import OverRequestRateLimit
from accounts.models import RateLimitWindow
from database.executor import write_transaction

WINDOW_SECONDS = 300
_COUNT = f"""INSERT INTO "{RateLimitWindow._meta.db_table}" (bucket, key, window_start, hits)
    VALUES (?, ?, ?, 1) ON CONFLICT (bucket, key) DO UPDATE SET
    hits = CASE WHEN window_start = excluded.window_start THEN hits + 1 ELSE 1 END,
    window_start = excluded.window_start RETURNING hits"""


def hit(bucket: str, *keys: str | None) -> None:
    """Count one request against each key; over the limit → 429."""
    limit = settings.AUTH_RATE_LIMITS[bucket]
    if not limit:
        return
    window = int(time.time()) // WINDOW_SECONDS * WINDOW_SECONDS
    counts = []
    # Behind the write lock like every write: a write outside it would wait
    # in SQLite's busy handler, sleeping, whenever a refresh held the lock.
    with write_transaction() as tx:
        for key in keys:
            if key:
                # Addresses are hashed: the table need not hold who tried.
                digest = hashlib.sha256(key.lower().encode()).hexdigest()
                row = tx.raw.execute(_COUNT, (bucket, digest, window)).fetchone()
                counts.append(row[0])
    if any(count > limit for count in counts):
        raise OverRequestRateLimit(
            f"Request rate limit reached: at most {limit} requests in 5 minutes"
        )
