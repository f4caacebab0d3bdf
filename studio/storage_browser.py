"""What the Storage page shows: buckets with their usage, one page of a
folder, one object's details and the URLs to share it by.

Operators act as the service role through `storage`'s own services, as a
service key does on `/storage/v1`; nothing here checks names, limits or
policies a second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from accounts.keys import SERVICE
from database.timelimit import QueryTooSlow, time_limit
from storage import buckets, objects
from storage.buckets import FOLDER_PLACEHOLDER
from storage.names import check_object_name
from storage.records import BucketRow, bucket_or_404
from studio.project_info import api_url

DEFAULT_PER_PAGE = 100
# One more than a page is asked for, to know whether another page follows.
MAX_PER_PAGE = objects.MAX_LIST - 1
USAGE_TIME_LIMIT_MS = 1000
TEXT_PREVIEW_BYTES = 100 * 1024
_TEXT_TYPES = {
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-ndjson",
    "application/sql",
    "application/yaml",
}


def list_buckets() -> list[dict[str, Any]]:
    """Every bucket, with `files` and `size` (None when counting took over a
    second: a page must not wait on a scan of millions of objects)."""
    rows = buckets.list_buckets(SERVICE, {})
    try:
        with time_limit(USAGE_TIME_LIMIT_MS):
            usage: dict[str, tuple[int, int]] | None = buckets.bucket_usage(SERVICE)
    except QueryTooSlow:
        usage = None
    for row in rows:
        if usage is None:
            row["files"] = row["size"] = None
        else:
            row["files"], row["size"] = usage.get(row["id"], (0, 0))
    return rows


def folder_path(path: str) -> str:
    """`path` as a folder prefix: empty for the bucket's top, else a valid
    object name ending in `/`."""
    path = path.strip("/")
    return check_object_name(path) + "/" if path else ""


def breadcrumbs(path: str) -> list[dict[str, str]]:
    """Each folder from the top down to `path`, with the prefix it opens."""
    crumbs, prefix = [], ""
    for segment in path.split("/")[:-1]:
        prefix += segment + "/"
        crumbs.append({"name": segment, "path": prefix})
    return crumbs


@dataclass(frozen=True, slots=True)
class FolderPage:
    bucket: BucketRow
    path: str
    search: str
    page: int
    per_page: int
    entries: list[dict[str, Any]]
    has_more: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket.as_json(),
            "path": self.path,
            "breadcrumbs": breadcrumbs(self.path),
            "search": self.search,
            "page": self.page,
            "per_page": self.per_page,
            "entries": self.entries,
            "has_more": self.has_more,
        }


def folder_page(bucket_id: str, query: Mapping[str, str]) -> FolderPage:
    """One page of the folder `query["path"]`, names starting with
    `query["search"]`, folders and files by name as `/object/list` returns
    them, read a page at a time from the database."""
    bucket = bucket_or_404(bucket_id)
    path = folder_path(query.get("path", ""))
    search = query.get("search", "")
    page = objects.whole_number(query.get("page", "1"), "page", 1, None)
    per_page = objects.whole_number(
        query.get("per_page", str(DEFAULT_PER_PAGE)), "per_page", 1, MAX_PER_PAGE
    )
    listed = objects.list_objects(
        SERVICE,
        bucket_id,
        {
            "prefix": path,
            "search": search,
            "limit": per_page + 1,
            "offset": (page - 1) * per_page,
        },
    )
    entries = [
        _entry(path, item)
        for item in listed[:per_page]
        if item["name"] != FOLDER_PLACEHOLDER
    ]
    return FolderPage(
        bucket, path, search, page, per_page, entries, len(listed) > per_page
    )


def _entry(path: str, item: dict[str, Any]) -> dict[str, Any]:
    if item["id"] is None:
        return {
            "name": item["name"],
            "path": path + item["name"] + "/",
            "is_folder": True,
        }
    metadata = item["metadata"] or {}
    return {
        "name": item["name"],
        "path": path + item["name"],
        "is_folder": False,
        "id": item["id"],
        "size": metadata.get("size"),
        "content_type": metadata.get("mimetype"),
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
    }


def object_details(bucket_id: str, name: str) -> dict[str, Any]:
    """`objects.info` of the object, how the page may preview it, and its
    public URL when its bucket is public."""
    bucket = bucket_or_404(bucket_id)
    details = objects.info(objects.find_for_read(SERVICE, bucket_id, name))
    details["preview"] = preview_kind(details["content_type"], details["size"])
    details["public_url"] = public_url(bucket_id, name) if bucket.public else None
    return details


def preview_kind(content_type: str | None, size: int | None) -> str | None:
    """`image`, `pdf`, `text` (small files only) or None: what the details
    panel can show of a file of this type."""
    essence = (content_type or "").split(";", 1)[0].strip().lower()
    if essence.startswith("image/"):
        return "image"
    if essence == "application/pdf":
        return "pdf"
    is_text = (
        essence.startswith("text/")
        or essence in _TEXT_TYPES
        or essence.endswith(("+json", "+xml"))
    )
    if is_text and (size or 0) <= TEXT_PREVIEW_BYTES:
        return "text"
    return None


def public_url(bucket_id: str, name: str) -> str:
    return _storage_url("object/public", bucket_id, name)


def signed_url(bucket_id: str, name: str, expires_in: object) -> str:
    """A signed URL for the object, its token made by the same code as
    `/object/sign` (which checks `expires_in`), with the name percent-encoded
    so that the URL can be pasted anywhere."""
    path = objects.sign_one(SERVICE, bucket_id, name, {"expiresIn": expires_in})
    token = path.rpartition("?token=")[2]
    return _storage_url("object/sign", bucket_id, name) + f"?token={token}"


def _storage_url(route: str, bucket_id: str, name: str) -> str:
    return (
        f"{api_url()}/storage/v1/{route}/"
        f"{quote(bucket_id, safe='')}/{quote(name, safe='/')}"
    )
