"""Admin pages of the admin dashboard."""

from __future__ import annotations

from django.contrib import admin

from admin_dashboard import operators, records  # noqa: F401 — they register pages
from admin_dashboard.sites import configure

configure(admin.site)
