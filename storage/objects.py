"""Object operations of `/storage/v1/object`: one function per route, each
moving bytes through the byte store and rows through `storage.records`.

Bytes are written under a fresh version key before the row that points at
them is committed, and the version a write replaced is deleted only after the
commit: a failed or refused upload deletes its own bytes and leaves the old
object whole, and a reader never sees a row whose bytes are not there yet.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts.keys import SERVICE, Auth
from database.executor import write_transaction
from storage import errors, images, signing
from storage.blobs import BlobTooLarge, blob_store
from storage.names import blob_key, check_object_name, new_version
from storage.records import (
    SORTABLE,
    V2_SORTABLE,
    BucketRow,
    ListedEntry,
    ObjectRow,
    Objects,
    bucket_or_404,
)
from storage.uploads import Upload, read_upload

MAX_REMOVE = 1000
MAX_LIST = 1000
SIGNED_UPLOAD_SECONDS = 2 * 3600


def size_limit(bucket: BucketRow) -> int:
    limit = settings.STORAGE_MAX_FILE_SIZE
    if bucket.file_size_limit is not None:
        limit = min(limit, bucket.file_size_limit)
    return limit


# ---------------------------------------------------------------- writing


def upload(
    request: HttpRequest,
    auth: Auth,
    bucket_id: str,
    name: str,
    *,
    upsert: bool,
) -> ObjectRow:
    """Store the request's file as `bucket_id/name`, owned by the caller."""
    return store(
        auth,
        bucket_id,
        name,
        lambda bucket, limit: read_upload(request, bucket, limit),
        upsert=upsert,
    )


def store(
    auth: Auth,
    bucket_id: str,
    name: str,
    read: Callable[[BucketRow, int], Upload],
    *,
    upsert: bool,
) -> ObjectRow:
    """Store the file `read(bucket, limit)` opens as `bucket_id/name`: the one
    path by which a request body or a finished resumable upload becomes an
    object. `read` refuses a wrong type or size before handing back bytes."""
    bucket = check_write(auth, bucket_id, name, upsert=upsert)
    objects = Objects(auth)
    limit = size_limit(bucket)
    body = read(bucket, limit)
    version = new_version()
    key = blob_key(bucket_id, version)
    digest = hashlib.md5(usedforsecurity=False)
    try:
        size = blob_store().put(
            key,
            _hashed(body.chunks, digest),
            limit=limit,
            content_type=body.content_type,
        )
    except BlobTooLarge:
        raise errors.entity_too_large() from None
    finally:
        body.close()
    metadata = {
        "eTag": f'"{digest.hexdigest()}"',
        "size": size,
        "mimetype": body.content_type,
        "cacheControl": body.cache_control,
        "lastModified": formatdate(usegmt=True),
        "contentLength": size,
        "httpStatusCode": 200,
    }
    return _commit(
        objects, bucket_id, name, version, metadata, body.user_metadata, upsert
    )


def _commit(
    objects: Objects,
    bucket_id: str,
    name: str,
    version: str,
    metadata: dict[str, Any],
    user_metadata: dict[str, Any] | None,
    upsert: bool,
) -> ObjectRow:
    """Point `bucket_id/name` at the bytes already stored under `version`:
    on any failure those bytes go; on success the version replaced goes."""
    try:
        with write_transaction() as tx:
            row, replaced = objects.save(
                tx.raw,
                bucket_id,
                name,
                object_id=str(uuid.uuid4()),
                version=version,
                metadata=metadata,
                user_metadata=user_metadata,
                upsert=upsert,
            )
    except BaseException:
        blob_store().delete(blob_key(bucket_id, version))
        raise
    if replaced is not None:
        blob_store().delete(blob_key(bucket_id, replaced))
        images.forget(bucket_id, replaced)
    return row


def check_write(
    auth: Auth,
    bucket_id: str,
    name: str,
    *,
    upsert: bool,
) -> BucketRow:
    """The bucket `name` would be saved to, if the caller may save it there.
    Refused writes fail before a byte is read, as Supabase's server does."""
    check_object_name(name)
    bucket = bucket_or_404(bucket_id)
    _dry_run(Objects(auth), bucket_id, name, upsert)
    return bucket


def _dry_run(objects: Objects, bucket_id: str, name: str, upsert: bool) -> None:
    """Would saving `name` be allowed? Tried and rolled back."""
    with write_transaction() as tx:
        objects.save(
            tx.raw,
            bucket_id,
            name,
            object_id=str(uuid.uuid4()),
            version="",
            metadata={},
            user_metadata=None,
            upsert=upsert,
        )
        tx.rollback_only = True


def _hashed(chunks: Iterable[bytes], digest: Any) -> Iterator[bytes]:
    for chunk in chunks:
        digest.update(chunk)
        yield chunk


def remove(auth: Auth, bucket_id: str, prefixes: object) -> list[dict[str, Any]]:
    """Delete the named objects the caller may delete; the deleted ones."""
    if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
        raise errors.invalid_request("prefixes must be a list of object names")
    if len(prefixes) > MAX_REMOVE:
        raise errors.invalid_request(f"remove at most {MAX_REMOVE} objects at once")
    bucket_or_404(bucket_id)
    names = [p for p in dict.fromkeys(prefixes) if p]
    with write_transaction() as tx:
        deleted = Objects(auth).delete(tx.raw, bucket_id, names)
    store = blob_store()
    for row in deleted:
        store.delete(blob_key(bucket_id, row.version))
        images.forget(bucket_id, row.version)
    return [object_json(row) for row in deleted]


def remove_folder(auth: Auth, bucket_id: str, folder: str) -> int:
    """Delete the objects under `folder` the caller may delete, at any depth,
    a batch at a time; how many went."""
    prefix = check_object_name(folder.removesuffix("/")) + "/"
    bucket_or_404(bucket_id)
    objects = Objects(auth)
    removed = 0
    while names := objects.names_under(bucket_id, prefix, MAX_REMOVE):
        deleted = remove(auth, bucket_id, names)
        removed += len(deleted)
        if len(deleted) < len(names):
            break  # the rest are the caller's to see, not to delete
    return removed


def move(auth: Auth, body: dict[str, Any]) -> None:
    bucket_id, source_name, target_bucket, target_name = _transfer_names(body)
    objects = Objects(auth)
    source = _visible(objects, bucket_id, source_name)
    if target_bucket == bucket_id:
        with write_transaction() as tx:
            objects.rename(tx.raw, source, bucket_id, target_name, source.version)
        return
    # Across buckets the bytes move to the other bucket's keys.
    version = new_version()
    new_key = blob_key(target_bucket, version)
    blob_store().copy(blob_key(bucket_id, source.version), new_key)
    try:
        with write_transaction() as tx:
            objects.rename(tx.raw, source, target_bucket, target_name, version)
    except BaseException:
        blob_store().delete(new_key)
        raise
    blob_store().delete(blob_key(bucket_id, source.version))
    images.forget(bucket_id, source.version)


def copy(auth: Auth, body: dict[str, Any], *, upsert: bool) -> ObjectRow:
    bucket_id, source_name, target_bucket, target_name = _transfer_names(body)
    objects = Objects(auth)
    source = _visible(objects, bucket_id, source_name)
    _dry_run(objects, target_bucket, target_name, upsert)
    version = new_version()
    new_key = blob_key(target_bucket, version)
    blob_store().copy(blob_key(bucket_id, source.version), new_key)
    return _commit(
        objects,
        target_bucket,
        target_name,
        version,
        source.metadata,
        source.user_metadata,
        upsert,
    )


def _transfer_names(body: dict[str, Any]) -> tuple[str, str, str, str]:
    bucket_id = body.get("bucketId")
    if not isinstance(bucket_id, str) or not bucket_id:
        raise errors.invalid_request("bucketId is required")
    target_bucket = body.get("destinationBucket") or bucket_id
    if not isinstance(target_bucket, str):
        raise errors.invalid_request("destinationBucket must be a bucket id")
    source = check_object_name(body.get("sourceKey"))
    target = check_object_name(body.get("destinationKey"))
    bucket_or_404(bucket_id)
    bucket_or_404(target_bucket)
    return bucket_id, source, target_bucket, target


# ---------------------------------------------------------------- reading


def _visible(objects: Objects, bucket_id: str, name: str) -> ObjectRow:
    row = objects.find(bucket_id, name)
    if row is None:
        raise errors.no_such_key()
    return row


def find_for_read(auth: Auth, bucket_id: str, name: str) -> ObjectRow:
    """An object the caller's select policies show."""
    name = check_object_name(name)
    bucket_or_404(bucket_id)
    return _visible(Objects(auth), bucket_id, name)


def find_public(bucket_id: str, name: str) -> ObjectRow:
    """An object of a public bucket, for anyone."""
    name = check_object_name(name)
    bucket = bucket_or_404(bucket_id)
    if not bucket.public:
        raise errors.no_such_bucket()
    return _found(Objects(SERVICE).find_any(bucket_id, name))


def find_signed(bucket_id: str, name: str, token: str | None) -> ObjectRow:
    """An object a signed URL names, for whoever holds the URL."""
    return find_signed_image(bucket_id, name, token)[0]


def find_signed_image(
    bucket_id: str, name: str, token: str | None
) -> tuple[ObjectRow, images.TransformOptions]:
    """An object a signed URL names, and the transformation its token carries
    (none for a plain signed URL): the URL's holder cannot change it."""
    name = check_object_name(name)
    claims = signing.verify(token, bucket_id, name)
    transform = claims.get("transform")
    options = images.parse_options(transform if isinstance(transform, dict) else {})
    bucket_or_404(bucket_id)
    return _found(Objects(SERVICE).find_any(bucket_id, name)), options


def _found(row: ObjectRow | None) -> ObjectRow:
    if row is None:
        raise errors.no_such_key()
    return row


def info(row: ObjectRow) -> dict[str, Any]:
    metadata = row.metadata
    return {
        "id": row.id,
        "name": row.name,
        "version": row.version,
        "bucket_id": row.bucket_id,
        "size": metadata.get("size"),
        "content_type": metadata.get("mimetype"),
        "cache_control": metadata.get("cacheControl"),
        "etag": metadata.get("eTag"),
        "metadata": row.user_metadata or {},
        "last_modified": row.updated_at,
        "created_at": row.created_at,
    }


def list_objects(
    auth: Auth, bucket_id: str, body: dict[str, Any]
) -> list[dict[str, Any]]:
    prefix = body.get("prefix") or ""
    search = body.get("search") or ""
    if not isinstance(prefix, str) or not isinstance(search, str):
        raise errors.invalid_request("prefix and search must be strings")
    if prefix and not prefix.endswith("/"):
        prefix += "/"  # a prefix names a folder, as in Supabase Storage
    limit = whole_number(body.get("limit", 100), "limit", 1, MAX_LIST)
    offset = whole_number(body.get("offset", 0), "offset", 0, None)
    sort = body.get("sortBy") or {}
    if not isinstance(sort, dict):
        raise errors.invalid_request("sortBy must be an object")
    column = sort.get("column") or "name"
    order = str(sort.get("order") or "asc").lower()
    if column not in SORTABLE:
        raise errors.invalid_request(
            f"sortBy.column must be one of {', '.join(SORTABLE)}"
        )
    if order not in ("asc", "desc"):
        raise errors.invalid_request("sortBy.order must be asc or desc")
    bucket_or_404(bucket_id)
    return Objects(auth).list(
        bucket_id, prefix, search, limit, offset, column, order == "desc"
    )


def list_objects_v2(auth: Auth, bucket_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """One page of `POST /object/list-v2/<bucket>`, as supabase-js's `listV2`
    reads it: folders and objects apart, `hasNext`, and the `nextCursor` that
    resumes just after this page's last entry whatever was written since."""
    prefix = body.get("prefix") or ""
    if not isinstance(prefix, str):
        raise errors.invalid_request("prefix must be a string")
    delimited = body.get("with_delimiter", False)
    if not isinstance(delimited, bool):
        raise errors.invalid_request("with_delimiter must be true or false")
    # As Supabase's server: a limit past the maximum is the maximum.
    limit = min(whole_number(body.get("limit", MAX_LIST), "limit", 1, None), MAX_LIST)
    column, order = _v2_sort(body.get("sortBy"))
    cursor = body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise errors.invalid_request("cursor must be a string")
    after = None
    if cursor:
        # The cursor carries the order it was made for, so that a page never
        # resumes another order's listing.
        resumed = _decode_cursor(cursor)
        column = resumed.get("c") or column
        order = resumed.get("o") or "asc"
        if column not in V2_SORTABLE or order not in ("asc", "desc"):
            raise errors.invalid_parameter("continuation token")
        after = (resumed.get("a", ""), resumed.get("l", ""))
    bucket_or_404(bucket_id)
    entries = Objects(auth).list_v2(
        bucket_id,
        prefix,
        delimited=delimited,
        limit=limit + 1,
        sort_column=column,
        descending=order == "desc",
        after=after,
    )
    page = entries[:limit]
    level = prefix.count("/")
    result: dict[str, Any] = {
        "hasNext": len(entries) > limit,
        "folders": [
            {"key": _segment(e.name, level), "name": e.name}
            for e in page
            if e.is_folder
        ],
        "objects": [
            {
                "id": e.id,
                # A flat listing has no levels: the key is the whole name.
                "key": _segment(e.name, level) if delimited else e.name,
                "name": e.name,
                "updated_at": e.updated_at,
                "created_at": e.created_at,
                "last_accessed_at": e.last_accessed_at,
                "metadata": e.metadata,
            }
            for e in page
            if not e.is_folder
        ],
    }
    if result["hasNext"]:
        last = page[-1]
        result["nextCursor"] = _encode_cursor(last, column, order)
        result["nextCursorKey"] = last.name
    return result


def _v2_sort(sort: object) -> tuple[str, str]:
    if sort is None:
        return "name", "asc"
    if not isinstance(sort, dict) or "column" not in sort:
        raise errors.invalid_request("sortBy must be an object with a column")
    column, order = sort["column"], sort.get("order", "asc")
    if column not in V2_SORTABLE:
        raise errors.invalid_request(
            f"sortBy.column must be one of {', '.join(V2_SORTABLE)}"
        )
    if order not in ("asc", "desc"):
        raise errors.invalid_request("sortBy.order must be asc or desc")
    return column, order


def _segment(name: str, level: int) -> str:
    """The part of `name` at the prefix's depth, as Postgres' `split_part`."""
    parts = name.split("/")
    return parts[level] if level < len(parts) else ""


_CURSOR_PART = re.compile(r"(\S):(.*)")


def _encode_cursor(last: ListedEntry, column: str, order: str) -> str:
    # Supabase's own format: `k:value` lines, base64. Names hold no newline.
    parts = {"l": last.name, "o": order, "c": column}
    if column != "name":
        parts["a"] = last.sort_value(column)
    text = "\n".join(f"{key}:{value}" for key, value in parts.items())
    return base64.b64encode(text.encode()).decode()


def _decode_cursor(cursor: str) -> dict[str, str]:
    try:
        text = base64.b64decode(cursor, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise errors.invalid_parameter("continuation token") from None
    parts: dict[str, str] = {}
    for line in text.split("\n"):
        match = _CURSOR_PART.fullmatch(line)
        if match is None or match.group(1) not in "loca":
            raise errors.invalid_parameter("continuation token")
        parts[match.group(1)] = match.group(2)
    return parts


def whole_number(value: object, field: str, low: int, high: int | None) -> int:
    """`value` (a JSON number or a query string's digits) as an int in bounds."""
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < low
        or (high is not None and value > high)
    ):
        bound = f"from {low} to {high}" if high else f"of at least {low}"
        raise errors.invalid_request(f"{field} must be a whole number {bound}")
    return value


# ---------------------------------------------------------------- signed URLs


def sign_one(auth: Auth, bucket_id: str, name: str, body: dict[str, Any]) -> str:
    """A signed URL for one object; with `transform` options, as Supabase's
    server makes it, a `/render/image/sign/…` URL whose token carries them."""
    seconds = signing.expires_in(body.get("expiresIn"))
    transform = body.get("transform")
    if transform is not None and not isinstance(transform, dict):
        raise errors.invalid_request("transform must be an object")
    options = images.parse_options(transform) if transform else None
    row = find_for_read(auth, bucket_id, name)
    if options is None:
        return _signed_path(row, seconds)
    token = signing.sign_url(
        row.bucket_id, row.name, seconds, transform=options.as_claim()
    )
    return f"/render/image/sign/{_url_path(row.bucket_id)}/{_url_path(row.name)}?token={token}"


def sign_many(auth: Auth, bucket_id: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    seconds = signing.expires_in(body.get("expiresIn"))
    paths = body.get("paths")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise errors.invalid_request("paths must be a list of object names")
    if len(paths) > MAX_REMOVE:
        raise errors.invalid_request(f"sign at most {MAX_REMOVE} objects at once")
    bucket_or_404(bucket_id)
    objects = Objects(auth)
    signed = []
    for path in paths:
        row = objects.find(bucket_id, path) if path else None
        signed.append(
            {
                "path": path,
                "signedURL": _signed_path(row, seconds) if row else None,
                "error": None
                if row
                else "Either the object does not exist or you do not have access to it",
            }
        )
    return signed


def _signed_path(row: ObjectRow, seconds: int) -> str:
    token = signing.sign_url(row.bucket_id, row.name, seconds)
    return (
        f"/object/sign/{_url_path(row.bucket_id)}/{_url_path(row.name)}?token={token}"
    )


def sign_upload(
    auth: Auth, bucket_id: str, name: str, *, upsert: bool
) -> dict[str, str]:
    """A URL anyone may PUT one file to, made for a caller allowed to upload it."""
    name = check_object_name(name)
    bucket_or_404(bucket_id)
    _dry_run(Objects(auth), bucket_id, name, upsert)
    token = signing.sign_url(
        bucket_id, name, SIGNED_UPLOAD_SECONDS, owner=auth.uid, upsert=upsert
    )
    return {
        "url": f"/object/upload/sign/{_url_path(bucket_id)}/{_url_path(name)}"
        f"?token={token}",
        "token": token,
    }


def upload_signed(request: HttpRequest, bucket_id: str, name: str) -> ObjectRow:
    name = check_object_name(name)
    auth, upsert = signed_uploader(request.GET.get("token"), bucket_id, name)
    return upload(request, auth, bucket_id, name, upsert=upsert)


def signed_uploader(token: str | None, bucket_id: str, name: str) -> tuple[Auth, bool]:
    """Who a signed upload URL's token uploads `bucket_id/name` as, and
    whether it may replace what is there. The URL is the authorisation, so
    policies do not apply (Supabase's server writes as its superuser), and
    the object belongs to the user the URL was made for."""
    claims = signing.verify_upload(token, bucket_id, name)
    owner = claims.get("owner")
    auth = Auth(SERVICE.role, owner, {"role": SERVICE.role, "sub": owner})
    return auth, bool(claims.get("upsert"))


def _url_path(path: str) -> str:
    """`path` for a URL a client completes: encoded no further than Supabase
    Storage does, since supabase-js passes it through encodeURI(), which would
    encode an encoded name twice; only `?` and `#`, which would end the path
    for every client, are escaped."""
    return path.replace("?", "%3F").replace("#", "%23")


def object_json(row: ObjectRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "bucket_id": row.bucket_id,
        "name": row.name,
        "owner": row.owner,
        "version": row.version,
        "metadata": row.metadata,
        "user_metadata": row.user_metadata,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "last_accessed_at": row.last_accessed_at,
    }
