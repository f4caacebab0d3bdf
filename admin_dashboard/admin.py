"""Admin pages of the admin dashboard."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group

from admin_dashboard import (  # noqa: F401 — they register pages
    audit_log,
    cron,
    operators,
    records,
    webhooks,
)
from admin_dashboard.sites import configure

configure(admin.site)
# Every operator may do everything: groups would grant nothing.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)
