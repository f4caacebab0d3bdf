"""/graphql/v1 against a live server: pg_graphql's schema, arguments and
shapes, mutations with atMost, and errors, over raw HTTP and the gql client."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.conftest import ALICE, BOB, copy_project, start_server, stop_server


@pytest.fixture(scope="module")
def gql_live(graphql_template, tmp_path_factory):
    """A server of its own: the mutations here change its rows."""
    server = start_server(
        copy_project(graphql_template, tmp_path_factory.mktemp("graphql"))
    )
    yield server
    stop_server(server)


def run(server, query, variables=None, user=None, key=None, **extra):
    response = httpx.post(
        f"{server.url}/graphql/v1",
        json={"query": query, "variables": variables, **extra},
        headers=server.headers(user, key),
        timeout=20,
    )
    assert response.status_code == 200, response.text
    return response.json()


def data(server, query, variables=None, user=None, key=None):
    body = run(server, query, variables, user, key)
    assert "errors" not in body, body
    return body["data"]


def error(server, query, variables=None, user=None, key=None) -> str:
    body = run(server, query, variables, user, key)
    assert body["data"] is None, body
    return body["errors"][0]["message"]


def ids(connection):
    """Row ids as text, so that lists read alike whatever the key's scalar."""
    return [str(edge["node"]["id"]) for edge in connection["edges"]]


def b64(value) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


def test_collection_returns_a_connection_in_primary_key_order(gql_live):
    result = data(
        gql_live,
        "{ postsCollection { totalCount edges { cursor node { nodeId id title } }"
        " pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }",
    )

    assert result == {
        "postsCollection": {
            "totalCount": 2,
            "edges": [
                {
                    "cursor": "WzFd",
                    "node": {
                        "nodeId": b64(["public", "posts", 1]),
                        "id": 1,
                        "title": "Hello",
                    },
                },
                {
                    "cursor": "WzNd",
                    "node": {
                        "nodeId": b64(["public", "posts", 3]),
                        "id": 3,
                        "title": "Anonymous",
                    },
                },
            ],
            "pageInfo": {
                "hasNextPage": False,
                "hasPreviousPage": False,
                "startCursor": "WzFd",
                "endCursor": "WzNd",
            },
        }
    }


def test_scalars_serialise_as_pg_graphql_does(gql_live):
    result = data(
        gql_live,
        "{ todosCollection(filter: {id: {eq: 1}}) { edges { node { id title done tags data due } } } }",
        user=ALICE,
    )

    node = result["todosCollection"]["edges"][0]["node"]
    # An identity key is SQLite's rowid (Int); jsonb is a string of JSON.
    assert node == {
        "id": 1,
        "title": "alice buys milk",
        "done": False,
        "tags": ["home", "shop"],
        "data": '{"size": 2, "store": {"name": "Coop"}}',
        "due": "2026-12-01",
    }


def test_nested_to_many_and_to_one(gql_live):
    result = data(
        gql_live,
        "{ postsCollection(filter: {id: {eq: 1}}) { edges { node { title"
        " commentsCollection(orderBy: [{id: DescNullsLast}]) { totalCount edges { node { body posts { title } } } }"
        " } } } }",
    )

    comments = result["postsCollection"]["edges"][0]["node"]["commentsCollection"]
    assert comments == {
        "totalCount": 2,
        "edges": [
            {"node": {"body": "nice", "posts": {"title": "Hello"}}},
            {"node": {"body": "first!", "posts": {"title": "Hello"}}},
        ],
    }


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ("{id: {eq: 1}}", ["1"]),
        ("{id: {neq: 1}}", ["2", "3"]),
        ("{id: {gt: 1}}", ["2", "3"]),
        ("{id: {gte: 2}}", ["2", "3"]),
        ("{id: {lt: 2}}", ["1"]),
        ("{id: {lte: 2}}", ["1", "2"]),
        ("{id: {in: [1, 3]}}", ["1", "3"]),
        ("{priority: {is: NULL}}", ["3"]),
        ("{priority: {is: NOT_NULL}}", ["1", "2"]),
        ('{title: {like: "alice%"}}', ["1", "2"]),
        ('{title: {ilike: "ALICE%"}}', ["1", "2", "3"]),
        ('{title: {startsWith: "Alice"}}', ["3"]),
        ('{title: {regex: "^a.*s$"}}', ["2"]),
        ('{title: {iregex: "TRIP$"}}', ["3"]),
        ('{tags: {contains: ["home"]}}', ["1"]),
        ('{tags: {containedBy: ["work", "home"]}}', ["2"]),
        ('{tags: {overlaps: ["work", "shop"]}}', ["1", "2"]),
        ("{done: {eq: true}}", ["2"]),
        ('{due: {gt: "2027-01-01"}}', ["3"]),
        ("{and: [{done: {eq: false}}, {priority: {gt: 1}}]}", ["1"]),
        ("{or: [{id: {eq: 1}}, {id: {eq: 3}}]}", ["1", "3"]),
        ("{not: {id: {eq: 1}}}", ["2", "3"]),
        ("{and: [], or: [], not: {}}", ["1", "2", "3"]),
        (f'{{nodeId: {{eq: "{b64(["public", "todos", 2])}"}}}}', ["2"]),
        (f'{{nodeId: {{eq: "{b64(["public", "posts", 2])}"}}}}', []),
    ],
)
def test_filters(gql_live, filter_, expected):
    result = data(
        gql_live,
        f"{{ todosCollection(filter: {filter_}) {{ edges {{ node {{ id }} }} }} }}",
        user=ALICE,
    )

    assert ids(result["todosCollection"]) == expected


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("[{priority: AscNullsFirst}]", ["3", "1", "2"]),
        ("[{priority: AscNullsLast}]", ["1", "2", "3"]),
        ("[{priority: DescNullsFirst}]", ["3", "2", "1"]),
        ("[{priority: DescNullsLast}]", ["2", "1", "3"]),
        ("[{done: DescNullsLast}, {id: DescNullsLast}]", ["2", "3", "1"]),
    ],
)
def test_order_by(gql_live, order, expected):
    result = data(
        gql_live,
        f"{{ todosCollection(orderBy: {order}) {{ edges {{ node {{ id }} }} }} }}",
        user=ALICE,
    )

    assert ids(result["todosCollection"]) == expected


PAGE = (
    "query($first: Int, $last: Int, $after: Cursor, $before: Cursor, $offset: Int) {"
    " todosCollection(first: $first, last: $last, after: $after, before: $before,"
    " offset: $offset, orderBy: [{priority: AscNullsLast}]) {"
    " edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"
)


def page(server, **variables):
    return data(server, PAGE, variables, user=ALICE)["todosCollection"]


def test_cursor_paging_forwards(gql_live):
    first = page(gql_live, first=2)
    second = page(gql_live, first=2, after=first["pageInfo"]["endCursor"])

    assert ids(first) == ["1", "2"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert ids(second) == ["3"]
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert second["pageInfo"]["startCursor"] == second["edges"][0]["cursor"]


def test_cursor_paging_backwards(gql_live):
    last = page(gql_live, last=2)
    before = page(gql_live, last=2, before=last["pageInfo"]["startCursor"])

    assert ids(last) == ["2", "3"]
    assert last["pageInfo"]["hasPreviousPage"] is True
    assert last["pageInfo"]["hasNextPage"] is False
    assert ids(before) == ["1"]
    assert before["pageInfo"]["hasPreviousPage"] is False
    assert before["pageInfo"]["startCursor"] == before["pageInfo"]["endCursor"]


def test_offset_paging(gql_live):
    result = page(gql_live, first=1, offset=1)

    assert ids(result) == ["2"]
    assert result["pageInfo"]["hasPreviousPage"] is True
    assert result["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ("", list(range(1, 31))),
        ("first: 35", list(range(1, 31))),
        ("first: 2147483647", list(range(1, 31))),
        ("last: 35", list(range(11, 41))),
        ("first: 35, offset: 20", list(range(21, 41))),
        ("first: 5", list(range(1, 6))),
    ],
)
def test_a_page_holds_at_most_max_rows_whatever_is_asked(gql_live, arguments, expected):
    """pg_graphql pages min(first or last, max_rows) rows, without an error."""
    query = "{ numbersCollection%s { edges { node { id } } pageInfo { hasNextPage } } }"
    result = data(gql_live, query % (f"({arguments})" if arguments else ""))

    page = result["numbersCollection"]
    assert [int(i) for i in ids(page)] == expected
    assert page["pageInfo"]["hasNextPage"] is (expected[-1] < 40)


def b64_bytes(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("first: 1, last: 1", 'only one of "first" and "last" may be provided'),
        (
            'after: "WzFd", before: "WzFd"',
            'only one of "before" and "after" may be provided',
        ),
        ('first: 1, before: "WzFd"', '"first" may only be used with "after"'),
        ('last: 1, after: "WzFd"', '"last" may only be used with "before"'),
        ("last: 1, offset: 1", '"offset" may only be used with "first" and "after"'),
        ("first: -1", "`first` must be an unsigned integer"),
        ("last: -1", "`last` must be an unsigned integer"),
        ("offset: -1", "`offset` must be an unsigned integer"),
        ("first: -1, last: -1", "`first` must be an unsigned integer"),
        ('after: "not a cursor"', "Failed to decode cursor, error 1"),
        (f'after: "{b64_bytes(bytes([255]))}"', "Failed to decode cursor, error 2"),
        (f'before: "{b64_bytes(b"not json")}"', "Failed to decode cursor, error 3"),
        (f'after: "{b64_bytes(b"{}")}"', "Failed to decode cursor, error 4"),
        # Cursors are read before the arguments are checked together.
        ('first: 1, last: 1, after: "?"', "Failed to decode cursor, error 1"),
        ('after: "WzEsMiwzXQ=="', "orderBy clause incompatible with pagination cursor"),
    ],
)
def test_paging_argument_errors(gql_live, arguments, message):
    assert (
        error(gql_live, f"{{ todosCollection({arguments}) {{ totalCount }} }}")
        == message
    )


def test_variables_fragments_and_aliases(gql_live):
    result = data(
        gql_live,
        """
        query Titles($id: Int!) {
          mine: todosCollection(filter: {id: {eq: $id}}) { edges { node { ...todo } } }
          all: todosCollection { count: totalCount }
        }
        fragment todo on todos { key: id title __typename }
        """,
        {"id": 2},
        user=ALICE,
    )

    assert result == {
        "mine": {
            "edges": [
                {
                    "node": {
                        "key": 2,
                        "title": "alice writes tests",
                        "__typename": "todos",
                    }
                }
            ]
        },
        "all": {"count": 3},
    }


def test_node_by_node_id(gql_live):
    node_id = b64(["public", "posts", 1])

    result = data(
        gql_live,
        f'{{ node(nodeId: "{node_id}") {{ nodeId ... on posts {{ title }} }} }}',
    )
    hidden = data(
        gql_live, f'{{ node(nodeId: "{b64(["public", "posts", 2])}") {{ nodeId }} }}'
    )

    assert result == {"node": {"nodeId": node_id, "title": "Hello"}}
    assert hidden == {"node": None}  # the draft is not published: RLS hides it
    assert error(gql_live, '{ node(nodeId: "garbage") { nodeId } }') == (
        "Invalid value passed to nodeId argument"
    )


def test_typename_at_every_level(gql_live):
    result = data(
        gql_live,
        "{ __typename postsCollection(first: 1) { __typename pageInfo { __typename }"
        " edges { __typename node { __typename } } } }",
    )

    assert result == {
        "__typename": "Query",
        "postsCollection": {
            "__typename": "postsConnection",
            "pageInfo": {"__typename": "PageInfo"},
            "edges": [{"__typename": "postsEdge", "node": {"__typename": "posts"}}],
        },
    }


def test_introspection_names_pg_graphql_types(gql_live):
    result = data(
        gql_live,
        '{ __type(name: "todosFilter") { inputFields { name } } }',
    )

    names = [field["name"] for field in result["__type"]["inputFields"]]
    assert names[:3] == ["nodeId", "id", "owner"]
    assert names[-3:] == ["and", "or", "not"]


def test_insert_update_delete_with_at_most(gql_live):
    inserted = data(
        gql_live,
        "mutation($objects: [todosInsertInput!]!) { insertIntotodosCollection(objects: $objects)"
        " { affectedCount records { title owner } } }",
        {
            "objects": [
                {"title": "gql one", "owner": BOB},
                {"title": "gql two", "owner": BOB},
            ]
        },
        user=BOB,
    )
    too_many = error(
        gql_live,
        'mutation { updatetodosCollection(set: {done: true}, filter: {title: {startsWith: "gql"}}) { affectedCount } }',
        user=BOB,
    )
    updated = data(
        gql_live,
        'mutation { updatetodosCollection(set: {done: true}, filter: {title: {startsWith: "gql"}}, atMost: 2)'
        " { affectedCount records { title done } } }",
        user=BOB,
    )
    refused_delete = error(
        gql_live,
        'mutation { deleteFromtodosCollection(filter: {title: {startsWith: "gql"}}) { affectedCount } }',
        user=BOB,
    )
    deleted = data(
        gql_live,
        'mutation { deleteFromtodosCollection(filter: {title: {startsWith: "gql"}}, atMost: 5)'
        " { affectedCount records { title } } }",
        user=BOB,
    )

    assert inserted == {
        "insertIntotodosCollection": {
            "affectedCount": 2,
            "records": [
                {"title": "gql one", "owner": BOB},
                {"title": "gql two", "owner": BOB},
            ],
        }
    }
    assert too_many == "update impacts too many records"
    assert updated["updatetodosCollection"] == {
        "affectedCount": 2,
        "records": [
            {"title": "gql one", "done": True},
            {"title": "gql two", "done": True},
        ],
    }
    assert refused_delete == "delete impacts too many records"
    assert deleted["deleteFromtodosCollection"]["affectedCount"] == 2


def test_mutation_argument_errors(gql_live):
    assert (
        error(
            gql_live,
            "mutation { insertIntotodosCollection(objects: []) { affectedCount } }",
            user=ALICE,
        )
        == "At least one record must be provided to objects"
    )
    assert (
        error(
            gql_live,
            "mutation { updatetodosCollection(set: {}) { affectedCount } }",
            user=ALICE,
        )
        == "At least one mapping must be provided to set argument"
    )


def test_mutations_are_refused_over_get(gql_live):
    response = httpx.get(
        f"{gql_live.url}/graphql/v1",
        params={"query": "mutation { deleteFromtodosCollection { affectedCount } }"},
        headers=gql_live.headers(),
    )

    assert (
        response.json()["errors"][0]["message"] == "Mutations are not allowed over GET"
    )


def test_queries_over_get(gql_live):
    response = httpx.get(
        f"{gql_live.url}/graphql/v1",
        params={
            "query": "query($n: Int) { postsCollection(first: $n) { edges { node { id } } } }",
            "variables": '{"n": 1}',
        },
        headers=gql_live.headers(),
    )

    assert response.json() == {
        "data": {"postsCollection": {"edges": [{"node": {"id": 1}}]}}
    }


def test_missing_apikey_is_401(gql_live):
    response = httpx.post(
        f"{gql_live.url}/graphql/v1", json={"query": "{ __typename }"}
    )

    assert response.status_code == 401
    assert response.json()["message"] == "No API key found in request"


def test_gql_client_runs_queries_with_variables(gql_live):
    from gql import Client, gql
    from gql.transport.httpx import HTTPXTransport

    transport = HTTPXTransport(
        url=f"{gql_live.url}/graphql/v1", headers=gql_live.headers(ALICE)
    )
    with Client(transport=transport, fetch_schema_from_transport=True) as session:
        result = session.execute(
            gql(
                "query($done: Boolean) { todosCollection(filter: {done: {eq: $done}}) { edges { node { title } } } }"
            ),
            variable_values={"done": True},
        )

    assert result == {
        "todosCollection": {"edges": [{"node": {"title": "alice writes tests"}}]}
    }


def test_mutations_record_outbox_events_and_rolled_back_ones_none(gql_live):
    import sqlite3

    def events(after: int) -> list[tuple]:
        path = gql_live.project / "koyalite.sqlite3"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute(
                "SELECT table_name, type, json_extract(record, '$.title') FROM koyalite_outbox"
                " WHERE id > ? ORDER BY id",
                (after,),
            ).fetchall()

    path = gql_live.project / "koyalite.sqlite3"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        start = db.execute(
            "SELECT coalesce(max(id), 0) FROM koyalite_outbox"
        ).fetchone()[0]

    data(
        gql_live,
        f'mutation {{ insertIntotodosCollection(objects: [{{title: "evented", owner: "{BOB}"}}]) {{ affectedCount }} }}',
        user=BOB,
    )
    refused = error(
        gql_live,
        "mutation { updatetodosCollection(set: {priority: 7}) { affectedCount } }",
        user=BOB,
    )
    data(
        gql_live,
        'mutation { deleteFromtodosCollection(filter: {title: {eq: "evented"}}) { affectedCount } }',
        user=BOB,
    )

    assert refused == "update impacts too many records"
    assert events(start) == [
        ("todos", "INSERT", "evented"),
        ("todos", "DELETE", None),
    ]


# ---------------------------------------------------------------- self-references


def test_a_self_reference_gives_a_to_one_and_a_collection_named_as_pg_graphql(
    gql_live,
):
    result = data(
        gql_live,
        '{ categories: __type(name: "categories") { fields { name type { name ofType { name } } } }'
        ' folders: __type(name: "folders") { fields { name type { name ofType { name } } } } }',
    )

    def relations(type_):
        return {
            field["name"]: field["type"]["name"] or field["type"]["ofType"]["name"]
            for field in type_["fields"]
            if field["name"] in ("categories", "categoriesCollection", "parent")
            or field["name"].endswith("Collection")
        }

    # `parent_id` keeps no `Id` to drop, so the to-one is named after the table.
    assert relations(result["categories"]) == {
        "categories": "categories",
        "categoriesCollection": "categoriesConnection",
    }
    assert relations(result["folders"]) == {
        "parent": "folders",
        "foldersCollection": "foldersConnection",
    }


TREE = (
    "{ categoriesCollection(filter: {parent_id: {is: NULL}}) { edges { node { name"
    " categoriesCollection { totalCount edges { node { name categories { name }"
    " categoriesCollection(orderBy: [{id: DescNullsLast}]) { totalCount edges { node { name"
    " } } } } } } } } } }"
)


def names(connection) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


def test_a_tree_nests_through_its_own_foreign_key(gql_live):
    result = data(gql_live, TREE, key=gql_live.service_key)
    below_books = data(
        gql_live,
        '{ categoriesCollection(filter: {name: {eq: "books"}}) { edges { node {'
        " categoriesCollection { edges { node { name categoriesCollection { edges { node {"
        " name } } } } } } } } } }",
        key=gql_live.service_key,
    )

    [root] = result["categoriesCollection"]["edges"]
    children = root["node"]["categoriesCollection"]
    assert root["node"]["name"] == "root"
    assert children["totalCount"] == 2
    assert names(children) == ["books", "music"]
    books, music = (edge["node"] for edge in children["edges"])
    assert books["categories"] == {"name": "root"}
    assert names(books["categoriesCollection"]) == ["poetry", "novels"]
    assert names(music["categoriesCollection"]) == ["bob's mix", "jazz"]
    [novels, poetry] = below_books["categoriesCollection"]["edges"][0]["node"][
        "categoriesCollection"
    ]["edges"]
    assert names(poetry["node"]["categoriesCollection"]) == ["drafts"]
    assert names(novels["node"]["categoriesCollection"]) == ["sci-fi"]


def test_nesting_deeper_than_sqlite_parses_is_a_clear_error(gql_live):
    level = "categoriesCollection { totalCount edges { node { name %s } } }"
    parents = "categories { name categories { name categories { name } } }"
    query = "{ " + level % (level % (level % (level % parents))) + " }"

    assert error(gql_live, query, key=gql_live.service_key) == (
        "The request nests embedded resources too deeply for SQLite to parse"
    )


def test_a_nested_self_collection_takes_its_own_filter_and_paging(gql_live):
    result = data(
        gql_live,
        '{ categoriesCollection(filter: {name: {eq: "root"}}) { edges { node {'
        " all: categoriesCollection { totalCount }"
        ' books: categoriesCollection(filter: {name: {startsWith: "b"}}) { totalCount edges { node { name } } }'
        " last: categoriesCollection(last: 1) { edges { node { name } } pageInfo { hasPreviousPage } }"
        " } } } }",
        key=gql_live.service_key,
    )

    node = result["categoriesCollection"]["edges"][0]["node"]
    assert node["all"] == {"totalCount": 2}
    assert node["books"] == {
        "totalCount": 1,
        "edges": [{"node": {"name": "books"}}],
    }
    assert node["last"] == {
        "edges": [{"node": {"name": "music"}}],
        "pageInfo": {"hasPreviousPage": True},
    }


def test_a_camel_case_self_reference_reads_both_ways(gql_live):
    result = data(
        gql_live,
        "{ foldersCollection(filter: {id: {eq: 2}}) { edges { node { name"
        " parent { name foldersCollection { edges { node { name parent { name } } } } }"
        " } } } }",
        key=gql_live.service_key,
    )

    assert result["foldersCollection"]["edges"][0]["node"] == {
        "name": "docs",
        "parent": {
            "name": "home",
            "foldersCollection": {
                "edges": [
                    {"node": {"name": "docs", "parent": {"name": "home"}}},
                    {"node": {"name": "photos", "parent": {"name": "home"}}},
                ]
            },
        },
    }


# ---------------------------------------------------------------- aggregate


def test_aggregate_computes_over_every_matching_row(gql_live):
    result = data(
        gql_live,
        "{ categoriesCollection(first: 1) { edges { node { id } } aggregate { __typename count"
        " sum { id rank weight } avg { rank weight } min { name rank weight added is_public }"
        " max { name rank weight added is_public } } } }",
        key=gql_live.service_key,
    )

    # Paging does not apply: one edge, nine rows aggregated.
    assert result["categoriesCollection"] == {
        "edges": [{"node": {"id": "1"}}],
        "aggregate": {
            "__typename": "categoriesAggregate",
            "count": 9,
            "sum": {"id": 45, "rank": 45, "weight": 43.25},
            "avg": {"rank": 5.0, "weight": 5.40625},
            "min": {
                "name": "bob's mix",
                "rank": 1,
                "weight": 1.5,
                "added": "2026-01-01",
                "is_public": False,
            },
            "max": {
                "name": "sci-fi",
                "rank": 9,
                "weight": 9,
                "added": "2026-01-09",
                "is_public": True,
            },
        },
    }


def test_aggregate_honours_the_filter_and_nests(gql_live):
    filtered = data(
        gql_live,
        "{ categoriesCollection(filter: {parent_id: {eq: 2}}) {"
        " aggregate { count sum { rank } avg { rank } } } }",
        key=gql_live.service_key,
    )
    empty = data(
        gql_live,
        "{ categoriesCollection(filter: {id: {eq: 100}}) {"
        " aggregate { count sum { rank } avg { rank } min { name } max { added } } } }",
        key=gql_live.service_key,
    )
    nested = data(
        gql_live,
        "{ categoriesCollection(filter: {id: {eq: 1}}) { edges { node {"
        " categoriesCollection { edges { node { name categoriesCollection {"
        " aggregate { count max { rank } } } } } } } } } }",
        key=gql_live.service_key,
    )

    assert filtered["categoriesCollection"]["aggregate"] == {
        "count": 2,
        "sum": {"rank": 9},
        "avg": {"rank": 4.5},
    }
    assert empty["categoriesCollection"]["aggregate"] == {
        "count": 0,
        "sum": {"rank": None},
        "avg": {"rank": None},
        "min": {"name": None},
        "max": {"added": None},
    }
    children = nested["categoriesCollection"]["edges"][0]["node"][
        "categoriesCollection"
    ]
    assert [edge["node"] for edge in children["edges"]] == [
        {
            "name": "books",
            "categoriesCollection": {"aggregate": {"count": 2, "max": {"rank": 5}}},
        },
        {
            "name": "music",
            "categoriesCollection": {"aggregate": {"count": 2, "max": {"rank": 7}}},
        },
    ]


def test_aggregate_types_are_named_and_typed_as_pg_graphql(gql_live):
    result = data(
        gql_live,
        '{ aggregate: __type(name: "categoriesAggregate") { fields { name } }'
        ' sum: __type(name: "categoriesSumAggregateResult") { fields { name type { name } } }'
        ' avg: __type(name: "categoriesAvgAggregateResult") { fields { name type { name } } }'
        ' min: __type(name: "categoriesMinAggregateResult") { fields { name type { name } } }'
        ' folders: __type(name: "foldersAggregate") { fields { name } } }',
    )

    def typed(type_):
        return {field["name"]: field["type"]["name"] for field in type_["fields"]}

    assert [f["name"] for f in result["aggregate"]["fields"]] == [
        "count", "sum", "avg", "min", "max",
    ]  # fmt: skip
    assert typed(result["sum"]) == {
        "id": "BigInt", "parent_id": "BigInt", "rank": "BigInt", "weight": "BigFloat",
    }  # fmt: skip
    assert typed(result["avg"]) == {
        "id": "BigFloat", "parent_id": "BigFloat", "rank": "BigFloat", "weight": "BigFloat",
    }  # fmt: skip
    # uuid (owner) has no order pg_graphql aggregates.
    assert typed(result["min"]) == {
        "id": "BigInt", "name": "String", "parent_id": "BigInt", "is_public": "Boolean",
        "rank": "Int", "weight": "BigFloat", "added": "Date",
    }  # fmt: skip
    assert [f["name"] for f in result["folders"]["fields"]] == [
        "count", "sum", "avg", "min", "max",
    ]  # fmt: skip


def test_aggregate_of_a_column_it_does_not_offer_is_refused(gql_live):
    message = error(gql_live, "{ categoriesCollection { aggregate { sum { name } } } }")

    assert message == (
        "Cannot query field 'name' on type 'categoriesSumAggregateResult'."
    )


# ---------------------------------------------------------------- <table>ByPk

RED = "11111111-1111-4111-8111-111111111111"
BLUE = "22222222-2222-4222-8222-222222222222"


def test_by_pk_reads_one_row_or_null(gql_live):
    result = data(
        gql_live,
        "{ books: categoriesByPk(id: 2) { nodeId name categories { name } }"
        " missing: categoriesByPk(id: 100) { name }"
        " folder: foldersByPk(id: 3) { name parent { name } } }",
        key=gql_live.service_key,
    )

    assert result == {
        "books": {
            "nodeId": b64(["public", "categories", 2]),
            "name": "books",
            "categories": {"name": "root"},
        },
        "missing": None,
        "folder": {"name": "photos", "parent": {"name": "home"}},
    }


def test_by_pk_takes_every_column_of_a_composite_key(gql_live):
    found = data(
        gql_live,
        "query($team: UUID!, $user: UUID!) {"
        " membersByPk(team_id: $team, user_id: $user) { role teams { name } } }",
        {"team": BLUE, "user": ALICE},
        key=gql_live.service_key,
    )
    missing = error(
        gql_live,
        f'{{ membersByPk(team_id: "{RED}") {{ role }} }}',
        key=gql_live.service_key,
    )

    assert found == {"membersByPk": {"role": "member", "teams": {"name": "blue"}}}
    assert missing == (
        "Field 'membersByPk' argument 'user_id' of type 'UUID!' is required,"
        " but it was not provided."
    )


def test_by_pk_arguments_are_typed_as_the_key(gql_live):
    result = data(
        gql_live,
        '{ __type(name: "Query") { fields { name args { name type { kind ofType { name } } } } } }',
    )

    fields = {field["name"]: field["args"] for field in result["__type"]["fields"]}
    assert fields["categoriesByPk"] == [
        {"name": "id", "type": {"kind": "NON_NULL", "ofType": {"name": "BigInt"}}}
    ]
    assert [arg["name"] for arg in fields["membersByPk"]] == ["team_id", "user_id"]
    assert fields["numbersByPk"] == [
        {"name": "id", "type": {"kind": "NON_NULL", "ofType": {"name": "Int"}}}
    ]
