"""Supabase Storage's errors, with its error codes and the legacy fields its
clients read.

The body is `{"statusCode": "<status>", "code", "error", "message"}`: supabase-py
builds its `StorageApiError` from `message`, `error` and `statusCode` and its
`exists()` answers False only for a 404 whose `error` is "not_found";
supabase-js's `exists()` looks at `code: "NoSuchKey"`. Unlike Supabase's server,
which answers 400 for most errors, the HTTP status is the true one.
"""

from __future__ import annotations

import orjson
from django.http import HttpResponse

from koyalite.errors import KoyaError


class StorageError(KoyaError):
    """An error of the Storage API; `code` is one of Supabase Storage's codes."""

    def __init__(
        self, status: int, code: str, message: str, error: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        # The "error" field older clients match on; the code when none was set.
        self.error = error or code
        self.headers: dict[str, str] = {}

    def body(self) -> dict[str, str]:
        return {
            "statusCode": str(self.status),
            "code": self.code,
            "error": self.error,
            "message": self.message,
        }


def error_response(error: StorageError) -> HttpResponse:
    response = HttpResponse(
        orjson.dumps(error.body()),
        status=error.status,
        content_type="application/json; charset=utf-8",
    )
    for name, value in error.headers.items():
        response[name] = value
    return response


class ResourceLocked(StorageError):
    """Another request holds the resource; the client may retry."""

    def __init__(self) -> None:
        super().__init__(
            423,
            "ResourceLocked",
            "Another request is writing to this upload; retry when it ends",
        )


def no_such_bucket() -> StorageError:
    return StorageError(404, "NoSuchBucket", "Bucket not found", "Bucket not found")


def no_such_route(method: str, path: str) -> StorageError:
    # Worded as Fastify, under Supabase's server, answers a route it lacks.
    return StorageError(
        404, "NotFound", f"Route {method}:{path} not found", "Not Found"
    )


def no_such_key() -> StorageError:
    return StorageError(404, "NoSuchKey", "Object not found", "not_found")


def bucket_already_exists() -> StorageError:
    return StorageError(
        409, "BucketAlreadyExists", "The resource already exists", "Duplicate"
    )


def key_already_exists() -> StorageError:
    return StorageError(
        409, "KeyAlreadyExists", "The resource already exists", "Duplicate"
    )


def bucket_not_empty() -> StorageError:
    return StorageError(
        409, "ResourceNotEmpty", "The bucket you tried to delete is not empty"
    )


def entity_too_large() -> StorageError:
    return StorageError(
        413,
        "EntityTooLarge",
        "The object exceeded the maximum allowed size",
        "Payload too large",
    )


def invalid_mime_type(mime_type: str) -> StorageError:
    return StorageError(
        415,
        "InvalidMimeType",
        f"mime type {mime_type} is not supported",
        "invalid_mime_type",
    )


def access_denied(message: str) -> StorageError:
    return StorageError(403, "AccessDenied", message, "Unauthorized")


def row_level_security() -> StorageError:
    return access_denied("new row violates row-level security policy")


def invalid_jwt(message: str) -> StorageError:
    return StorageError(401, "InvalidJWT", message, "Unauthorized")


def invalid_key(name: str) -> StorageError:
    return StorageError(400, "InvalidKey", f"Invalid key: {name}", "Invalid Input")


def invalid_bucket_name(reason: str) -> StorageError:
    return StorageError(
        400, "InvalidBucketName", f"Bucket name invalid: {reason}", "Invalid Input"
    )


def invalid_request(message: str) -> StorageError:
    return StorageError(400, "InvalidRequest", message, "Invalid Input")


def invalid_parameter(name: str) -> StorageError:
    return StorageError(400, "InvalidParameter", f"Invalid Parameter {name}")


def invalid_range(size: int) -> StorageError:
    error = StorageError(416, "InvalidRange", "invalid range provided", "invalid_range")
    error.headers["Content-Range"] = f"bytes */{size}"
    return error


def invalid_signature(message: str = "Invalid signature") -> StorageError:
    return StorageError(400, "InvalidSignature", message, "InvalidSignature")


def expired_token() -> StorageError:
    return StorageError(
        400, "ExpiredToken", "The provided token has expired.", "InvalidSignature"
    )


def image_processing(message: str) -> StorageError:
    """An image the renderer refuses: broken, unsupported or too large."""
    return StorageError(400, "InvalidRequest", message, "Invalid Input")


def upload_not_found() -> StorageError:
    return StorageError(404, "NoSuchUpload", "Upload not found", "not_found")


def upload_expired() -> StorageError:
    return StorageError(410, "NoSuchUpload", "The upload has expired", "not_found")


def offset_conflict(sent: int, current: int) -> StorageError:
    return StorageError(
        409,
        "InvalidUploadOffset",
        f"Upload-Offset is {sent} but the upload is at {current}",
        "Conflict",
    )
