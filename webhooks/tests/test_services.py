"""Endpoint rules, in the one place the Studio and the admin both call."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from webhooks import services
from webhooks.errors import EndpointDeclaredInSql, InvalidEndpoint
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db(transaction=True)


def settings(**changes) -> dict:
    return {"name": "orders", "url": "http://127.0.0.1:1/hook", **changes}


def test_create_normalises_and_gives_a_fresh_secret():
    endpoint = services.create_endpoint(
        settings(
            method="put",
            schema_name="Storage",
            table_name="OBJECTS",
            events=["delete", "INSERT"],
            headers='{"Authorization": "Bearer t"}',
            timeout_ms="2500",
        )
    )

    endpoint.refresh_from_db()
    assert services.settings_of(endpoint) == services.EndpointSettings(
        name="orders",
        url="http://127.0.0.1:1/hook",
        method="PUT",
        schema_name="storage",
        table_name="objects",
        events=("INSERT", "DELETE"),
        headers={"Authorization": "Bearer t"},
        timeout_ms=2500,
    )
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.from_sql is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"url": "javascript:alert(1)"}, "is not an http or https URL"),
        ({"headers": "[1]"}, "JSON object of strings"),
        ({"table_name": "nope"}, "table public.nope does not exist"),
        (
            {"schema_name": "auth", "table_name": "sessions"},
            "auth.sessions does not exist",
        ),
        ({"timeout_ms": True}, "timeout is whole milliseconds"),
        ({"timeout_ms": 60_001}, "timeout is whole milliseconds, 1 to 60000"),
        ({"active": "yes"}, "active must be true or false"),
        ({"name": "x" * 256}, "name is longer than 255 characters"),
    ],
)
def test_bad_settings_are_refused_with_their_reason(changes, message):
    with pytest.raises(InvalidEndpoint, match=message):
        services.create_endpoint(settings(**changes))

    assert not Endpoint.objects.exists()


def test_update_keeps_what_it_does_not_name_and_names_stay_unique():
    services.create_endpoint(settings(name="taken"))
    endpoint = services.create_endpoint(settings(headers={"X-A": "1"}))

    services.update_endpoint(endpoint, {"url": "https://example.com/h"})
    with pytest.raises(InvalidEndpoint, match="named 'taken' already exists"):
        services.update_endpoint(endpoint, {"name": "taken"})

    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.url) == ("orders", "https://example.com/h")
    assert endpoint.headers == {"X-A": "1"}


def test_switching_on_in_an_edit_clears_the_failure_record():
    endpoint = services.create_endpoint(settings())
    Endpoint.objects.filter(pk=endpoint.pk).update(
        active=False,
        disabled_reason="every delivery failed for 120 hours",
        consecutive_failures=9,
        failing_since=timezone.now() - timedelta(days=5),
        circuit_open_until=timezone.now() + timedelta(hours=1),
    )
    endpoint.refresh_from_db()

    services.update_endpoint(endpoint, {"active": True})

    endpoint.refresh_from_db()
    assert endpoint.active is True
    assert endpoint.disabled_reason == ""
    assert endpoint.consecutive_failures == 0
    assert endpoint.failing_since is None
    assert endpoint.circuit_open_until is None


def test_endpoints_declared_in_sql_are_changed_by_sql_only():
    endpoint = Endpoint.objects.create(
        name="from_sql", url="http://127.0.0.1:1/", events=["INSERT"], from_sql=True
    )
    secret = endpoint.secret

    with pytest.raises(EndpointDeclaredInSql, match="declared in SQL"):
        services.update_endpoint(endpoint, {"url": "http://127.0.0.1:2/"})
    with pytest.raises(EndpointDeclaredInSql):
        services.delete_endpoint(endpoint)
    rotated = services.rotate_secret(endpoint)

    endpoint.refresh_from_db()
    assert endpoint.url == "http://127.0.0.1:1/"
    assert endpoint.secret == rotated != secret


@pytest.fixture
def admin(client, django_user_model):
    operator = django_user_model.objects.create_superuser(
        email="operator@example.com", password="operator password"
    )
    client.force_login(operator)
    return client


def admin_form(**changes) -> dict:
    return {
        "name": "from-admin",
        "url": "http://127.0.0.1:1/hook",
        "method": "POST",
        "schema_name": "auth",
        "table_name": "users",
        "events": ["INSERT"],
        "headers": "{}",
        "timeout_ms": "5000",
        "owner_email": "",
        "active": "on",
        **changes,
    }


def test_the_admin_adds_and_edits_through_the_services(admin):
    refused = admin.post(
        "/admin/webhooks/endpoint/add/", admin_form(headers='{"Bad Name": "x"}')
    )
    added = admin.post("/admin/webhooks/endpoint/add/", admin_form())
    endpoint = Endpoint.objects.get(name="from-admin")
    page = admin.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/")
    edited = admin.post(
        f"/admin/webhooks/endpoint/{endpoint.pk}/change/",
        admin_form(table_name="nope"),
    )

    assert "&#x27;Bad Name&#x27; is not a valid header name" in refused.text
    assert added.status_code == 302
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret not in page.text
    assert "table auth.nope does not exist" in edited.text


def test_the_admin_cannot_change_or_delete_an_endpoint_declared_in_sql(admin):
    endpoint = Endpoint.objects.create(
        name="sql", url="http://127.0.0.1:1/", events=["INSERT"], from_sql=True
    )

    admin.post(
        f"/admin/webhooks/endpoint/{endpoint.pk}/change/", admin_form(name="renamed")
    )
    admin.post(f"/admin/webhooks/endpoint/{endpoint.pk}/delete/", {"post": "yes"})

    endpoint.refresh_from_db()
    assert endpoint.name == "sql"


def test_delivery_counts_are_per_endpoint_and_status():
    first = services.create_endpoint(settings(name="first"))
    second = services.create_endpoint(settings(name="second"))
    statuses = {
        first: ["pending", "queued", "sending", "failed", "succeeded"],
        second: ["failed", "failed"],
    }
    for endpoint, found in statuses.items():
        for number, status in enumerate(found, start=1):
            Delivery.objects.create(
                endpoint=endpoint,
                event_id=number,
                row_key=f"public.t:[{number}]",
                event_type="INSERT",
                payload=b"{}",
                status=status,
            )
    services.create_endpoint(settings(name="third"))

    counted = services.with_delivery_counts(Endpoint.objects.all())

    assert [(e.name, e.waiting, e.failed) for e in counted] == [
        ("first", 3, 1),
        ("second", 0, 2),
        ("third", 0, 0),
    ]
