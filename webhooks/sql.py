"""Endpoints declared in SQL, the way Supabase's Studio writes database webhooks.

Called by `database.runner` inside the script's transaction: a script that
fails leaves no endpoint behind, and migrations carry webhooks into every
copy of the project.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

from database.errors import SqlScriptError
from database.schema import SchemaCache, system_table
from database.sqlscript.webhook_triggers import WebhookTrigger
from koyalite.errors import KoyaError
from webhooks.models import Endpoint
from webhooks.targets import check_url


def create_from_trigger(
    trigger: WebhookTrigger, schema: SchemaCache, number: int, line: int
) -> None:
    table = _table(trigger, schema)
    if table is None:
        raise SqlScriptError(
            number, line, f'relation "{trigger.schema}.{trigger.table}" does not exist'
        )
    try:
        check_url(trigger.url)
    except KoyaError as error:
        raise SqlScriptError(number, line, error.message) from error
    existing = Endpoint.objects.filter(name=trigger.name).first()
    if existing is not None and not (trigger.or_replace and existing.from_sql):
        raise SqlScriptError(
            number,
            line,
            f'trigger "{trigger.name}" for relation "{table}" already exists'
            if existing.from_sql
            else f'a webhook endpoint named "{trigger.name}" already exists',
        )
    endpoint = existing or Endpoint(name=trigger.name, from_sql=True)
    endpoint.url = _with_params(trigger.url, trigger.params)
    endpoint.method = trigger.method
    endpoint.headers = trigger.headers
    endpoint.timeout_ms = trigger.timeout_ms
    endpoint.schema_name = trigger.schema
    endpoint.table_name = table
    endpoint.events = list(trigger.events)
    endpoint.save()


def drop(name: str) -> bool:
    """Drop the SQL-declared endpoint `name`; False when there is none (the
    statement is then SQLite's own `drop trigger`)."""
    deleted, _ = Endpoint.objects.filter(name=name, from_sql=True).delete()
    return bool(deleted)


def _table(trigger: WebhookTrigger, schema: SchemaCache) -> str | None:
    if trigger.schema == "public":
        info = schema.find_table(trigger.table)
        return info.name if info is not None and not info.is_view else None
    system = system_table(trigger.schema, trigger.table)
    return system.name if system is not None else None


def _with_params(url: str, params: dict[str, str]) -> str:
    if not params:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
