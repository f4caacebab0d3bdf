"""The Logs page: recent API requests with filters in the query string. Its
JSON twin is `studio.api.logs`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from studio.logs import LogFilters, read_log
from studio.permissions import operator_required


@operator_required
def page(request: HttpRequest) -> HttpResponse:
    log_page = read_log(LogFilters.from_query(request.GET))
    return render(request, "studio/logs.html", {"log": log_page})
