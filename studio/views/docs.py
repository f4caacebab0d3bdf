"""API docs pages: `/studio/docs/` (tables and auth snippets) and
`/studio/docs/<table>/` (columns and client snippets). JSON twins are in
`studio.api.docs`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from studio.api_docs import docs_index, table_doc
from studio.permissions import operator_required


@operator_required
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "studio/docs.html", {"docs": docs_index()})


@operator_required
def table(request: HttpRequest, table: str) -> HttpResponse:
    index = docs_index()
    return render(
        request,
        "studio/docs_table.html",
        {"docs": index, "table": table_doc(table)},
    )
