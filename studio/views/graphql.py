"""The GraphQL page: GraphiQL on `/graphql/v1`, as the role the query string
names (`?role=anon|service_role|user&user=<id>`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User
from studio.permissions import operator_required

ROLES = ("service_role", "anon", "user")


@operator_required
def page(request: HttpRequest) -> HttpResponse:
    role = request.GET.get("role")
    if role not in ROLES:
        role = "service_role"
    chosen = request.GET.get("user", "")
    people = list(User.objects.order_by("email").values_list("id", "email")[:200])
    return render(
        request,
        "studio/graphql.html",
        {
            "role": role,
            "users": [(str(uid), email or str(uid)) for uid, email in people],
            "chosen": chosen,
            "graphql_state": {"role": role, "user": chosen},
        },
    )
