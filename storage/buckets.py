"""Bucket operations of `/storage/v1/bucket`: reads under the caller's policies
on `storage.buckets`, writes for the service role only."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from accounts.keys import Auth
from database.executor import raw_connection, write_transaction
from database.schema import STORAGE_BUCKETS_TABLE as BUCKETS
from database.schema import STORAGE_OBJECTS_TABLE as OBJECTS
from storage import errors, images
from storage.blobs import blob_store
from storage.names import blob_key, check_bucket_id
from storage.objects import whole_number
from storage.records import (
    BUCKET_SORTABLE,
    NOW,
    Buckets,
    bucket_or_404,
    find_bucket,
)

_SIZE = re.compile(r"(\d+)\s*(b|kb|mb|gb|tb)?", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3, "tb": 1024**4}


def require_service_role(auth: Auth) -> None:
    if auth.role != "service_role":
        raise errors.access_denied("Only the service role may change buckets")


def list_buckets(auth: Auth, query: Mapping[str, str]) -> list[dict[str, Any]]:
    """The buckets the caller may see, with the query string's `search`,
    `limit`, `offset`, `sortColumn` and `sortOrder` that supabase-js sends."""
    limit = query.get("limit")
    column = query.get("sortColumn") or "name"
    # Supabase's schema takes the lower-case words only.
    order = query.get("sortOrder") or "asc"
    if column not in BUCKET_SORTABLE:
        raise errors.invalid_request(
            f"sortColumn must be one of {', '.join(BUCKET_SORTABLE)}"
        )
    if order not in ("asc", "desc"):
        raise errors.invalid_request("sortOrder must be asc or desc")
    rows = Buckets(auth).list(
        search=query.get("search", ""),
        limit=None if limit is None else whole_number(limit, "limit", 1, None),
        offset=whole_number(query.get("offset", "0"), "offset", 0, None),
        sort_column=column,
        descending=order == "desc",
    )
    return [bucket.as_json() for bucket in rows]


# Folders exist as placeholder objects (Supabase's dashboard's way); they are
# not files a bucket's usage counts.
FOLDER_PLACEHOLDER = ".emptyFolderPlaceholder"


def bucket_usage(auth: Auth) -> dict[str, tuple[int, int]]:
    """Each bucket's file count and total size in bytes, for operators: one
    scan of `storage.objects`, so a caller with many objects bounds its time."""
    require_service_role(auth)
    suffix = "/" + FOLDER_PLACEHOLDER
    rows = raw_connection().execute(
        "SELECT bucket_id, count(*), "
        "coalesce(sum(json_extract(metadata, '$.size')), 0) "
        f"FROM {OBJECTS} WHERE name <> ? AND substr(name, ?) <> ? GROUP BY bucket_id",
        (FOLDER_PLACEHOLDER, -len(suffix), suffix),
    )
    return {bucket_id: (count, int(size)) for bucket_id, count, size in rows}


def get_bucket(auth: Auth, bucket_id: str) -> dict[str, Any]:
    return Buckets(auth).get(bucket_id).as_json()


def create_bucket(auth: Auth, body: dict[str, Any]) -> str:
    require_service_role(auth)
    bucket_id = check_bucket_id(body.get("id") or body.get("name"))
    name = body.get("name") or bucket_id
    if not isinstance(name, str):
        raise errors.invalid_bucket_name("name must be a string")
    options = _options(body, defaults=True)
    with write_transaction() as tx:
        if tx.raw.execute(
            f"SELECT 1 FROM {BUCKETS} WHERE id = ? OR name = ?", (bucket_id, name)
        ).fetchone():
            raise errors.bucket_already_exists()
        tx.raw.execute(
            f"INSERT INTO {BUCKETS} (id, name, owner, public, file_size_limit, "
            "allowed_mime_types) VALUES (?, ?, ?, ?, ?, ?)",
            (bucket_id, name, auth.uid or "", *options.values()),
        )
    return bucket_id


def update_bucket(auth: Auth, bucket_id: str, body: dict[str, Any]) -> None:
    require_service_role(auth)
    options = _options(body, defaults=False)
    with write_transaction() as tx:
        if find_bucket(bucket_id) is None:
            raise errors.no_such_bucket()
        if options:
            assignments = ", ".join(f"{column} = ?" for column in options)
            tx.raw.execute(
                f"UPDATE {BUCKETS} SET {assignments}, updated_at = {NOW} WHERE id = ?",
                (*options.values(), bucket_id),
            )


def empty_bucket(auth: Auth, bucket_id: str) -> None:
    """Delete every object of the bucket: rows in one transaction, then bytes."""
    require_service_role(auth)
    bucket_or_404(bucket_id)
    with write_transaction() as tx:
        versions = [
            version
            for (version,) in tx.raw.execute(
                f"DELETE FROM {OBJECTS} WHERE bucket_id = ? RETURNING version",
                (bucket_id,),
            ).fetchall()
        ]
    store = blob_store()
    for version in versions:
        store.delete(blob_key(bucket_id, version))
        images.forget(bucket_id, version)


def delete_bucket(auth: Auth, bucket_id: str) -> None:
    require_service_role(auth)
    with write_transaction() as tx:
        if find_bucket(bucket_id) is None:
            raise errors.no_such_bucket()
        if tx.raw.execute(
            f"SELECT 1 FROM {OBJECTS} WHERE bucket_id = ? LIMIT 1", (bucket_id,)
        ).fetchone():
            raise errors.bucket_not_empty()
        tx.raw.execute(f"DELETE FROM {BUCKETS} WHERE id = ?", (bucket_id,))


def _options(body: dict[str, Any], *, defaults: bool) -> dict[str, object]:
    """The columns a create or update body sets, checked; with `defaults`, all
    of them (a create)."""
    options: dict[str, object] = {}
    if "public" in body or defaults:
        public = body.get("public", False)
        if not isinstance(public, bool):
            raise errors.invalid_request("public must be true or false")
        options["public"] = public
    if "file_size_limit" in body or defaults:
        options["file_size_limit"] = parse_size(body.get("file_size_limit"))
    if "allowed_mime_types" in body or defaults:
        types = body.get("allowed_mime_types")
        if types is not None and (
            not isinstance(types, list)
            or not all(isinstance(t, str) and "/" in t for t in types)
        ):
            raise errors.invalid_request(
                "allowed_mime_types must be a list of types such as image/png or image/*"
            )
        options["allowed_mime_types"] = orjson.dumps(types).decode() if types else None
    return options


def parse_size(value: object) -> int | None:
    """A size as a number of bytes or as Supabase writes it: `20MB`, `30KB`."""
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, bool):
        raise errors.invalid_request("file_size_limit must be a size")
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and (match := _SIZE.fullmatch(value.strip())):
        return int(match.group(1)) * _UNITS[(match.group(2) or "b").lower()]
    raise errors.invalid_request(
        "Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B"
    )
