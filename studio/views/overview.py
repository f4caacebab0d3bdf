"""The Studio's landing page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from studio.permissions import operator_required


@operator_required
def page(request: HttpRequest) -> HttpResponse:
    return render(request, "studio/overview.html")
