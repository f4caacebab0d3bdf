"""The Policies page (tables, RLS, policy editor) and the Policy tester page.

Both render on the server from the functions their JSON twins in
`studio/api/policies.py` call; the URL's query string is the page's state.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from koyalite.errors import KoyaError
from studio import policies
from studio.permissions import operator_required


@operator_required
def page(request: HttpRequest) -> HttpResponse:
    tables = policies.list_tables()
    chosen = request.GET.get("table", "")
    shown = [t for t in tables if t.name == chosen] if chosen else tables
    editing = None
    name = request.GET.get("edit")
    if name:
        editing = next((p for t in shown for p in t.policies if p.name == name), None)
    form_table = editing.table if editing else chosen
    return render(
        request,
        "studio/policies.html",
        {
            "tables": tables,
            "shown": shown,
            "chosen": chosen,
            "editing": editing,
            "form_table": form_table,
            "commands": policies.COMMANDS,
            "roles": policies.ROLES,
            "form_roles": editing.roles if editing else ("public",),
        },
    )


@operator_required
def tester(request: HttpRequest) -> HttpResponse:
    query = request.GET
    context: dict[str, Any] = {
        "tables": policies.list_tables(),
        "operations": policies.OPERATIONS,
        "emails": policies.user_emails(),
        "caller": query.get("as", "anon"),
        "email": query.get("email", ""),
        "claims": query.get("claims", ""),
        "table": query.get("table", ""),
        "operation": query.get("operation", "select"),
        "row": query.get("row", ""),
    }
    if context["table"]:
        try:
            result = policies.run_tester(
                caller=policies.Caller(
                    context["caller"], context["email"], context["claims"]
                ),
                table=context["table"],
                operation=context["operation"],
                row=context["row"],
            )
        except KoyaError as error:
            context["error"] = error.message
        else:
            context["result"] = _rendered(result)
    return render(request, "studio/policy_tester.html", context)


def _rendered(result) -> dict[str, Any]:
    """The result as the template walks it: rows with named verdicts."""
    data = policies.explanation_json(result)
    columns = list(data["rows"][0]["values"]) if data["rows"] else []
    data["columns"] = columns
    for row in data["rows"]:
        row["cells"] = [row["values"][c] for c in columns]
        row["named_verdicts"] = list(row["verdicts"].items())
        if row["check"] is not None:
            row["check"]["named_verdicts"] = list(row["check"]["verdicts"].items())
    data["row_checks"] = result.command == "update" and any(
        row.check is not None for row in result.rows
    )
    if data["check"] is not None:
        data["check"]["named_verdicts"] = list(data["check"]["verdicts"].items())
        data["check"]["pairs"] = list(data["check"]["values"].items())
    return data
