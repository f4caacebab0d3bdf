"""The Django admin, tied to the Studio: operators sign in once, in the
Studio's sign-in (rate-limited, with the authenticator-app step), and the
admin's header links back to the Studio."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from admin_dashboard.dashboard import index_with_counts


def login(request: HttpRequest, extra_context=None) -> HttpResponse:
    if admin.site.has_permission(request):
        return admin.site.index(request)
    next_url = request.GET.get("next") or reverse("admin:index")
    return redirect_to_login(next_url, reverse("studio:login"))


def logout(request: HttpRequest, extra_context=None) -> HttpResponse:
    from studio.views.auth import logout_view

    return logout_view(request)


def configure(site: admin.AdminSite) -> None:
    site.site_header = "KoyaLite admin"
    site.site_title = "KoyaLite admin"
    site.index_title = "Dashboard"
    site.site_url = "/studio/"
    site.login = login
    site.logout = logout
    site.index_template = "admin_dashboard/index.html"
    site.index = index_with_counts(site.index)
