"""The Storage page's JSON endpoints (the twins of `/studio/storage/…`).

Each calls one function of `storage.buckets` or `storage.objects` as the
service role, the same functions `/storage/v1` calls: an upload streams
through `storage.uploads` with the bucket's size and MIME limits. Errors leave
in Storage's shape (`statusCode`, `code`, `error`, `message`).
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpResponse
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.keys import SERVICE
from api.rest.errors import error_response as rest_error_response
from koyalite.errors import KoyaError
from storage import buckets, errors, objects
from storage.errors import StorageError, error_response
from storage.responses import object_response
from studio import storage_browser


def _json(data: object, status: int = 200) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(data), status=status, content_type="application/json"
    )


def _body(request: Request) -> dict[str, Any]:
    data = request.data
    if not isinstance(data, dict):
        raise errors.invalid_request("send a JSON object")
    return data


class _StorageApi(APIView):
    """Renders a Storage error raised below as `/storage/v1` would."""

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, StorageError):
            return error_response(exc)
        if isinstance(exc, KoyaError):
            return rest_error_response(exc)
        return super().handle_exception(exc)


class BucketList(_StorageApi):
    """GET: every bucket with its usage; POST: create one (as `/bucket`)."""

    def get(self, request: Request) -> HttpResponse:
        return _json({"buckets": storage_browser.list_buckets()})

    def post(self, request: Request) -> HttpResponse:
        bucket_id = buckets.create_bucket(SERVICE, _body(request))
        return _json(buckets.get_bucket(SERVICE, bucket_id), status=201)


class BucketDetail(_StorageApi):
    """GET, PUT (public, file_size_limit, allowed_mime_types), DELETE."""

    def get(self, request: Request, bucket_id: str) -> HttpResponse:
        return _json(buckets.get_bucket(SERVICE, bucket_id))

    def put(self, request: Request, bucket_id: str) -> HttpResponse:
        buckets.update_bucket(SERVICE, bucket_id, _body(request))
        return _json(buckets.get_bucket(SERVICE, bucket_id))

    def delete(self, request: Request, bucket_id: str) -> HttpResponse:
        buckets.delete_bucket(SERVICE, bucket_id)
        return _json({"message": "Successfully deleted"})


class BucketEmpty(_StorageApi):
    def post(self, request: Request, bucket_id: str) -> HttpResponse:
        buckets.empty_bucket(SERVICE, bucket_id)
        return _json({"message": "Successfully emptied"})


class ObjectList(_StorageApi):
    """GET: one page of a folder (`path`, `search`, `page`, `per_page`);
    DELETE {names, folders}: remove files, and folders with all they hold."""

    def get(self, request: Request, bucket_id: str) -> HttpResponse:
        page = storage_browser.folder_page(bucket_id, request.query_params)
        return _json(page.as_json())

    def delete(self, request: Request, bucket_id: str) -> HttpResponse:
        body = _body(request)
        folders = body.get("folders") or []
        if not isinstance(folders, list) or not all(
            isinstance(f, str) for f in folders
        ):
            raise errors.invalid_request("folders must be a list of folder paths")
        removed = len(objects.remove(SERVICE, bucket_id, body.get("names") or []))
        for folder in folders:
            removed += objects.remove_folder(SERVICE, bucket_id, folder)
        return _json({"removed": removed})


class ObjectDetail(_StorageApi):
    """GET: the object's details; PUT: upload the raw body as the object
    (`?upsert=true` replaces one that exists, else 409)."""

    def get(self, request: Request, bucket_id: str, name: str) -> HttpResponse:
        return _json(storage_browser.object_details(bucket_id, name))

    def put(self, request: Request, bucket_id: str, name: str) -> HttpResponse:
        upsert = request.query_params.get("upsert") == "true"
        row = objects.upload(request._request, SERVICE, bucket_id, name, upsert=upsert)
        return _json(objects.object_json(row), status=201)


class _AnyAccept(BaseContentNegotiation):
    """An object's bytes answer whatever an <img> or <iframe> accepts."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(
        self, request: Request, renderers: list, format_suffix: str | None = None
    ) -> tuple[Any, str]:
        return renderers[0], renderers[0].media_type


class ObjectFile(_StorageApi):
    """The object's bytes for preview and download (`?download`), for
    operators only; sandboxed as every object response is (storage.responses),
    and `nosniff` (SecurityMiddleware) keeps a file from passing for another
    type."""

    content_negotiation_class = _AnyAccept

    def get(self, request: Request, bucket_id: str, name: str) -> HttpResponse:
        row = objects.find_for_read(SERVICE, bucket_id, name)
        return object_response(request._request, row)


class ObjectMove(_StorageApi):
    """POST {from, to}: rename or move an object inside its bucket."""

    def post(self, request: Request, bucket_id: str) -> HttpResponse:
        body = _body(request)
        objects.move(
            SERVICE,
            {
                "bucketId": bucket_id,
                "sourceKey": body.get("from"),
                "destinationKey": body.get("to"),
            },
        )
        return _json({"message": "Successfully moved", "name": body["to"]})


class ObjectSign(_StorageApi):
    """POST {name, expires_in}: a signed URL, in full."""

    def post(self, request: Request, bucket_id: str) -> HttpResponse:
        body = _body(request)
        name = body.get("name")
        if not isinstance(name, str):
            raise errors.invalid_request("name must be an object name")
        url = storage_browser.signed_url(bucket_id, name, body.get("expires_in"))
        return _json({"signed_url": url})
