"""The audit log keeps operators' changes for KOYALITE_AUDIT_LOG_DAYS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from admin_dashboard import audit
from admin_dashboard.models import AuditEvent

pytestmark = pytest.mark.django_db


def _event(days_ago: float) -> int:
    event = AuditEvent.objects.create(method="POST", path="/studio/x", status=200)
    AuditEvent.objects.filter(pk=event.pk).update(
        at=timezone.now() - timedelta(days=days_ago)
    )
    return event.pk


@pytest.fixture(autouse=True)
def _due(monkeypatch):
    monkeypatch.setattr(audit, "_last_prune", float("-inf"))


def test_events_older_than_the_retention_are_deleted(settings):
    settings.AUDIT_LOG_DAYS = 30
    old, edge, recent = _event(45), _event(30.01), _event(29)

    audit.prune_tick()

    remaining = set(AuditEvent.objects.values_list("pk", flat=True))
    assert recent in remaining
    assert not remaining & {old, edge}


def test_zero_days_keeps_every_event(settings):
    settings.AUDIT_LOG_DAYS = 0
    old = _event(4000)

    audit.prune_tick()

    assert AuditEvent.objects.filter(pk=old).exists()


def test_the_log_is_pruned_at_most_once_an_hour(settings):
    settings.AUDIT_LOG_DAYS = 1
    audit.prune_tick()
    old = _event(2)

    audit.prune_tick()

    assert AuditEvent.objects.filter(pk=old).exists()
