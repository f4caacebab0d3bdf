"""An upload's body, read as the two official clients send it, within limits.

supabase-py sends multipart with a `file` part; supabase-js sends a Blob as
multipart whose file part has an empty field name, and a Buffer or Uint8Array
as the raw body with `Content-Type`, `Cache-Control: max-age=N`, `x-upsert`
and base64 JSON `x-metadata` headers. Either way the size and MIME limits are
enforced while the bytes arrive: a raw body streams straight on to the byte
store, a multipart file is spooled to a temporary file on disk that stops
growing the moment it passes the limit.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParser, MultiPartParserError

from storage import errors
from storage.records import BucketRow

CHUNK_SIZE = 64 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"
DEFAULT_CACHE_SECONDS = 3600


@dataclass
class Upload:
    content_type: str
    cache_control: str  # as sent back on download: `max-age=3600`
    user_metadata: dict[str, Any] | None
    chunks: Iterator[bytes]
    spooled: BinaryIO | None = None  # closed (and so deleted) by `close()`

    def close(self) -> None:
        if self.spooled is not None:
            self.spooled.close()


def read_upload(request: HttpRequest, bucket: BucketRow, limit: int) -> Upload:
    """The upload in `request`, its type checked against `bucket`; 413 as
    soon as more than `limit` bytes are known to be coming or have come."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit + _MULTIPART_SLACK:
        raise errors.entity_too_large()
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.lower().startswith("multipart/form-data"):
        return _multipart(request, bucket, limit)
    return _raw(request, bucket, content_type)


# A multipart body carries its boundaries and small fields beside the file.
_MULTIPART_SLACK = 64 * 1024


def _raw(request: HttpRequest, bucket: BucketRow, content_type: str) -> Upload:
    content_type = content_type or DEFAULT_CONTENT_TYPE
    check_mime_type(bucket, content_type)
    metadata = request.META.get("HTTP_X_METADATA")
    return Upload(
        content_type=content_type,
        cache_control=cache_control(request.META.get("HTTP_CACHE_CONTROL")),
        user_metadata=_decode_header_metadata(metadata) if metadata else None,
        chunks=body_chunks(request),
    )


def body_chunks(request: HttpRequest) -> Iterator[bytes]:
    # Django reads a body only as far as Content-Length, which a chunked body
    # (`Transfer-Encoding: chunked`, a streamed upload) has none of: read
    # the server's stream to its end instead of storing an empty file.
    stream: Any = request
    if (
        not request.META.get("CONTENT_LENGTH")
        and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    ):
        stream = request.META["wsgi.input"]
    while chunk := stream.read(CHUNK_SIZE):
        yield chunk


def _multipart(request: HttpRequest, bucket: BucketRow, limit: int) -> Upload:
    handler = _SpoolingHandler(bucket, limit)
    stream = _TailStream(request)
    try:
        fields, _files = MultiPartParser(
            request.META, stream, [handler], request.encoding
        ).parse()
    except MultiPartParserError as error:
        handler.discard()
        raise errors.invalid_request(f"malformed multipart body: {error}") from None
    except BaseException:
        handler.discard()
        raise
    if handler.spooled is None:
        raise errors.invalid_request("the multipart body has no file part")
    if not stream.closed_by(_boundary(request)):
        handler.discard()
        raise errors.invalid_request("the multipart body ends before its last boundary")
    spooled = handler.spooled
    spooled.seek(0)
    metadata = fields.get("metadata")
    return Upload(
        content_type=handler.content_type,
        cache_control=cache_control(fields.get("cacheControl")),
        user_metadata=decode_metadata(metadata) if metadata else None,
        chunks=iter(lambda: spooled.read(CHUNK_SIZE), b""),
        spooled=spooled,
    )


def _boundary(request: HttpRequest) -> bytes:
    _, _, rest = request.META.get("CONTENT_TYPE", "").partition("boundary=")
    return rest.split(";", 1)[0].strip().strip('"').encode("latin-1", "replace")


class _TailStream:
    """The request body, remembering its last bytes: Django's parser takes a
    body cut off inside a file part for a whole one, and never completes a
    file part whose field name is empty (as supabase-js sends a Blob), so the
    closing boundary is what says the file arrived whole."""

    TAIL = 1024

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.tail = b""

    def read(self, size: int = -1) -> bytes:
        data = self.request.read(size)
        self.tail = (self.tail + data)[-self.TAIL :]
        return data

    def closed_by(self, boundary: bytes) -> bool:
        return bool(boundary) and b"--" + boundary + b"--" in self.tail


class _SpoolingHandler(FileUploadHandler):
    """Keeps the one file part in a temporary file, refusing its type before
    the first byte and its size at the first byte too many."""

    def __init__(self, bucket: BucketRow, limit: int) -> None:
        super().__init__()
        self.bucket = bucket
        self.limit = limit
        self.spooled: BinaryIO | None = None
        self.content_type = DEFAULT_CONTENT_TYPE
        self.received = 0

    def new_file(
        self,
        field_name,
        file_name,
        content_type,
        content_length,
        charset=None,
        content_type_extra=None,
    ):
        if self.spooled is not None:
            raise errors.invalid_request("send one file per upload")
        full_type = content_type or DEFAULT_CONTENT_TYPE
        if charset and "charset" not in full_type.lower():
            full_type = f"{full_type};charset={charset}"
        check_mime_type(self.bucket, full_type)
        self.content_type = full_type
        self.spooled = tempfile.TemporaryFile()  # noqa: SIM115 (closed by Upload)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise errors.entity_too_large()
        assert self.spooled is not None
        self.spooled.write(raw_data)

    def file_complete(self, file_size: int):
        return _Received(self.spooled)

    def discard(self) -> None:
        if self.spooled is not None:
            self.spooled.close()


class _Received:
    """What the parser files away for the part; the bytes stay in `spooled`."""

    def __init__(self, spooled: BinaryIO | None) -> None:
        self.spooled = spooled


def check_mime_type(bucket: BucketRow, content_type: str) -> None:
    """Refuse `content_type` unless the bucket allows it (`image/*` wildcards
    included); parameters such as `;charset=` do not count."""
    allowed = bucket.allowed_mime_types
    if not allowed:
        return
    essence = content_type.split(";", 1)[0].strip().lower()
    for pattern in allowed:
        pattern = pattern.strip().lower()
        if pattern == essence or (
            pattern.endswith("/*") and essence.startswith(pattern[:-1])
        ):
            return
    raise errors.invalid_mime_type(essence or content_type)


def cache_control(value: str | None) -> str:
    """`3600` (multipart field) or `max-age=3600` (header) → `max-age=3600`."""
    if not value:
        return f"max-age={DEFAULT_CACHE_SECONDS}"
    value = value.strip()
    if value.isdigit():
        return f"max-age={int(value)}"
    if any(c in value for c in "\r\n") or len(value) > 200:
        raise errors.invalid_request("invalid cache control")
    return value


def json_object(data: str | bytes, what: str) -> dict[str, Any]:
    """`data` decoded as a JSON object; 400 naming `what` otherwise."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise errors.invalid_request(f"{what} is not valid JSON") from None
    if not isinstance(value, dict):
        raise errors.invalid_request(f"{what} must be a JSON object")
    return value


def decode_metadata(text: str) -> dict[str, Any]:
    return json_object(text, "metadata")


def _decode_header_metadata(text: str) -> dict[str, Any]:
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise errors.invalid_request("x-metadata is not base64") from None
    return decode_metadata(decoded.decode("utf-8", "replace"))
