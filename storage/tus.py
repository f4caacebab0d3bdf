"""`/storage/v1/upload/resumable`: the tus 1.0.0 protocol as Supabase Storage
speaks it (creation, creation-with-upload, termination, expiration), in
front of `storage.resumable`.

Headers are read and written here; errors leave as Storage's JSON bodies
with the tus status codes (409 for a wrong offset, 412 for a missing
`Tus-Resumable`, 415 for a part of the wrong type). The upload URL is built
from the request's own scheme and host, as Supabase's server builds it.

Under `/upload/resumable/sign` the same protocol takes, instead of a key or
token, `x-signature: <token of createSignedUploadUrl>` on every request: the
upload is for the object the token names, replaces it only if the token
says so, and belongs to the user the token was made for.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import replace
from email.utils import formatdate
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from accounts.keys import Auth
from storage import errors, objects, resumable
from storage.errors import StorageError
from storage.uploads import (
    DEFAULT_CONTENT_TYPE,
    body_chunks,
    cache_control,
    decode_metadata,
)
from storage.views import _authenticate, _upsert, storage_view

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = (
    "creation,creation-with-upload,creation-defer-length,termination,expiration"
)
PART_CONTENT_TYPE = "application/offset+octet-stream"
# Metadata is a handful of short fields; a longer header is not a client's.
MAX_METADATA_HEADER = 8 * 1024

View = Callable[..., HttpResponse]


def tus_view(*methods: str, signed: bool = False) -> Callable[[View], View]:
    """A Storage view that authenticates every method but OPTIONS (`signed`:
    leaves the `x-signature` header to the view, which knows the object it
    must name), demands `Tus-Resumable: 1.0.0`, and names the protocol
    version in every answer."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "OPTIONS":
                return _options()
            if signed:
                request.signature = request.META.get("HTTP_X_SIGNATURE")
                if not request.signature:
                    raise errors.invalid_signature("Missing x-signature header")
            else:
                request.auth = _authenticate(request)
            if request.META.get("HTTP_TUS_RESUMABLE") != TUS_VERSION:
                error = StorageError(
                    412, "InvalidRequest", f"Tus-Resumable must be {TUS_VERSION}"
                )
                error.headers["Tus-Version"] = TUS_VERSION
                raise error
            return view(request, *args, **kwargs)

        routed = storage_view(*methods, "OPTIONS", public=True)(checked)

        @wraps(routed)
        def versioned(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = routed(request, *args, **kwargs)
            response["Tus-Resumable"] = TUS_VERSION
            if response.status_code >= 400 and _has_body(request):
                # The rest of a refused body is never read: the connection
                # cannot carry another request.
                response["Connection"] = "close"
            return response

        return versioned

    return decorate


def _options() -> HttpResponse:
    response = HttpResponse(status=204)
    response["Tus-Version"] = TUS_VERSION
    response["Tus-Extension"] = TUS_EXTENSIONS
    response["Tus-Max-Size"] = str(settings.STORAGE_MAX_FILE_SIZE)
    return response


@tus_view("POST")
def upload_create(request: HttpRequest) -> HttpResponse:
    return _create(request, _new_upload(request))


@tus_view("POST", signed=True)
def upload_create_signed(request: HttpRequest) -> HttpResponse:
    new = _new_upload(request)
    request.auth, upsert = objects.signed_uploader(
        request.signature, new.bucket_id, new.name
    )
    return _create(request, replace(new, upsert=upsert))


def _create(request: HttpRequest, new: resumable.NewUpload) -> HttpResponse:
    first_part = None
    if _has_body(request):
        _require_part_type(request)
        first_part = body_chunks(request)
    progress = resumable.create(request.auth, new, first_part)
    response = _progress(progress, status=201)
    response["Location"] = request.build_absolute_uri(
        f"{request.path.rstrip('/')}/{progress.upload.id}"
    )
    return response


@tus_view("HEAD", "PATCH", "DELETE")
def upload_detail(request: HttpRequest, upload_id: str) -> HttpResponse:
    return _detail(request, request.auth, upload_id)


@tus_view("HEAD", "PATCH", "DELETE", signed=True)
def upload_detail_signed(request: HttpRequest, upload_id: str) -> HttpResponse:
    bucket_id, name = resumable.target(upload_id)
    auth, _ = objects.signed_uploader(request.signature, bucket_id, name)
    return _detail(request, auth, upload_id)


def _detail(request: HttpRequest, auth: Auth, upload_id: str) -> HttpResponse:
    if request.method == "DELETE":
        resumable.terminate(auth, upload_id)
        return HttpResponse(status=204)
    if request.method == "PATCH":
        _require_part_type(request)
        offset = _whole_header(request, "Upload-Offset")
        declared = request.META.get("CONTENT_LENGTH") or ""
        progress = resumable.append(
            auth,
            upload_id,
            offset,
            body_chunks(request),
            declared=int(declared) if declared.isdigit() else None,
            length=_length(request),
        )
        return _progress(progress, status=204)
    upload = resumable.find(auth, upload_id)
    response = HttpResponse(status=200)
    response["Upload-Offset"] = str(upload.offset)
    if upload.length is None:
        response["Upload-Defer-Length"] = "1"
    else:
        response["Upload-Length"] = str(upload.length)
    response["Cache-Control"] = "no-store"
    return response


def _progress(progress: resumable.Progress, *, status: int) -> HttpResponse:
    upload = progress.upload
    response = HttpResponse(status=status)
    response["Upload-Offset"] = str(upload.offset)
    if progress.row is None:
        response["Upload-Expires"] = formatdate(
            upload.expires_at.timestamp(), usegmt=True
        )
    else:
        response["Tus-Complete"] = "1"
    return response


def _new_upload(request: HttpRequest) -> resumable.NewUpload:
    deferred = request.META.get("HTTP_UPLOAD_DEFER_LENGTH")
    if deferred is not None and (deferred != "1" or _length(request) is not None):
        raise errors.invalid_request(
            "Upload-Defer-Length must be 1 and comes without Upload-Length"
        )
    length = None if deferred else _whole_header(request, "Upload-Length")
    metadata = _metadata(request.META.get("HTTP_UPLOAD_METADATA", ""))
    bucket_id = metadata.get("bucketName")
    name = metadata.get("objectName")
    if not bucket_id or not name:
        raise errors.invalid_request(
            "Upload-Metadata must name bucketName and objectName"
        )
    user_metadata = metadata.get("metadata")
    return resumable.NewUpload(
        bucket_id=bucket_id,
        name=name,
        length=length,
        content_type=metadata.get("contentType") or DEFAULT_CONTENT_TYPE,
        cache_control=cache_control(metadata.get("cacheControl")),
        user_metadata=decode_metadata(user_metadata) if user_metadata else None,
        upsert=_upsert(request),
    )


def _metadata(header: str) -> dict[str, str]:
    """`key base64value,key2 base64value2,flag` as a dict; a bare key is ''."""
    if len(header) > MAX_METADATA_HEADER:
        raise errors.invalid_request("Upload-Metadata is too long")
    pairs: dict[str, str] = {}
    for item in header.split(","):
        item = item.strip()
        if not item:
            continue
        key, _, encoded = item.partition(" ")
        try:
            value = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise errors.invalid_request(
                f"Upload-Metadata value of {key[:50]!r} is not base64 UTF-8"
            ) from None
        pairs[key] = value
    return pairs


def _length(request: HttpRequest) -> int | None:
    """`Upload-Length` if the request has one."""
    if "HTTP_UPLOAD_LENGTH" not in request.META:
        return None
    return _whole_header(request, "Upload-Length")


def _whole_header(request: HttpRequest, name: str) -> int:
    value = request.META.get("HTTP_" + name.upper().replace("-", "_"), "")
    # 19 digits already pass any size a disk holds.
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        raise errors.invalid_request(f"{name} must be a whole number of bytes")
    return int(value)


def _require_part_type(request: HttpRequest) -> None:
    content_type = request.META.get("CONTENT_TYPE", "")
    if content_type.split(";", 1)[0].strip().lower() != PART_CONTENT_TYPE:
        raise StorageError(
            415, "InvalidRequest", f"Content-Type must be {PART_CONTENT_TYPE}"
        )


def _has_body(request: HttpRequest) -> bool:
    length = request.META.get("CONTENT_LENGTH") or ""
    return (length.isdigit() and int(length) > 0) or "chunked" in request.META.get(
        "HTTP_TRANSFER_ENCODING", ""
    ).lower()
