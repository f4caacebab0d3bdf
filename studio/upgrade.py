"""Detach Django's own apps from the app-user table on an older project.

Projects created before operators had their own table recorded Django admin's
and allauth's migrations against `accounts.User` as the user model. Django
refuses to migrate such a history (`InconsistentMigrationHistory`: admin's
first migration is applied, the operator table's is not). Those apps hold
nothing KoyaLite needs — the admin's change log of old staff rows, allauth's
unused account tables — so their tables are dropped and their migrations
forgotten, and the normal migrate recreates them against the operators.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

OPERATORS_MIGRATION = ("studio", "0001_initial")
# The only apps ever reset: their tables hold nothing a project needs. Any
# other app in this state is left for Django to report.
RESETTABLE = frozenset({"admin", "account", "socialaccount"})


def detach_apps_from_app_users() -> list[str]:
    """Reset the apps whose applied migrations need the operator table; return
    their labels."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    applied = recorder.applied_migrations()
    if OPERATORS_MIGRATION in applied:
        return []
    graph = MigrationLoader(connection, ignore_no_migrations=True).graph
    stale = sorted(
        {
            key[0]
            for key in applied
            if key[0] in RESETTABLE
            and key in graph.node_map
            and any(p.key[0] == "studio" for p in graph.node_map[key].parents)
        }
    )
    if not stale:
        return []
    tables = [
        model._meta.db_table
        for label in stale
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(table)}")
        # Sessions of staff rows name app-user ids; none may outlive the move.
        cursor.execute("DELETE FROM django_session")
    recorder.migration_qs.filter(app__in=stale).delete()
    return stale
