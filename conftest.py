"""Fixtures every test directory needs (tests/ and each app's tests/)."""

from __future__ import annotations

from importlib import import_module

import pytest

# Data migrations whose rows the code relies on: `seed(apps, schema_editor)`.
SEEDS = (
    "emails.migrations.0002_auth_templates",
    "emails.migrations.0003_webhook_alert_template",
)


@pytest.fixture(autouse=True)
def seeded_rows(request):
    """Put back what the data migrations seeded, for tests on the database.

    A transactional test (and every in-process live server test) ends by
    flushing every table, seeded rows included; the next test in the same
    process would find no auth email templates.
    """
    uses_database = (
        request.node.get_closest_marker("django_db") is not None
        or "_django_db_helper" in request.fixturenames
        or "live_server" in request.fixturenames
    )
    if not uses_database:
        return
    request.getfixturevalue("_django_db_helper")
    from django.apps import apps

    from emails.models import EmailTemplate

    if EmailTemplate.objects.filter(name__startswith="auth/").exists():
        return
    for module in SEEDS:
        import_module(module).seed(apps, None)
