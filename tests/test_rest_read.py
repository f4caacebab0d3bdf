"""Reads through /rest/v1 with the official supabase-py client."""

from __future__ import annotations

import pytest
from postgrest.exceptions import APIError

from tests.conftest import ALICE, BOB


def titles(rows):
    return [row["title"] for row in rows]


def test_service_role_reads_every_row_with_json_types(service):
    rows = service.table("todos").select("*").order("id").execute().data

    assert len(rows) == 5
    first = rows[0]
    assert first["title"] == "alice buys milk"
    assert first["done"] is False
    assert first["priority"] == 3
    assert first["tags"] == ["home", "shop"]
    assert first["data"] == {"size": 2, "store": {"name": "Coop"}}
    assert first["due"] == "2026-12-01"
    assert first["owner"] == ALICE
    assert first["created_at"].endswith("+00:00")


def test_select_columns_renames_and_casts(service):
    rows = (
        service.table("todos")
        .select("id,label:title,prio:priority::text,done::text")
        .eq("title", "alice buys milk")
        .execute()
        .data
    )

    assert rows == [{"id": 1, "label": "alice buys milk", "prio": "3", "done": "false"}]


def test_json_paths_select_and_filter(service):
    rows = (
        service.table("todos")
        .select("title,size:data->size,store:data->store->>name")
        .eq("data->>size", "2")
        .execute()
        .data
    )

    assert rows == [{"title": "alice buys milk", "size": 2, "store": "Coop"}]


@pytest.mark.parametrize(
    ("method", "args", "expected"),
    [
        ("eq", ("priority", 5), ["alice writes tests"]),
        (
            "neq",
            ("priority", 5),
            ["alice buys milk", "bob fixes bike", "bob 100% done"],
        ),
        ("gt", ("priority", 2), ["alice buys milk", "alice writes tests"]),
        (
            "gte",
            ("priority", 2),
            ["alice buys milk", "alice writes tests", "bob 100% done"],
        ),
        ("lt", ("priority", 2), ["bob fixes bike"]),
        ("lte", ("priority", 2), ["bob fixes bike", "bob 100% done"]),
        ("like", ("title", "alice*"), ["alice buys milk", "alice writes tests"]),
        (
            "ilike",
            ("title", "alice*"),
            ["alice buys milk", "alice writes tests", "Alice Plans Trip"],
        ),
        ("like", ("title", "%100\\%%"), ["bob 100% done"]),
        ("in_", ("priority", [1, 5]), ["alice writes tests", "bob fixes bike"]),
        ("is_", ("priority", "null"), ["Alice Plans Trip"]),
        ("contains", ("tags", ["home"]), ["alice buys milk", "bob fixes bike"]),
        (
            "contained_by",
            ("tags", ["home", "shop", "x"]),
            ["alice buys milk", "bob fixes bike"],
        ),
        (
            "overlaps",
            ("tags", ["work", "shop"]),
            ["alice buys milk", "alice writes tests"],
        ),
        ("contains", ("data", {"size": 5}), ["alice writes tests"]),
    ],
)
def test_filter_operators(service, method, args, expected):
    query = service.table("todos").select("title").order("id")

    rows = getattr(query, method)(*args).execute().data

    assert titles(rows) == expected


def test_match_and_imatch_use_regular_expressions(service):
    assert titles(
        service.table("todos")
        .select("title")
        .filter("title", "match", "^bob")
        .order("id")
        .execute()
        .data
    ) == [
        "bob fixes bike",
        "bob 100% done",
    ]
    assert titles(
        service.table("todos")
        .select("title")
        .filter("title", "imatch", "^alice p")
        .execute()
        .data
    ) == ["Alice Plans Trip"]


def test_not_and_isdistinct_keep_postgres_null_semantics(service):
    not_five = (
        service.table("todos")
        .select("title")
        .not_.eq("priority", 5)
        .order("id")
        .execute()
        .data
    )
    distinct = (
        service.table("todos")
        .select("title")
        .filter("priority", "isdistinct", "5")
        .order("id")
        .execute()
        .data
    )

    assert "Alice Plans Trip" not in titles(not_five)
    assert "Alice Plans Trip" in titles(distinct)
    assert len(distinct) == 4


def test_or_and_nested_logic(service):
    rows = (
        service.table("todos")
        .select("title")
        .or_("priority.eq.1,and(done.is.true,priority.gt.4)")
        .order("id")
        .execute()
        .data
    )

    assert titles(rows) == ["alice writes tests", "bob fixes bike"]


def test_order_puts_nulls_last_ascending_and_first_descending(service):
    ascending = (
        service.table("todos").select("priority").order("priority").execute().data
    )
    descending = (
        service.table("todos")
        .select("priority")
        .order("priority", desc=True)
        .execute()
        .data
    )
    nulls_last = (
        service.table("todos")
        .select("priority")
        .order("priority", desc=True, nullsfirst=False)
        .execute()
        .data
    )

    assert [r["priority"] for r in ascending] == [1, 2, 3, 5, None]
    assert [r["priority"] for r in descending] == [None, 5, 3, 2, 1]
    assert [r["priority"] for r in nulls_last] == [5, 3, 2, 1, None]


def test_order_on_several_columns(service):
    rows = (
        service.table("todos")
        .select("title")
        .order("done")
        .order("title", desc=True)
        .execute()
        .data
    )

    assert titles(rows) == [
        "bob fixes bike",
        "alice buys milk",
        "Alice Plans Trip",
        "bob 100% done",
        "alice writes tests",
    ]


def test_limit_offset_range_and_exact_count(service):
    response = (
        service.table("todos")
        .select("id", count="exact")
        .order("id")
        .range(1, 2)
        .execute()
    )

    assert [r["id"] for r in response.data] == [2, 3]
    assert response.count == 5


def test_count_only_with_head(service):
    response = service.table("todos").select("*", count="exact", head=True).execute()

    assert response.count == 5
    assert response.data == []


def test_single_returns_one_object(service):
    row = service.table("todos").select("title").eq("id", 2).single().execute().data

    assert row == {"title": "alice writes tests"}


def test_single_with_several_rows_is_pgrst116(service):
    with pytest.raises(APIError) as error:
        service.table("todos").select("title").single().execute()

    assert error.value.code == "PGRST116"


def test_maybe_single_with_no_row_returns_none(service):
    assert (
        service.table("todos").select("title").eq("id", 999).maybe_single().execute()
        is None
    )


def test_csv_output(live, rest):
    response = rest.get(
        "/todos?select=id,title,done&id=lte.2&order=id",
        headers={**live.headers(key=live.service_key), "Accept": "text/csv"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        response.text
        == "id,title,done\n1,alice buys milk,false\n2,alice writes tests,true\n"
    )


def test_range_header_and_partial_content(live, rest):
    response = rest.get(
        "/todos?select=id&order=id",
        headers={
            **live.headers(key=live.service_key),
            "Range": "0-1",
            "Prefer": "count=exact",
        },
    )

    assert response.status_code == 206
    assert response.headers["content-range"] == "0-1/5"
    assert response.json() == [{"id": 1}, {"id": 2}]


def test_offset_past_the_end_with_count_is_416(live, rest):
    response = rest.get(
        "/todos?select=id&offset=10",
        headers={**live.headers(key=live.service_key), "Prefer": "count=exact"},
    )

    assert response.status_code == 416
    assert response.json()["code"] == "PGRST103"


# ---------------------------------------------------------------- embedding


def test_embed_many_to_one_and_one_to_many(anon):
    rows = (
        anon.table("comments")
        .select("body,post:posts(title)")
        .eq("body", "first!")
        .execute()
        .data
    )
    posts = (
        anon.table("posts").select("title,comments(body)").eq("id", 1).execute().data
    )

    assert rows == [{"body": "first!", "post": {"title": "Hello"}}]
    # The hidden comment is filtered by the comments policy.
    assert posts == [
        {"title": "Hello", "comments": [{"body": "first!"}, {"body": "nice"}]}
    ]


def test_embed_many_to_many_through_junction(anon):
    rows = anon.table("posts").select("title,tags(name)").eq("id", 1).execute().data

    assert rows == [{"title": "Hello", "tags": [{"name": "sql"}, {"name": "http"}]}]


def test_embed_filters_order_and_limit(anon):
    rows = (
        anon.table("posts")
        .select("title,comments(body)")
        .eq("id", 1)
        .order("body", foreign_table="comments", desc=True)
        .limit(1, foreign_table="comments")
        .execute()
        .data
    )

    assert rows == [{"title": "Hello", "comments": [{"body": "nice"}]}]


def test_inner_embed_filters_parents(anon):
    rows = (
        anon.table("posts")
        .select("title,comments!inner(body)")
        .eq("comments.body", "who?")
        .execute()
        .data
    )
    left = (
        anon.table("posts")
        .select("title,comments(body)")
        .eq("comments.body", "who?")
        .order("id")
        .execute()
        .data
    )

    assert rows == [{"title": "Anonymous", "comments": [{"body": "who?"}]}]
    assert left == [
        {"title": "Hello", "comments": []},
        {"title": "Anonymous", "comments": [{"body": "who?"}]},
    ]


def test_embed_count(anon):
    rows = (
        anon.table("posts").select("title,comments(count)").order("id").execute().data
    )

    assert rows == [
        {"title": "Hello", "comments": [{"count": 2}]},
        {"title": "Anonymous", "comments": [{"count": 1}]},
    ]


def test_embed_by_column_and_constraint_hints(service):
    by_column = (
        service.table("orders")
        .select("id,billing:billing_address_id(city)")
        .execute()
        .data
    )
    by_hint = (
        service.table("orders")
        .select("id,shipping:addresses!orders_shipping_address_id_fkey(city)")
        .execute()
        .data
    )

    assert by_column == [{"id": 1, "billing": {"city": "Oslo"}}]
    assert by_hint == [{"id": 1, "shipping": {"city": "Rome"}}]


def test_ambiguous_embed_is_300_pgrst201(live, rest):
    response = rest.get(
        "/orders?select=*,addresses(*)", headers=live.headers(key=live.service_key)
    )

    assert response.status_code == 300
    body = response.json()
    assert body["code"] == "PGRST201"
    assert len(body["details"]) == 2


def test_self_reference_both_directions(service):
    manager = (
        service.table("employees")
        .select("name,manager:manager_id(name)")
        .eq("id", 4)
        .execute()
        .data
    )
    reports = (
        service.table("employees")
        .select("name,reports:employees!manager_id(name)")
        .eq("id", 1)
        .execute()
        .data
    )

    assert manager == [{"name": "Dev", "manager": {"name": "Brian"}}]
    assert reports == [
        {"name": "Ada", "reports": [{"name": "Brian"}, {"name": "Cleo"}]}
    ]


def test_embed_is_null_filter_is_an_anti_join(live, rest):
    response = rest.get(
        "/posts?select=title,comments(id)&comments=is.null&order=id",
        headers=live.headers(key=live.service_key),
    )

    assert response.json() == []
    response = rest.get(
        "/tags?select=name,posts(id)&posts=is.null",
        headers=live.headers(key=live.service_key),
    )
    assert response.json() == [{"name": "unused", "posts": []}]


def test_order_by_to_one_embed(live, rest):
    response = rest.get(
        "/comments?select=body,posts(title)&order=posts(title).desc,body&post_id=in.(1,3)",
        headers=live.headers(key=live.service_key),
    )

    assert [r["body"] for r in response.json()] == ["first!", "nice", "spam", "who?"]


def test_spread_to_one_embed(service):
    rows = (
        service.table("comments")
        .select("body,...posts(post_title:title)")
        .eq("body", "who?")
        .execute()
        .data
    )

    assert rows == [{"body": "who?", "post_title": "Anonymous"}]


def test_openapi_describes_tables(live, rest):
    response = rest.get("/", headers=live.headers())

    assert response.status_code == 200
    spec = response.json()
    assert spec["swagger"] == "2.0"
    assert "/todos" in spec["paths"]
    todo = spec["definitions"]["todos"]
    assert todo["properties"]["done"]["type"] == "boolean"
    assert set(todo["required"]) == {"owner", "title"}
    assert "auth_users" not in spec["definitions"]
    assert not any(name.startswith("django_") for name in spec["definitions"])


def test_internal_tables_are_not_exposed(live, rest):
    for table in ("auth_users", "django_session", "rls_policy", "django_migrations"):
        response = rest.get(f"/{table}", headers=live.headers(key=live.service_key))
        assert response.status_code == 404, table
        assert response.json()["code"] == "PGRST205"


def test_bob_reads_only_his_rows(bob):
    rows = bob.table("todos").select("owner").execute().data

    assert {r["owner"] for r in rows} == {BOB}


# ---------------------------------------------------------------- prepared shapes


def test_one_shape_with_different_values_returns_each_row(service):
    first = service.table("todos").select("title").eq("id", 1).execute().data
    second = service.table("todos").select("title").eq("id", 2).execute().data
    again = service.table("todos").select("title").eq("id", 1).execute().data

    assert first == again == [{"title": "alice buys milk"}]
    assert second == [{"title": "alice writes tests"}]


def test_bad_value_in_a_prepared_shape_is_still_22p02(live, rest):
    headers = live.headers(key=live.service_key)
    good = rest.get("/todos?select=id&id=eq.1", headers=headers)
    bad = rest.get("/todos?select=id&id=eq.one", headers=headers)

    assert good.json() == [{"id": 1}]
    assert bad.status_code == 400
    assert bad.json()["code"] == "22P02"


def test_prepared_shape_follows_the_role(live, rest):
    path = "/todos?select=id&id=eq.1"

    as_service = rest.get(path, headers=live.headers(key=live.service_key)).json()
    as_bob = rest.get(path, headers=live.headers(BOB)).json()
    as_alice = rest.get(path, headers=live.headers(ALICE)).json()

    assert as_service == as_alice == [{"id": 1}]
    assert as_bob == []


def test_prepared_shape_sees_schema_changes(live, rest):
    headers = live.headers(key=live.service_key)
    live.sql(
        "create table shifting (id integer primary key, a text); insert into shifting (a) values ('x');"
    )
    before = rest.get("/shifting?id=eq.1", headers=headers).json()
    live.sql("alter table shifting add column b text default 'new';")
    after = rest.get("/shifting?id=eq.1", headers=headers).json()

    assert before == [{"id": 1, "a": "x"}]
    assert after == [{"id": 1, "a": "x", "b": "new"}]


def test_encoded_values_and_json_paths_in_prepared_shapes(service):
    plus = (
        service.table("todos").select("id").eq("title", "bob 100% done").execute().data
    )
    path = service.table("todos").select("title").eq("data->>size", "5").execute().data

    assert plus == [{"id": 5}]
    assert path == [{"title": "alice writes tests"}]
