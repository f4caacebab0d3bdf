"""The bytes of Storage objects, on local disk or an S3 API, apart from HTTP and SQL.

Keys are built by the storage service (`<bucket>/<object name>/<version>`), and
the bytes under a key are written once: a reader sees a whole object or none,
since a local file appears by rename and an S3 object when its upload completes.
Bodies stream through in chunks, so memory stays bounded whatever their size.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import stat
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, storages

from koyalite.errors import KoyaError

if TYPE_CHECKING:
    from storages.backends.s3 import S3Storage

# Reads hand out chunks of this size; writes take the caller's chunks as they come.
CHUNK_SIZE = 256 * 1024
# S3 and SeaweedFS refuse longer keys; local paths would hit NAME_MAX first anyway.
MAX_KEY_BYTES = 1024


class BlobError(KoyaError):
    """The byte store cannot do what was asked; codes are the Storage API's."""


class BlobNotFound(BlobError):
    status = 404
    code = "NoSuchKey"

    def __init__(self, key: str) -> None:
        super().__init__("Object not found")
        self.key = key


class BlobTooLarge(BlobError):
    status = 413
    code = "EntityTooLarge"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The object exceeded the maximum allowed size of {limit} bytes"
        )
        self.limit = limit


def validate_key(key: str) -> str:
    """Return `key` if it is a plain relative path; raise ValueError otherwise.

    Keys are KoyaLite's own, so a refusal here is a bug upstream; it still keeps
    a crafted object name from ever leaving the store's directory or bucket.
    """
    try:
        size = len(key.encode())
    except UnicodeEncodeError:
        raise ValueError(f"blob key {key!r} is not valid UTF-8") from None
    if (
        size > MAX_KEY_BYTES
        or "\x00" in key
        or "\\" in key
        or any(segment in ("", ".", "..") for segment in key.split("/"))
    ):
        raise ValueError(f"blob key {key!r} is not a plain relative path")
    return key


def _check_range(start: int, end: int | None) -> None:
    if start < 0 or (end is not None and end < start):
        raise ValueError(f"bad byte range {start}-{end}")


def _write_chunks(chunks: Iterable[bytes], file: IO[bytes], limit: int | None) -> int:
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if limit is not None and size > limit:
            raise BlobTooLarge(limit)
        file.write(chunk)
    return size


class BlobReader(Iterator[bytes]):
    """The chunks of one stored object; close() frees its file or connection.

    Django's StreamingHttpResponse calls close() when the response ends, also
    when the client went away halfway through.
    """

    def __init__(self, chunks: Iterator[bytes], close: Callable[[], None]) -> None:
        self._chunks = chunks
        self._close = close
        self.closed = False

    def __next__(self) -> bytes:
        return next(self._chunks)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._close()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class BlobStore(ABC):
    """Where object bytes live; one instance per process (see blob_store())."""

    @abstractmethod
    def put(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        limit: int | None,
        content_type: str,
    ) -> int:
        """Store `chunks` under `key` and return their size.

        Raise BlobTooLarge once more than `limit` bytes arrived. On any failure
        nothing new is left behind, and what `key` held before is kept.
        """

    @abstractmethod
    def open(self, key: str, start: int = 0, end: int | None = None) -> BlobReader:
        """The bytes from `start` to `end` inclusive (HTTP Range style), or to
        the end; nothing past the object's end. Raise BlobNotFound now, not
        at the first chunk, so a caller can answer 404 before streaming."""

    @abstractmethod
    def size(self, key: str) -> int:
        """The object's size in bytes; BlobNotFound if there is none."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; a missing one is already removed."""

    @abstractmethod
    def copy(self, src_key: str, dst_key: str) -> None:
        """Store a copy of `src_key` under `dst_key`; BlobNotFound if no source."""


class LocalBlobStore(BlobStore):
    """Files under a FileSystemStorage's directory, one file per key."""

    def __init__(self, storage: FileSystemStorage) -> None:
        self.storage = storage
        self.root = Path(storage.location)

    def _path(self, key: str) -> Path:
        return Path(self.storage.path(validate_key(key)))

    def put(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        limit: int | None,
        content_type: str,
    ) -> int:
        # The content type lives with the object's row; a file has no place for it.
        with self._replacing(self._path(key)) as file:
            return _write_chunks(chunks, file, limit)

    def open(self, key: str, start: int = 0, end: int | None = None) -> BlobReader:
        _check_range(start, end)
        file = self._open(key)
        file.seek(start)
        remaining = None if end is None else end - start + 1
        return BlobReader(_read_file(file, remaining), file.close)

    def size(self, key: str) -> int:
        try:
            status = os.stat(self._path(key))
        except (FileNotFoundError, NotADirectoryError):
            raise BlobNotFound(key) from None
        if not stat.S_ISREG(status.st_mode):
            raise BlobNotFound(key)
        return status.st_size

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        with contextlib.suppress(
            FileNotFoundError, NotADirectoryError, IsADirectoryError
        ):
            path.unlink()
        self._prune(path.parent)

    def copy(self, src_key: str, dst_key: str) -> None:
        with (
            self._open(src_key) as source,
            self._replacing(self._path(dst_key)) as file,
        ):
            shutil.copyfileobj(source, file, CHUNK_SIZE)

    def _open(self, key: str) -> IO[bytes]:
        try:
            return open(self._path(key), "rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise BlobNotFound(key) from None

    @contextlib.contextmanager
    def _replacing(self, path: Path) -> Iterator[IO[bytes]]:
        """A new file beside `path` that becomes `path` when the block succeeds,
        so a crash or an error never leaves a half-written file under a key."""
        descriptor, temporary = self._temporary_beside(path)
        done = False
        try:
            with os.fdopen(descriptor, "wb") as file:
                yield file
                file.flush()
                # Without it a crash soon after the rename can leave an empty
                # or short file under the key on some file systems.
                os.fsync(file.fileno())
            os.replace(temporary, path)
            done = True
        finally:
            if not done:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
                self._prune(path.parent)

    def _temporary_beside(self, path: Path) -> tuple[int, str]:
        attempts = 3
        while True:
            os.makedirs(path.parent, mode=0o700, exist_ok=True)
            try:
                # mkstemp creates the file with mode 0600.
                return tempfile.mkstemp(prefix=".", suffix=".part", dir=path.parent)
            except FileNotFoundError:
                # A delete() pruned the directory, emptied, in between.
                attempts -= 1
                if not attempts:
                    raise

    def _prune(self, directory: Path) -> None:
        """Remove empty directories from `directory` up to the root."""
        while directory != self.root and self.root in directory.parents:
            try:
                directory.rmdir()
            except OSError:
                return
            directory = directory.parent


def _read_file(file: IO[bytes], remaining: int | None) -> Iterator[bytes]:
    while remaining is None or remaining > 0:
        size = CHUNK_SIZE if remaining is None else min(CHUNK_SIZE, remaining)
        chunk = file.read(size)
        if not chunk:
            return
        if remaining is not None:
            remaining -= len(chunk)
        yield chunk


class S3BlobStore(BlobStore):
    """Objects in the one bucket of an S3Storage, under the same keys.

    put() spools the body to a temporary file first and uploads that file:
    boto3 reads a file by name part by part from disk, while an unsized
    stream must hold a whole part (5 MiB at least) in memory, and a body over
    the limit never reaches the bucket at all.
    """

    def __init__(self, storage: S3Storage) -> None:
        from boto3.s3.transfer import TransferConfig

        self.storage = storage
        self.bucket = storage.bucket_name
        # Each part in flight holds about 2 MiB of read buffers: a 256 MiB
        # upload to SeaweedFS peaked at 4 MiB and took 2.4 s with two parts of
        # 16 MiB at a time, 8 MiB and 2.7 s with four of 8 MiB (boto3's default).
        self.transfer = TransferConfig(
            multipart_threshold=16 * 1024 * 1024,
            multipart_chunksize=16 * 1024 * 1024,
            max_concurrency=2,
        )

    @property
    def client(self):
        # S3Storage keeps one boto3 resource per thread; clients are not shared.
        return self.storage.connection.meta.client

    def put(
        self,
        key: str,
        chunks: Iterable[bytes],
        *,
        limit: int | None,
        content_type: str,
    ) -> int:
        validate_key(key)
        # A failed multipart upload is aborted by boto3; the spool goes on close.
        with tempfile.NamedTemporaryFile(
            prefix="koyalite-blob-", dir=settings.FILE_UPLOAD_TEMP_DIR
        ) as spool:
            size = _write_chunks(chunks, spool, limit)
            spool.flush()
            self.client.upload_file(
                spool.name,
                self.bucket,
                key,
                ExtraArgs={"ContentType": content_type},
                Config=self.transfer,
            )
        return size

    def open(self, key: str, start: int = 0, end: int | None = None) -> BlobReader:
        from botocore.exceptions import ClientError

        _check_range(start, end)
        request = {"Bucket": self.bucket, "Key": validate_key(key)}
        if start or end is not None:
            request["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            response = self.client.get_object(**request)
        except ClientError as error:
            code = error.response["Error"]["Code"]
            if code in ("NoSuchKey", "404"):
                raise BlobNotFound(key) from None
            # Only an existing object has a range that cannot be satisfied:
            # the caller asked from its end or past it.
            if code == "InvalidRange":
                return BlobReader(iter(()), lambda: None)
            raise
        body = response["Body"]
        return BlobReader(body.iter_chunks(CHUNK_SIZE), body.close)

    def size(self, key: str) -> int:
        try:
            return self.storage.size(validate_key(key))
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self.storage.exists(validate_key(key))

    def delete(self, key: str) -> None:
        self.storage.delete(validate_key(key))

    def copy(self, src_key: str, dst_key: str) -> None:
        from botocore.exceptions import ClientError

        source = {"Bucket": self.bucket, "Key": validate_key(src_key)}
        try:
            # Server-side: CopyObject, or UploadPartCopy past the threshold.
            self.client.copy(
                source, self.bucket, validate_key(dst_key), Config=self.transfer
            )
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise BlobNotFound(src_key) from None
            raise


@functools.cache
def blob_store() -> BlobStore:
    """The store settings.STORAGES["blobs"] configures, built once per process.

    Tests that change STORAGES call `blob_store.cache_clear()` afterwards.
    """
    storage = storages["blobs"]
    if isinstance(storage, FileSystemStorage):
        return LocalBlobStore(storage)
    from storages.backends.s3 import S3Storage

    if isinstance(storage, S3Storage):
        return S3BlobStore(storage)
    raise ImproperlyConfigured(
        f"STORAGES['blobs'] is a {type(storage).__name__}; "
        "only FileSystemStorage and S3Storage hold blobs."
    )
