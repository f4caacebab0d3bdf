"""The Table editor's pages: the table list and one table's data grid.

Both render on the server from the same services as their JSON twins
(`studio/api/tables.py`); the grid then pages, sorts and filters through
`/studio/api/tables/<name>/rows` with the page's own query string.
"""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User
from studio import grid
from studio.api.tables import row_counts
from studio.permissions import operator_required

FILTER_OPERATORS = [
    ("eq", "equals"), ("neq", "not equal"), ("gt", "greater than"),
    ("gte", "greater or equal"), ("lt", "less than"), ("lte", "less or equal"),
    ("like", "like (case-sensitive, * wildcard)"), ("ilike", "ilike (* wildcard)"),
    ("match", "matches regex"), ("imatch", "matches regex, any case"),
    ("is", "is (null, true, false)"), ("in", "in (a,b,c)"),
    ("cs", "contains"), ("cd", "contained in"), ("ov", "overlaps"),
    ("fts", "full-text search"), ("plfts", "plain full-text"),
    ("phfts", "phrase full-text"), ("wfts", "web full-text"),
]  # fmt: skip


@operator_required
def table_list(request: HttpRequest) -> HttpResponse:
    tables = grid.user_tables()
    counts = row_counts(request, [t.name for t in tables])
    rows = [
        {"name": t.name, "is_view": t.is_view, "columns": len(t.columns),
         "rows": counts[t.name]}
        for t in tables
    ]  # fmt: skip
    return render(request, "studio/tables.html", {"tables": rows})


@operator_required
def table_page(request: HttpRequest, name: str) -> HttpResponse:
    try:
        info = grid.table_info(name)
    except grid.UnknownTable as error:
        raise Http404(str(error)) from None
    pairs, studio = grid.split_query(request.META.get("QUERY_STRING", ""))
    viewing_as = studio.get("as", "")
    viewer_email = ""
    if viewing_as and viewing_as != "anon":
        try:
            grid.viewer(viewing_as)  # an unknown user is an error, not service role
        except grid.UnknownUser as error:
            raise BadRequest(str(error)) from None
        viewer_email = (
            User.objects.filter(id=viewing_as).values_list("email", flat=True).first()
            or viewing_as
        )
    context = {
        "table": info,
        "columns": grid.column_metadata(info),
        "operators": FILTER_OPERATORS,
        "filters": [
            {"column": k, "expression": v}
            for k, v in pairs
            if k not in ("order", "select")
        ],
        "viewing_as": viewing_as,
        "viewer_email": viewer_email,
        "grid_config": {
            "table": info.name,
            "is_view": info.is_view,
            "primary_key": list(info.primary_key),
            "columns": grid.column_metadata(info),
            "viewing_as": viewing_as,
        },
    }
    return render(request, "studio/table.html", context)
