"""The user table as user SQL and policies see it."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection

from accounts.models import User
from database.runner import run_sql


@pytest.mark.django_db(transaction=True)
def test_user_ids_are_stored_as_canonical_dashed_text():
    user = User.objects.create_user(email="dash@example.com", password="x")

    with connection.cursor() as cursor:
        cursor.execute("select id from auth_users where email = 'dash@example.com'")
        stored = cursor.fetchone()[0]

    assert stored == str(user.id)
    assert len(stored) == 36 and stored.count("-") == 4
    assert User.objects.get(id=stored) == user
    assert User.objects.get(id=uuid.UUID(stored)) == user


@pytest.mark.django_db(transaction=True)
def test_user_tables_reference_users_and_cascade_on_delete():
    user = User.objects.create_user(email="cascade@example.com", password="x")
    run_sql(
        "create table diary (id integer primary key,"
        " owner uuid not null references auth.users(id) on delete cascade, body text);"
        f"insert into diary (owner, body) values ('{user.id}', 'dear diary');"
    )

    user.delete()

    with connection.cursor() as cursor:
        cursor.execute("select count(*) from diary")
        assert cursor.fetchone()[0] == 0
        cursor.execute("drop table diary")
