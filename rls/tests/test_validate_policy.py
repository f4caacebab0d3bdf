"""`validate_policy` gives the verdict `create policy` gives, storing nothing."""

from __future__ import annotations

import pytest

from koyalite.errors import KoyaError
from rls.grammar import parse_policy_statement
from rls.models import Policy
from rls.services import validate_policy
from rls.tests.test_services import run, schema, version  # noqa: F401 (fixture)
from rls.types import CreatePolicy

pytestmark = pytest.mark.django_db

CREATE_STATEMENTS = [
    "create policy p on nothere using (true)",
    "create policy p on public_todos using (true)",
    "create policy p on todos for insert using (true)",
    "create policy p on todos for select with check (true)",
    "create policy p on todos for delete using (true) with check (true)",
    "create policy p on todos using (titel = 'x')",
    "create policy p on todos with check (is_member(team_id))",
    "create policy p on todos using (exists (select 1 from nothere))",
    "create policy p on todos using (user_id = auth.uid())",
    "create policy p on todos for update using (is_public) with check (task <> '')",
]


def _outcome(call) -> tuple[str, str] | None:
    try:
        call()
    except KoyaError as error:
        return (error.code, str(error))
    return None


@pytest.mark.parametrize("sql", CREATE_STATEMENTS)
def test_validate_policy_raises_what_create_policy_raises(schema, sql):  # noqa: F811
    statement = parse_policy_statement(sql)
    assert isinstance(statement, CreatePolicy)
    before = version()

    validated = _outcome(
        lambda: validate_policy(
            statement.table, statement.command, statement.using, statement.check, schema
        )
    )
    assert Policy.objects.count() == 0
    assert version() == before
    created = _outcome(lambda: run(sql, schema))

    assert validated == created
