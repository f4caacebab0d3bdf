"""What operators and the API do to endpoints and deliveries: one place for
each rule, used by the HTTP API, the Studio and the admin.

Endpoints declared in SQL (`from_sql`) belong to their migration: their
settings change only through SQL. Their secret, switching them on again and
replaying their deliveries are not in the SQL, so those work on every endpoint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count, QuerySet
from django.utils import timezone

from database.executor import locked_atomic
from database.schema import SYSTEM_TABLES, system_table
from database.sqlscript.webhook_triggers import MAX_TIMEOUT_MS, METHODS
from koyalite.errors import KoyaError
from webhooks.errors import EndpointDeclaredInSql, InvalidEndpoint
from webhooks.models import EVENTS, Delivery, Endpoint, new_secret
from webhooks.targets import check_url

Status = Delivery.Status
SCHEMAS = ("public", "storage", "auth")
# Statuses of a delivery still on its way (the Studio's "waiting" filter).
WAITING = (Status.PENDING, Status.QUEUED, Status.SENDING)
# An RFC 9110 field name; a value may not break the header block.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\r\n\x00]")
_MAX_HEADERS = 50
_FAILURE_RECORD_CLEARED: dict[str, object] = {
    "disabled_reason": "",
    "consecutive_failures": 0,
    "failing_since": None,
    "circuit_open_until": None,
}


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    """What an operator sets on an endpoint, validated."""

    name: str
    url: str
    method: str = "POST"
    schema_name: str = "public"
    table_name: str = ""  # every table of the schema
    events: tuple[str, ...] = EVENTS
    row_filter: str = ""  # every row
    headers: dict[str, str] = field(default_factory=dict)
    timeout_ms: int = 5000
    owner_email: str = ""
    active: bool = True


FIELDS = tuple(EndpointSettings.__dataclass_fields__)


def settings_of(endpoint: Endpoint) -> EndpointSettings:
    return EndpointSettings(
        **{name: getattr(endpoint, name) for name in FIELDS if name != "events"},
        events=tuple(endpoint.events),
    )


def validate_endpoint(
    data: Mapping[str, object], *, endpoint: Endpoint | None = None
) -> EndpointSettings:
    """The settings `data` asks for, over `endpoint`'s current ones when it
    is given (a field left out keeps its value); raises `InvalidEndpoint`."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise InvalidEndpoint(f"unknown endpoint setting {unknown[0]!r}")
    base = asdict(settings_of(endpoint)) if endpoint is not None else {}
    raw = {**base, **data}
    name = _text(raw, "name", 255)
    if not name:
        raise InvalidEndpoint("an endpoint needs a name")
    taken = Endpoint.objects.filter(name=name)
    if endpoint is not None:
        taken = taken.exclude(pk=endpoint.pk)
    if taken.exists():
        raise InvalidEndpoint(f"a webhook endpoint named {name!r} already exists")
    url = _text(raw, "url", 2048)
    if not url:
        raise InvalidEndpoint("an endpoint needs a URL")
    try:
        check_url(url)
    except KoyaError as error:
        raise InvalidEndpoint(error.message) from None
    method = _text(raw, "method", 8, default="POST").upper()
    if method not in METHODS:
        raise InvalidEndpoint(f"method must be one of {', '.join(METHODS)}")
    schema_name = _text(raw, "schema_name", 63, default="public").lower()
    if schema_name not in SCHEMAS:
        raise InvalidEndpoint(f"schema must be one of {', '.join(SCHEMAS)}")
    table_name = _table(schema_name, _text(raw, "table_name", 255))
    return EndpointSettings(
        name=name,
        url=url,
        method=method,
        schema_name=schema_name,
        table_name=table_name,
        events=_events(raw.get("events", EVENTS)),
        row_filter=_row_filter(_text(raw, "row_filter", 1024), schema_name, table_name),
        headers=_headers(raw.get("headers", {})),
        timeout_ms=_timeout(raw.get("timeout_ms", 5000)),
        owner_email=_email(_text(raw, "owner_email", 254)),
        active=_boolean(raw.get("active", True), "active"),
    )


def create_endpoint(data: Mapping[str, object]) -> Endpoint:
    """A new endpoint with a fresh secret; it receives changes from now on."""
    with locked_atomic():
        chosen = validate_endpoint(data)
        endpoint = Endpoint(**_columns(chosen), secret=new_secret())
        endpoint.save()
    return endpoint


def update_endpoint(endpoint: Endpoint, data: Mapping[str, object]) -> Endpoint:
    """Change the settings `data` names; the rest keep their values. Switched
    on again, an endpoint's failure record is cleared, as `enable` does."""
    _refuse_sql(endpoint)
    with locked_atomic():
        # The worker changes the failure record and may switch the endpoint
        # off meanwhile: read it under the lock and write only what changes.
        endpoint.refresh_from_db()
        chosen = validate_endpoint(data, endpoint=endpoint)
        changes = _columns(chosen)
        if chosen.active and not endpoint.active:
            changes.update(_FAILURE_RECORD_CLEARED)
        for name, value in changes.items():
            setattr(endpoint, name, value)
        endpoint.save(update_fields=[*changes, "updated_at"])
    return endpoint


def delete_endpoint(endpoint: Endpoint) -> None:
    """Delete the endpoint, its deliveries and their attempts."""
    _refuse_sql(endpoint)
    with locked_atomic():
        Endpoint.objects.filter(pk=endpoint.pk).delete()


def rotate_secret(endpoint: Endpoint) -> str:
    """Give the endpoint a new signing secret; the next attempt uses it."""
    secret = new_secret()
    with locked_atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(
            secret=secret, updated_at=timezone.now()
        )
    endpoint.secret = secret
    return secret


def webhook_tables() -> dict[str, list[str]]:
    """Per schema, the tables an endpoint may watch: the user tables (not
    views, whose writes change their tables), storage's and auth's."""
    from database.executor import catalog

    schema, _ = catalog()
    found: dict[str, list[str]] = {name: [] for name in SCHEMAS}
    found["public"] = sorted(
        (t.name for t in schema.tables.values() if not t.is_view), key=str.casefold
    )
    for system in SYSTEM_TABLES:
        # cron's tables are views over the scheduler's: no change events.
        if system.schema in found:
            found[system.schema].append(system.name)
    return found


def with_delivery_counts(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    """The endpoints, each with `waiting` and `failed`: how many of its
    deliveries are so. Read through the status index, so succeeded
    deliveries, the bulk of them, are never counted."""
    waiting = _by_endpoint(Delivery.objects.filter(status__in=WAITING))
    failed = _by_endpoint(Delivery.objects.filter(status=Status.FAILED))
    found = list(endpoints)
    for endpoint in found:
        endpoint.waiting = waiting.get(endpoint.pk, 0)  # type: ignore[attr-defined]
        endpoint.failed = failed.get(endpoint.pk, 0)  # type: ignore[attr-defined]
    return found


def _by_endpoint(found: QuerySet[Delivery]) -> dict[int, int]:
    counted = found.order_by().values("endpoint_id").annotate(n=Count("id"))
    return {row["endpoint_id"]: row["n"] for row in counted}


def deliveries(
    endpoint: Endpoint | None = None, status: str = ""
) -> QuerySet[Delivery]:
    """Deliveries, newest first, of one endpoint or all; `status` is one of
    `Delivery.Status` or "waiting" ("" for any)."""
    found = Delivery.objects.select_related("endpoint")
    if endpoint is not None:
        found = found.filter(endpoint=endpoint)
    if status == "waiting":
        found = found.filter(status__in=WAITING)
    elif status:
        found = found.filter(status=status)
    return found.order_by("-created_at", "-event_id")


def _refuse_sql(endpoint: Endpoint) -> None:
    if endpoint.from_sql:
        raise EndpointDeclaredInSql(endpoint.name)


def _columns(chosen: EndpointSettings) -> dict[str, object]:
    columns = asdict(chosen)
    columns["events"] = list(chosen.events)
    return columns


def _text(raw: Mapping[str, object], name: str, limit: int, default: str = "") -> str:
    value = raw.get(name)
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidEndpoint(f"{name} must be a string")
    value = value.strip()
    if len(value) > limit:
        raise InvalidEndpoint(f"{name} is longer than {limit} characters")
    if "\x00" in value:
        raise InvalidEndpoint(f"{name} may not contain a NUL character")
    return value or default


def _table(schema_name: str, table: str) -> str:
    if not table:
        return ""
    if schema_name == "public":
        from database.executor import catalog

        info = catalog()[0].find_table(table)
        if info is not None and not info.is_view:
            return info.name
    else:
        system = system_table(schema_name, table)
        if system is not None:
            return system.name
    raise InvalidEndpoint(f"table {schema_name}.{table} does not exist")


def _events(value: object) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(e, str) for e in value
    ):
        raise InvalidEndpoint("events must be a list: INSERT, UPDATE, DELETE")
    chosen = {e.upper() for e in value}
    wrong = sorted(chosen - set(EVENTS))
    if wrong:
        raise InvalidEndpoint(
            f"{wrong[0]!r} is not an event; events are INSERT, UPDATE, DELETE"
        )
    if not chosen:
        raise InvalidEndpoint("choose at least one event: INSERT, UPDATE, DELETE")
    return tuple(e for e in EVENTS if e in chosen)


def _headers(value: object) -> dict[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except ValueError as error:
            raise InvalidEndpoint(f"headers are not valid JSON: {error}") from None
    if not isinstance(value, dict) or not all(
        isinstance(v, str) for v in value.values()
    ):
        raise InvalidEndpoint(
            'headers must be a JSON object of strings, e.g. {"Authorization": "Bearer …"}'
        )
    if len(value) > _MAX_HEADERS:
        raise InvalidEndpoint(f"an endpoint has at most {_MAX_HEADERS} headers")
    for name, text in value.items():
        if not _HEADER_NAME.fullmatch(name):
            raise InvalidEndpoint(f"{name!r} is not a valid header name")
        if _HEADER_VALUE_FORBIDDEN.search(text):
            raise InvalidEndpoint(
                f"the value of header {name!r} may not contain a line break"
            )
    return dict(value)


def _row_filter(text: str, schema_name: str, table_name: str) -> str:
    from database.executor import catalog
    from database.row_filter import InvalidRowFilter, parse

    try:
        parsed = parse(text)
    except InvalidRowFilter as error:
        raise InvalidEndpoint(error.message, hint=error.hint) from None
    if parsed is not None and schema_name == "public" and table_name:
        table = catalog()[0].table(table_name)
        if table is not None and parsed.column not in table.columns:
            raise InvalidEndpoint(
                f"row filter: table {table_name!r} has no column {parsed.column!r}"
            )
    return text.strip()


def _timeout(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 1 <= value <= MAX_TIMEOUT_MS
    ):
        raise InvalidEndpoint(f"timeout is whole milliseconds, 1 to {MAX_TIMEOUT_MS}")
    return value


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise InvalidEndpoint(f"{value!r} is not an email address") from None
    return value


def _boolean(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidEndpoint(f"{name} must be true or false")
    return value


def replay(deliveries: Iterable[Delivery]) -> int:
    """Send these deliveries again, now, under their own webhook-ids; a
    replay restarts the retry schedule. Deliveries in flight are left alone."""
    ids = [d.pk for d in deliveries]
    replayed = 0
    with locked_atomic():
        for delivery in Delivery.objects.filter(pk__in=ids).exclude(
            status__in=(Status.QUEUED, Status.SENDING)
        ):
            delivery.status = Status.PENDING
            delivery.next_attempt_at = timezone.now()
            delivery.replayed_after = delivery.attempts
            delivery.lease_until = None
            delivery.save(
                update_fields=[
                    "status",
                    "next_attempt_at",
                    "replayed_after",
                    "lease_until",
                ]
            )
            replayed += 1
    return replayed


def replay_failed(endpoint: Endpoint, since: datetime | None = None) -> int:
    """Bulk replay: every failed delivery of `endpoint` (made since `since`)."""
    found = Delivery.objects.filter(endpoint=endpoint, status=Status.FAILED)
    if since is not None:
        found = found.filter(created_at__gte=since)
    return replay(found)


def enable(endpoint: Endpoint) -> None:
    """Switch an endpoint on again, its failure record cleared."""
    with locked_atomic():
        Endpoint.objects.filter(pk=endpoint.pk).update(
            active=True, **_FAILURE_RECORD_CLEARED
        )


def counts_by_status() -> dict[str, int]:
    rows = Delivery.objects.values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}
