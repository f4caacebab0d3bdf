"""The SQL editor page: CodeMirror, results, history and snippets.

The editor's text is the state worth sharing: `?run=<id>` re-opens a run from
the history and `?snippet=<id>` a saved snippet (the operator's own only).
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from database.schema import get_schema
from studio.models import SqlRun, SqlSnippet
from studio.permissions import operator_required


@operator_required
def page(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        schema = get_schema(cursor)
    completion = {name: list(t.columns) for name, t in sorted(schema.tables.items())}
    initial = ""
    snippet_id = None
    if (run := _own(SqlRun, request, "run")) is not None:
        initial = run.sql
    elif (snippet := _own(SqlSnippet, request, "snippet")) is not None:
        initial, snippet_id = snippet.sql, snippet.id
    return render(
        request,
        "studio/sql.html",
        {
            "editor_state": {
                "schema": completion,
                "sql": initial,
                "snippet": snippet_id,
            },
        },
    )


def _own(model, request: HttpRequest, key: str):
    value = request.GET.get(key, "")
    if not value.isdigit():
        return None
    return model.objects.filter(pk=int(value), operator=request.user).first()
