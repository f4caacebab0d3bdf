"""The policy tester's verdicts come from the catalog, and it cannot hang."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.keys import ANON, Auth
from rls import tester
from rls.grammar import parse_policy_statement
from rls.services import execute_statement
from rls.tests.test_services import ALICE, current_schema, schema  # noqa: F401

pytestmark = pytest.mark.django_db

ALICE_AUTH = Auth("authenticated", ALICE, {"role": "authenticated", "sub": ALICE})


def run(sql: str) -> None:
    statement = parse_policy_statement(sql)
    assert statement is not None, sql
    execute_statement(statement, current_schema())


def test_rows_are_allowed_by_the_combined_predicate(schema):  # noqa: F811
    run("alter table todos enable row level security")
    run("create policy mine on todos for select using (user_id = auth.uid())")
    run("create policy open on todos for select using (is_public)")

    result = tester.explain_access("todos", "select", ALICE_AUTH)

    assert [(row.values["id"], row.allowed, row.verdicts) for row in result.rows] == [
        (1, True, (True, False)),
        (2, True, (True, True)),
        (3, False, (False, False)),
        (4, False, (False, False)),
    ]
    assert [p.name for p in result.using_policies] == ["mine", "open"]


def test_a_slow_policy_is_interrupted(schema, monkeypatch):  # noqa: F811
    with connection.cursor() as cursor:
        cursor.execute("create table big (id integer primary key)")
        cursor.execute(
            "with recursive n(i) as (select 1 union all select i + 1 from n "
            "where i < 3000) insert into big select i from n"
        )
    run("alter table todos enable row level security")
    run(
        "create policy slow on todos for select using (exists (select 1 from big a "
        "join big b on a.id + b.id = -1))"
    )
    monkeypatch.setattr(tester, "TIME_LIMIT_SECONDS", 0.05)

    with pytest.raises(tester.TesterTimeout) as error:
        tester.explain_access("todos", "select", ANON)

    assert str(error.value) == (
        "evaluating the policies took longer than 0.05 s; "
        "simplify the policy or its subqueries"
    )
