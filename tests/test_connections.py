"""Connection hygiene between requests on SQLite."""

from __future__ import annotations

import pytest
from django.core import signals
from django.db import connection


@pytest.mark.django_db(transaction=True)
def test_a_transaction_left_open_by_a_request_is_rolled_back_when_it_ends():
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("create table scratch (id integer primary key)")
    raw.execute("BEGIN IMMEDIATE")
    raw.execute("insert into scratch default values")

    signals.request_finished.send(sender=None)

    assert not raw.in_transaction
    assert raw.execute("select count(*) from scratch").fetchone() == (0,)
    raw.execute("drop table scratch")


@pytest.mark.django_db(transaction=True)
def test_the_connection_survives_between_requests():
    connection.ensure_connection()
    before = connection.connection

    signals.request_started.send(sender=None)
    signals.request_finished.send(sender=None)

    assert connection.connection is before
