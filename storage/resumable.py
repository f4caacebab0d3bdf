"""Resumable uploads (tus 1.0.0): an object sent in parts over many requests.

Creating an upload runs every check a plain upload runs before its first
byte (row level security, the bucket's size and type limits), then leaves a
row in `storage_resumable_uploads` and an empty spool file under
`<project>/storage-uploads/`. Each part is appended to the spool file, which
is flushed to disk before the row records the new offset: after a crash or a
restart the row never claims bytes the file lacks, and bytes past the offset
are cut off by the next part. Parts of one upload are serialised by an
exclusive lock on its spool file, held from the offset check until the offset
is recorded. The last byte hands the spool file to `storage.objects.store`,
the path every upload takes, and the upload is forgotten.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils import timezone

from accounts.keys import Auth
from database.executor import locked_atomic
from koyalite.errors import KoyaError
from storage import errors, objects
from storage.models import ResumableUpload
from storage.records import BucketRow, ObjectRow
from storage.uploads import CHUNK_SIZE, Upload, check_mime_type

EXPIRES_AFTER = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class NewUpload:
    """What a creation request asks for, its headers decoded."""

    bucket_id: str
    name: str
    length: int | None  # None until a part says it (Upload-Defer-Length)
    content_type: str
    cache_control: str
    user_metadata: dict[str, Any] | None
    upsert: bool


@dataclass(frozen=True, slots=True)
class Progress:
    """Where an upload stands after a request; `row` once it is an object."""

    upload: ResumableUpload
    row: ObjectRow | None = None


def spool_directory() -> Path:
    return Path(settings.STORAGE_UPLOADS_DIR)


def _spool_path(upload: ResumableUpload) -> Path:
    # The id is a uuid this module made, never text from a request.
    return spool_directory() / upload.id


def create(auth: Auth, new: NewUpload, first_part: Iterable[bytes] | None) -> Progress:
    """Start an upload the caller may make; with `first_part`, append it too."""
    forget_expired()
    bucket = objects.check_write(auth, new.bucket_id, new.name, upsert=new.upsert)
    if new.length is not None and new.length > objects.size_limit(bucket):
        raise errors.entity_too_large()
    check_mime_type(bucket, new.content_type)
    upload = ResumableUpload(
        id=str(uuid.uuid4()),
        bucket_id=new.bucket_id,
        name=new.name,
        length=new.length,
        content_type=new.content_type,
        cache_control=new.cache_control,
        user_metadata=new.user_metadata,
        upsert=new.upsert,
        role=auth.role,
        uid=auth.uid,
        expires_at=timezone.now() + EXPIRES_AFTER,
    )
    directory = spool_directory()
    directory.mkdir(parents=True, exist_ok=True)
    _spool_path(upload).open("xb").close()
    try:
        with locked_atomic():
            upload.save(force_insert=True)
    except BaseException:
        _spool_path(upload).unlink(missing_ok=True)
        raise
    if first_part is None and upload.length != 0:
        return Progress(upload)
    try:
        return append(auth, upload.id, 0, first_part or (), declared=None)
    except BaseException:
        # The caller never learns this upload's URL, so nothing could resume it.
        with contextlib.suppress(errors.StorageError):
            _forget(upload)
        raise


def target(upload_id: str) -> tuple[str, str]:
    """The bucket and name upload `upload_id` is for, whoever asks: what a
    signed upload's token must name before the upload itself is looked up."""
    found = (
        ResumableUpload.objects.filter(pk=upload_id)
        .values_list("bucket_id", "name")
        .first()
    )
    if found is None:
        raise errors.upload_not_found()
    return found


def find(auth: Auth, upload_id: str) -> ResumableUpload:
    """The caller's own upload `upload_id`: 404 for any other, 410 once expired."""
    upload = ResumableUpload.objects.filter(pk=upload_id).first()
    if upload is None or (upload.role, upload.uid) != (auth.role, auth.uid):
        raise errors.upload_not_found()
    if upload.expires_at <= timezone.now():
        with contextlib.suppress(errors.ResourceLocked):
            _forget(upload)
        raise errors.upload_expired()
    return upload


def append(
    auth: Auth,
    upload_id: str,
    offset: int,
    chunks: Iterable[bytes],
    *,
    declared: int | None,
    length: int | None = None,
) -> Progress:
    """Append `chunks` at `offset`, which must be where the upload stands;
    `length` is the upload's whole length when the part says it.

    A body cut short (the client went away) keeps the bytes that arrived, so
    the client can ask for the offset and go on from there."""
    upload = find(auth, upload_id)
    if (
        declared is not None
        and upload.length is not None
        and offset + declared > upload.length
    ):
        raise errors.entity_too_large()
    bucket = objects.check_write(
        auth, upload.bucket_id, upload.name, upsert=upload.upsert
    )
    with _locked_spool(upload) as spool:
        # Another request may have moved the upload on (or ended it) while
        # this one waited for its turn.
        upload = ResumableUpload.objects.filter(pk=upload.pk).first()
        if upload is None:
            raise errors.upload_not_found()
        if offset != upload.offset:
            raise errors.offset_conflict(offset, upload.offset)
        if length is not None:
            _set_length(upload, length, objects.size_limit(bucket))
        # Until its length is known, an upload may grow to the bucket's limit.
        most = upload.length
        if most is None:
            most = objects.size_limit(bucket)
        spool.seek(offset)
        spool.truncate()
        written = offset
        try:
            for chunk in chunks:
                if written + len(chunk) > most:
                    raise errors.entity_too_large()
                spool.write(chunk)
                written += len(chunk)
        finally:
            spool.flush()
            os.fsync(spool.fileno())
            if written != upload.offset:
                upload.offset = written
                with locked_atomic():
                    ResumableUpload.objects.filter(pk=upload.pk).update(offset=written)
        if upload.length is None or upload.offset < upload.length:
            return Progress(upload)
        return Progress(upload, _finish(auth, upload))


def _set_length(upload: ResumableUpload, length: int, limit: int) -> None:
    """Record a deferred upload's length, once; the caller holds the lock."""
    if upload.length is not None:
        if length != upload.length:
            raise errors.invalid_request("Upload-Length cannot change once set")
        return
    if length < upload.offset:
        raise errors.invalid_request(
            f"Upload-Length {length} is below the {upload.offset} bytes received"
        )
    if length > limit:
        raise errors.entity_too_large()
    upload.length = length
    with locked_atomic():
        ResumableUpload.objects.filter(pk=upload.pk).update(length=length)


def _finish(auth: Auth, upload: ResumableUpload) -> ObjectRow:
    """Store the whole spool file as the object; the upload ends either way
    unless the failure was ours (a full disk), which a retry may get past."""
    try:
        row = objects.store(
            auth,
            upload.bucket_id,
            upload.name,
            lambda bucket, limit: _spooled(upload, bucket, limit),
            upsert=upload.upsert,
        )
    except KoyaError as error:
        if error.status < 500:
            _delete(upload)
        raise
    _delete(upload)
    return row


def _spooled(upload: ResumableUpload, bucket: BucketRow, limit: int) -> Upload:
    # The bucket's limits may have changed since the upload was created.
    check_mime_type(bucket, upload.content_type)
    if upload.length > limit:
        raise errors.entity_too_large()
    spooled = _spool_path(upload).open("rb")
    return Upload(
        content_type=upload.content_type,
        cache_control=upload.cache_control,
        user_metadata=upload.user_metadata,
        chunks=iter(lambda: spooled.read(CHUNK_SIZE), b""),
        spooled=spooled,
    )


def terminate(auth: Auth, upload_id: str) -> None:
    _forget(find(auth, upload_id))


def forget_expired() -> None:
    """Drop expired uploads nobody is writing to; run lazily on creation."""
    expired = ResumableUpload.objects.filter(expires_at__lte=timezone.now())
    for upload in expired:
        with contextlib.suppress(errors.ResourceLocked):
            _forget(upload)


def _forget(upload: ResumableUpload) -> None:
    with _locked_spool(upload):
        _delete(upload)


def _delete(upload: ResumableUpload) -> None:
    """Delete the row and the spool file; the caller holds the spool's lock."""
    with locked_atomic():
        ResumableUpload.objects.filter(pk=upload.pk).delete()
    _spool_path(upload).unlink(missing_ok=True)


@contextlib.contextmanager
def _locked_spool(upload: ResumableUpload) -> Iterator[IO[bytes]]:
    """The upload's spool file, locked for this request alone.

    A second request does not wait: a client that lost its connection sees
    423 until the server has noticed, then asks for the offset again."""
    try:
        spool = _spool_path(upload).open("r+b")
    except FileNotFoundError:
        raise errors.upload_not_found() from None
    with spool:
        try:
            fcntl.flock(spool, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise errors.ResourceLocked() from None
        yield spool
