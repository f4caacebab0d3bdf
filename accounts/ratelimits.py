"""Per-IP and per-address request limits on the auth endpoints (GoTrue's).

Counters live in the database, not in process memory, because several server
processes answer requests and each would otherwise grant the full limit.
One fixed five-minute window per (bucket, key), updated by a single UPSERT.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.db import connection

from accounts.errors import OverRequestRateLimit
from accounts.models import RateLimitWindow

WINDOW_SECONDS = 300


def hit(bucket: str, *keys: str | None) -> None:
    """Count one request against each key; over the limit → 429."""
    limit = settings.AUTH_RATE_LIMITS[bucket]
    if not limit:
        return
    window = int(time.time()) // WINDOW_SECONDS * WINDOW_SECONDS
    table = connection.ops.quote_name(RateLimitWindow._meta.db_table)
    with connection.cursor() as cursor:
        for key in keys:
            if not key:
                continue
            # Addresses are hashed: the table need not hold who tried to sign in.
            digest = hashlib.sha256(key.lower().encode()).hexdigest()
            cursor.execute(
                f"INSERT INTO {table} (bucket, key, window_start, hits) VALUES (%s, %s, %s, 1) "
                "ON CONFLICT (bucket, key) DO UPDATE SET "
                "hits = CASE WHEN window_start = excluded.window_start THEN hits + 1 ELSE 1 END, "
                "window_start = excluded.window_start RETURNING hits",
                [bucket, digest, window],
            )
            if cursor.fetchone()[0] > limit:
                raise OverRequestRateLimit(
                    f"Request rate limit reached: at most {limit} requests in 5 minutes"
                )
