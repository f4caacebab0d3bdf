"""The Storage page: the buckets, and one bucket's folder with an object's
details beside it. The query string is the state (`path`, `search`, `page`,
`object`); the page renders from the functions its JSON twin
(`studio/api/storage.py`) calls, and its script calls that twin to change
things."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from storage.errors import StorageError
from storage.signing import MAX_EXPIRES_IN
from studio import storage_browser
from studio.permissions import operator_required

SIGNED_URL_EXPIRIES = [
    (60, "1 minute"),
    (3600, "1 hour"),
    (24 * 3600, "1 day"),
    (7 * 24 * 3600, "1 week"),
    (30 * 24 * 3600, "1 month"),
    (MAX_EXPIRES_IN, "1 year"),
]


def _context(**extra: Any) -> dict[str, Any]:
    return {
        "buckets": storage_browser.list_buckets(),
        "expiries": SIGNED_URL_EXPIRIES,
        **extra,
    }


@operator_required
def page(request: HttpRequest) -> HttpResponse:
    return render(request, "studio/storage.html", _context())


@operator_required
def bucket_page(request: HttpRequest, bucket_id: str) -> HttpResponse:
    try:
        folder = storage_browser.folder_page(bucket_id, request.GET)
    except StorageError as error:
        if error.status == 404:
            raise Http404(error.message) from None
        return render(
            request,
            "studio/storage.html",
            _context(page_error=error.message),
            status=error.status,
        )
    details, details_error, metadata = None, "", ""
    chosen = request.GET.get("object", "")
    if chosen:
        try:
            details = storage_browser.object_details(bucket_id, chosen)
            metadata = orjson.dumps(
                details["metadata"], option=orjson.OPT_INDENT_2
            ).decode()
        except StorageError as error:
            details_error = error.message
    return render(
        request,
        "studio/storage.html",
        _context(
            bucket=folder.bucket,
            folder=folder,
            crumbs=storage_browser.breadcrumbs(folder.path),
            details=details,
            details_error=details_error,
            metadata=metadata,
            here=_query(folder, folder.page),
            previous=_query(folder, folder.page - 1),
            next=_query(folder, folder.page + 1),
            config={"bucket": folder.bucket.as_json(), "path": folder.path},
        ),
    )


def _query(folder: storage_browser.FolderPage, page: int) -> str:
    """The query string of the folder's `page`, without the parts at defaults."""
    pairs = {
        "path": folder.path,
        "search": folder.search,
        "page": page if page > 1 else "",
        "per_page": ""
        if folder.per_page == storage_browser.DEFAULT_PER_PAGE
        else folder.per_page,
    }
    return urlencode({k: v for k, v in pairs.items() if v})
