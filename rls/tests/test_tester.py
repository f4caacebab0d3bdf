"""The policy tester's verdicts come from the catalog, and it cannot hang."""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.keys import ANON, Auth
from database.errors import ColumnNotFound
from rls import tester
from rls.grammar import parse_policy_statement
from rls.services import execute_statement
from rls.tests.test_services import (  # noqa: F401
    ALICE,
    BOB,
    current_schema,
    schema,
)

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


def test_an_update_checks_each_stored_row_with_the_pasted_columns_applied(
    schema,  # noqa: F811
):
    run("alter table todos enable row level security")
    run(
        "create policy edit_own on todos for update "
        "using (user_id = auth.uid()) with check (user_id = auth.uid())"
    )
    run(
        "create policy private_only on todos as restrictive for update "
        "using (true) with check (not is_public)"
    )

    result = tester.explain_access("todos", "update", ALICE_AUTH, {"task": "renamed"})

    assert result.check is None
    assert [(r.values["id"], r.allowed, r.verdicts) for r in result.rows] == [
        (1, True, (True, True)),
        (2, True, (True, True)),
        (3, False, (False, True)),
        (4, False, (False, True)),
    ]
    first, second, third, _fourth = result.rows
    assert first.check is not None and second.check is not None
    assert (first.check.allowed, first.check.verdicts) == (True, (True, True))
    assert (second.check.allowed, second.check.verdicts) == (False, (True, False))
    assert first.check.values["task"] == "renamed"
    assert first.values["task"] == "Alice's first"
    assert second.check.values["is_public"] == 1  # kept from the stored row
    assert "task" not in first.check.omitted and "id" in first.check.omitted
    assert third.check is None


def test_an_update_moving_a_row_to_someone_else_fails_its_check(
    schema,  # noqa: F811
):
    run("alter table todos enable row level security")
    run(
        "create policy edit_own on todos for update "
        "using (user_id = auth.uid()) with check (user_id = auth.uid())"
    )

    result = tester.explain_access("todos", "update", ALICE_AUTH, {"user_id": BOB})

    checks = {r.values["id"]: r.check for r in result.rows}
    assert [(i, c.allowed) for i, c in checks.items() if c is not None] == [
        (1, False),
        (2, False),
    ]
    assert checks[1] is not None and checks[1].values["user_id"] == BOB


def test_an_update_with_an_unknown_column_is_refused(schema):  # noqa: F811
    with pytest.raises(ColumnNotFound):
        tester.explain_access("todos", "update", ALICE_AUTH, {"nope": 1})
