"""The schema editor page: tables as `database.schema` sees them, and forms
that preview, run and save DDL through the JSON twin (studio.api.schema)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from studio import schema_editor as ddl
from studio.permissions import operator_required


@operator_required
def page(request: HttpRequest) -> HttpResponse:
    tables = ddl.describe()
    # ?table=<name> selects the table shown in detail, so it can be bookmarked.
    selected = next((t for t in tables if t["name"] == request.GET.get("table")), None)
    return render(
        request,
        "studio/schema.html",
        {
            "tables": tables,
            "selected": selected,
            "schema_state": {
                "tables": {
                    t["name"]: [c["name"] for c in t["columns"]] for t in tables
                },
                "types": ddl.TYPES,
                "change_types": ddl.CHANGE_TYPES,
                "default_expressions": ddl.DEFAULT_EXPRESSIONS,
                "on_delete": ddl.ON_DELETE,
                "selected": selected["name"] if selected else None,
            },
        },
    )
