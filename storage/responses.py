"""An object's bytes as an HTTP response: streamed from the byte store, with
its stored Content-Type and Cache-Control, `ETag`/`If-None-Match` (304),
`Last-Modified`, one `Range` (206), and `?download=` as an attachment; and a
transformed image, streamed from the render cache, with the same headers but
its own type, length and ETag."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)

from storage import errors
from storage.blobs import blob_store
from storage.images import Rendered
from storage.names import blob_key
from storage.records import ObjectRow

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def object_response(request: HttpRequest, row: ObjectRow) -> HttpResponse:
    metadata = row.metadata
    size = int(metadata.get("size") or 0)
    etag = metadata.get("eTag") or ""
    headers = {
        "Cache-Control": metadata.get("cacheControl") or "no-cache",
        "ETag": etag,
        "Last-Modified": metadata.get("lastModified") or "",
        "Accept-Ranges": "bytes",
    }
    if etag and _matches(request.META.get("HTTP_IF_NONE_MATCH"), etag):
        response = HttpResponse(status=304)
        _set(response, headers)
        return response
    download = request.GET.get("download")
    if download is not None:
        filename = download or row.name.rsplit("/", 1)[-1]
        headers["Content-Disposition"] = _attachment(filename)
    start, end, status = 0, size - 1, 200
    requested = request.META.get("HTTP_RANGE")
    if requested:
        start, end = _range(requested, size)
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    length = end - start + 1 if size else 0
    if request.method == "HEAD" or length == 0:
        response = HttpResponse(status=status)
    else:
        chunks = blob_store().open(blob_key(row.bucket_id, row.version), start, end)
        response = StreamingHttpResponse(chunks, status=status)
    mimetype = metadata.get("mimetype") or "application/octet-stream"
    response["Content-Type"] = mimetype
    response["Content-Length"] = str(length)
    if mimetype.split(";")[0].strip().lower() != "application/pdf":
        # Uploaded files are anyone's content served from KoyaLite's own
        # origin, the Studio's too: an HTML or SVG file opened in a browser
        # must not run script there. Chromium's PDF viewer cannot show a
        # sandboxed PDF, and a PDF runs no script in the origin.
        response["Content-Security-Policy"] = "sandbox"
    _set(response, headers)
    return response


def rendered_response(
    request: HttpRequest, row: ObjectRow, image: Rendered
) -> HttpResponse:
    metadata = row.metadata
    headers = {
        "Cache-Control": metadata.get("cacheControl") or "no-cache",
        "ETag": image.etag,
        "Last-Modified": metadata.get("lastModified") or "",
        # The body depends on Accept when no format was asked for.
        "Vary": "Accept",
    }
    if _matches(request.META.get("HTTP_IF_NONE_MATCH"), image.etag):
        response = HttpResponse(status=304)
        _set(response, headers)
        return response
    download = request.GET.get("download")
    if download is not None:
        filename = download or row.name.rsplit("/", 1)[-1]
        headers["Content-Disposition"] = _attachment(filename)
    if request.method == "HEAD":
        response = HttpResponse()
    else:
        response = FileResponse(image.path.open("rb"))
        # FileResponse names the cache file inline; only `download` names one.
        del response["Content-Disposition"]
    response["Content-Type"] = image.content_type
    response["Content-Length"] = str(image.size)
    _set(response, headers)
    return response


def _set(response: HttpResponse, headers: dict[str, str]) -> None:
    for name, value in headers.items():
        if value:
            response[name] = value


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _range(header: str, size: int) -> tuple[int, int]:
    """The one byte range asked for, within `size`; 416 for any other."""
    match = _RANGE.fullmatch(header.strip())
    if match is None or not (match.group(1) or match.group(2)):
        raise errors.invalid_range(size)
    first, last = match.groups()
    if not first:  # the last N bytes
        count = int(last)
        if count == 0 or size == 0:
            raise errors.invalid_range(size)
        return max(size - count, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise errors.invalid_range(size)
    return start, min(end, size - 1)


def _attachment(filename: str) -> str:
    # The plain `filename` for old browsers, ASCII only and without quotes;
    # `filename*` carries the real name (RFC 6266).
    plain = "".join(
        c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename
    )
    return (
        f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
