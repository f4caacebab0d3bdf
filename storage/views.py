"""`/storage/v1`: Supabase Storage's routes. Each view authenticates, calls
one function of `storage.buckets` or `storage.objects` and renders; every error
leaves through `storage.errors.error_response`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import orjson
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.errors import InvalidApiKey, InvalidToken, MissingApiKey
from accounts.keys import Auth, authenticate
from koyalite.errors import KoyaError
from koyalite.logging import get_logger
from storage import buckets, errors, images, objects
from storage.errors import StorageError, error_response
from storage.names import check_object_name
from storage.records import ObjectRow
from storage.responses import object_response, rendered_response
from storage.uploads import json_object

log = get_logger("koyalite.storage")

View = Callable[..., HttpResponse]


def storage_view(*methods: str, public: bool = False) -> Callable[[View], View]:
    """Route `methods` to the view, authenticate (unless `public`), and turn
    every error into Storage's error body."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise StorageError(
                        405, "InvalidRequest", f"{request.method} is not allowed here"
                    )
                if not public:
                    request.auth = _authenticate(request)
                return view(request, *args, **kwargs)
            except StorageError as error:
                return error_response(error)
            except RequestDataTooBig:
                return error_response(errors.entity_too_large())
            except KoyaError as error:
                return error_response(_from_koya_error(error))
            except Exception:
                log.exception(
                    "storage.failed", path=request.path, method=request.method
                )
                return error_response(
                    StorageError(500, "InternalError", "Internal server error")
                )

        return wrapper

    return decorate


def _authenticate(request: HttpRequest) -> Auth:
    meta = request.META
    try:
        return authenticate(meta.get("HTTP_APIKEY"), meta.get("HTTP_AUTHORIZATION"))
    except (MissingApiKey, InvalidApiKey, InvalidToken) as error:
        raise errors.invalid_jwt(error.message) from None


def _from_koya_error(error: KoyaError) -> StorageError:
    code = "InternalError" if error.status >= 500 else "InvalidRequest"
    if error.code == "42501":
        return errors.row_level_security()
    return StorageError(error.status, code, error.message)


def _json(request: HttpRequest) -> dict[str, Any]:
    body = request.body
    return json_object(body, "the body") if body.strip() else {}


def _ok(value: object, status: int = 200) -> HttpResponse:
    return HttpResponse(
        orjson.dumps(value), status=status, content_type="application/json"
    )


def _upsert(request: HttpRequest) -> bool:
    return request.META.get("HTTP_X_UPSERT", "").strip().lower() == "true"


def _uploaded(row: ObjectRow) -> HttpResponse:
    return _ok({"Key": f"{row.bucket_id}/{row.name}", "Id": row.id})


# ---------------------------------------------------------------- buckets


@storage_view("GET", "POST")
def bucket_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _ok({"name": buckets.create_bucket(request.auth, _json(request))})
    return _ok(buckets.list_buckets(request.auth, request.GET))


@storage_view("GET", "PUT", "DELETE")
def bucket_detail(request: HttpRequest, bucket_id: str) -> HttpResponse:
    if request.method == "PUT":
        buckets.update_bucket(request.auth, bucket_id, _json(request))
        return _ok({"message": "Successfully updated"})
    if request.method == "DELETE":
        buckets.delete_bucket(request.auth, bucket_id)
        return _ok({"message": "Successfully deleted"})
    return _ok(buckets.get_bucket(request.auth, bucket_id))


@storage_view("POST")
def bucket_empty(request: HttpRequest, bucket_id: str) -> HttpResponse:
    buckets.empty_bucket(request.auth, bucket_id)
    return _ok({"message": "Successfully emptied"})


# ---------------------------------------------------------------- objects


@storage_view("POST", "PUT", "GET", "HEAD", "DELETE")
def object_detail(request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
    auth = request.auth
    if request.method == "POST":
        return _uploaded(
            objects.upload(request, auth, bucket_id, name, upsert=_upsert(request))
        )
    if request.method == "PUT":
        return _uploaded(objects.upload(request, auth, bucket_id, name, upsert=True))
    if request.method == "DELETE":
        removed = objects.remove(auth, bucket_id, [check_object_name(name)])
        if not removed:
            raise errors.no_such_key()
        return _ok({"message": "Successfully deleted"})
    return object_response(request, objects.find_for_read(auth, bucket_id, name))


@storage_view("GET", "HEAD")
def object_authenticated(
    request: HttpRequest, bucket_id: str, name: str
) -> HttpResponse:
    return object_response(
        request, objects.find_for_read(request.auth, bucket_id, name)
    )


@storage_view("GET", "HEAD", public=True)
def object_public(request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
    return object_response(request, objects.find_public(bucket_id, name))


@storage_view("DELETE")
def object_remove(request: HttpRequest, bucket_id: str) -> HttpResponse:
    return _ok(objects.remove(request.auth, bucket_id, _json(request).get("prefixes")))


@storage_view("GET")
def object_info(request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
    return _ok(objects.info(objects.find_for_read(request.auth, bucket_id, name)))


@storage_view("GET", public=True)
def object_info_public(request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
    return _ok(objects.info(objects.find_public(bucket_id, name)))


@storage_view("POST")
def object_list(request: HttpRequest, bucket_id: str) -> HttpResponse:
    return _ok(objects.list_objects(request.auth, bucket_id, _json(request)))


@storage_view("POST")
def object_list_v2(request: HttpRequest, bucket_id: str) -> HttpResponse:
    return _ok(objects.list_objects_v2(request.auth, bucket_id, _json(request)))


@storage_view("POST")
def object_move(request: HttpRequest) -> HttpResponse:
    objects.move(request.auth, _json(request))
    return _ok({"message": "Successfully moved"})


@storage_view("POST")
def object_copy(request: HttpRequest) -> HttpResponse:
    row = objects.copy(request.auth, _json(request), upsert=_upsert(request))
    return _ok({"Key": f"{row.bucket_id}/{row.name}", "Id": row.id})


# ---------------------------------------------------------------- signed URLs


@storage_view("POST", "GET", "HEAD", public=True)
def object_sign(request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
    if request.method == "POST":
        auth = _authenticate(request)
        url = objects.sign_one(auth, bucket_id, name, _json(request))
        return _ok({"signedURL": url})
    token = request.GET.get("token")
    return object_response(request, objects.find_signed(bucket_id, name, token))


@storage_view("POST")
def object_sign_many(request: HttpRequest, bucket_id: str) -> HttpResponse:
    return _ok(objects.sign_many(request.auth, bucket_id, _json(request)))


@storage_view("POST", "PUT", public=True)
def object_upload_sign(request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
    if request.method == "POST":
        auth = _authenticate(request)
        return _ok(objects.sign_upload(auth, bucket_id, name, upsert=_upsert(request)))
    row = objects.upload_signed(request, bucket_id, name)
    return _ok({"Key": f"{row.bucket_id}/{row.name}", "Id": row.id})


# ---------------------------------------------------------------- image transformations


def _render(
    request: HttpRequest, row: ObjectRow, options: images.TransformOptions
) -> HttpResponse:
    accept = request.META.get("HTTP_ACCEPT", "")
    return rendered_response(request, row, images.rendered(row, options, accept))


@storage_view("GET", "HEAD", public=True)
def render_public(request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
    options = images.parse_options(request.GET)
    return _render(request, objects.find_public(bucket_id, name), options)


@storage_view("GET", "HEAD")
def render_authenticated(
    request: HttpRequest, bucket_id: str, name: str
) -> HttpResponse:
    options = images.parse_options(request.GET)
    row = objects.find_for_read(request.auth, bucket_id, name)
    return _render(request, row, options)


@storage_view("GET", "HEAD", public=True)
def render_signed(request: HttpRequest, bucket_id: str, name: str) -> HttpResponse:
    token = request.GET.get("token")
    row, options = objects.find_signed_image(bucket_id, name, token)
    return _render(request, row, options)


ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


@storage_view(*ALL_METHODS, public=True)
def not_found(request: HttpRequest, **route: str) -> HttpResponse:
    """Any route KoyaLite does not serve: Storage's
    JSON 404, which both clients parse, not Django's HTML page."""
    raise errors.no_such_route(request.method, request.path)
