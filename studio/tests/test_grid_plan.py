"""The grid's reads seek through indexes: EXPLAIN QUERY PLAN of the SQL a grid
URL compiles to (the `/rest/v1` read path) uses them for `order` and `eq`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import RequestFactory

from database import services
from database.executor import bind, catalog, raw_connection
from database.runner import run_sql
from studio import grid

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def grid_big() -> Iterator[None]:
    run_sql(
        """
        create table grid_big (id integer primary key, score integer,
          label text, note text);
        create index grid_big_score on grid_big (score);
        insert into grid_big (score, label, note)
          with recursive n(value) as (
            select 1 union all select value + 1 from n where value < 2000
          )
          select value % 97, 'row ' || value, 'n' from n;
        """
    )
    yield
    with connection.cursor() as cursor:
        cursor.execute('drop table if exists "grid_big"')


def plan_of(query_string: str) -> str:
    request = RequestFactory().get("/studio/api/tables/grid_big/rows?" + query_string)
    read, auth, _, _ = grid.grid_request(request, "grid_big", query_string)
    schema, policies = catalog()
    sql = services.prepare_read(read, auth, schema, policies)
    rows = (
        raw_connection()
        .execute("EXPLAIN QUERY PLAN " + sql.text, bind(sql, auth))
        .fetchall()
    )
    return "\n".join(row[-1] for row in rows)


def test_order_by_an_indexed_column_walks_the_index(grid_big) -> None:
    plan = plan_of("order=score.desc&page=20")

    assert "USING INDEX grid_big_score" in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan


def test_order_by_the_primary_key_needs_no_sort(grid_big) -> None:
    plan = plan_of("order=id.asc&page=3")

    assert "TEMP B-TREE FOR ORDER BY" not in plan


def test_eq_filter_on_an_indexed_column_searches_the_index(grid_big) -> None:
    plan = plan_of("score=eq.5")

    assert "SEARCH" in plan
    assert "USING INDEX grid_big_score (score=?)" in plan


def test_order_by_an_unindexed_column_sorts(grid_big) -> None:
    plan = plan_of("order=label.asc")

    assert "USE TEMP B-TREE FOR ORDER BY" in plan


def test_grid_page_reads_the_right_rows_with_an_exact_count(grid_big) -> None:
    request = RequestFactory().get("/")

    page = grid.read_page(
        request, "grid_big", "score=eq.5&order=id.asc&per_page=5&page=2"
    )

    assert page.total == 21  # 2000 rows, score = value % 97 = 5
    assert [row["id"] for row in page.rows] == [490, 587, 684, 781, 878]
