"""The Auth pages: app users (list, one user), auth settings, email templates.

Each page renders what its JSON twin in `studio.api.auth_users` returns; the
buttons on them call that twin.
"""

from __future__ import annotations

import json

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts import admin_users
from accounts.errors import InvalidUserId, UserNotFound, ValidationFailed
from accounts.users import is_banned
from studio.api.auth_users import (
    BAN_FOREVER,
    auth_settings,
    email_previews,
    page_number,
    user_detail,
    users_page,
)
from studio.permissions import operator_required

# Sub-pages of Auth, for the tabs at the top of each.
TABS = [
    ("Users", "studio:auth_users"),
    ("Settings", "studio:auth_settings"),
    ("Email templates", "studio:auth_templates"),
]


@operator_required
def user_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    try:
        number = page_number(request.GET.get("page"))
    except ValidationFailed:
        number = 1
    found = users_page(query, number)
    return render(
        request,
        "studio/auth_users.html",
        {"found": found, "query": query, "tabs": TABS, "tab": "studio:auth_users"},
    )


@operator_required
def user_page(request: HttpRequest, user_id: str) -> HttpResponse:
    try:
        found = admin_users.get_user(user_id)
    except (InvalidUserId, UserNotFound):
        raise Http404("No such user") from None
    user = user_detail(found)
    return render(
        request,
        "studio/auth_user.html",
        {
            "user": user,
            "api_user": reverse("studio:api_auth_user", args=[user["id"]]),
            "user_metadata": json.dumps(user["user_metadata"], indent=2),
            "app_metadata": json.dumps(user["app_metadata"], indent=2),
            # A ban that has run out is no ban: the page offers a new one.
            "banned_until": found.banned_until if is_banned(found) else None,
            "ban_forever": BAN_FOREVER,
            "tabs": TABS,
            "tab": "studio:auth_users",
        },
    )


@operator_required
def settings_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "studio/auth_settings.html",
        {"settings": auth_settings(), "tabs": TABS, "tab": "studio:auth_settings"},
    )


@operator_required
def templates_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "studio/auth_templates.html",
        {"previews": email_previews(), "tabs": TABS, "tab": "studio:auth_templates"},
    )
