"""The Studio's landing page: API URL and keys, tables, users, database files
and recent API errors. Its JSON twin is `studio.api.overview`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from studio.permissions import operator_required
from studio.project_info import overview


@operator_required
def page(request: HttpRequest) -> HttpResponse:
    # The service_role key is deliberately absent: the page fetches it from
    # POST /studio/api/keys/service only when the operator asks.
    return render(request, "studio/overview.html", {"overview": overview()})
