"""`run_sql(..., time_limit_ms=)`: a script past its limit stops, rolls back and
says it took too long; the connection is left without the handler."""

from __future__ import annotations

import time

import pytest

from database.errors import SqlTimeLimitExceeded
from database.runner import run_sql
from database.tests.conftest import user_tables

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("drop_user_tables"),
]

FOREVER = (
    "with recursive r(n) as (select 1 union all select n + 1 from r) "
    "select count(*) from r"
)


def test_runaway_statement_stops_and_rolls_back():
    started = time.monotonic()
    with pytest.raises(SqlTimeLimitExceeded) as raised:
        run_sql(f"create table tl_made (id int);\n{FOREVER};", time_limit_ms=200)

    assert time.monotonic() - started < 5
    assert (raised.value.number, raised.value.line) == (2, 2)
    assert "took too long" in raised.value.message
    assert "tl_made" not in user_tables()


def test_the_limit_ends_with_the_script():
    run_sql("select 1", time_limit_ms=50)
    time.sleep(0.1)  # past the first script's deadline on purpose

    [result] = run_sql("select 2")

    assert result.rows == ((2,),)


def test_a_quick_script_under_a_limit_commits():
    run_sql("create table tl_kept (id int)", time_limit_ms=5000)

    assert "tl_kept" in user_tables()
