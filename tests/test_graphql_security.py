"""/graphql/v1 under row-level security, and against hostile documents:
the same policies as /rest/v1, clear errors, no 5xx, bounded time."""

from __future__ import annotations

import time

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ALICE, BOB, copy_project, start_server, stop_server


@pytest.fixture(scope="module")
def gql_live(graphql_template, tmp_path_factory):
    server = start_server(
        copy_project(graphql_template, tmp_path_factory.mktemp("graphql-rls"))
    )
    yield server
    stop_server(server)


def post(server, query, variables=None, caller="anon"):
    user = {"alice": ALICE, "bob": BOB}.get(caller)
    key = server.service_key if caller == "service" else None
    response = httpx.post(
        f"{server.url}/graphql/v1",
        json={"query": query, "variables": variables},
        headers=server.headers(user, key),
        timeout=20,
    )
    assert response.status_code == 200, response.text
    return response.json()


def titles(connection):
    return sorted(edge["node"]["title"] for edge in connection["edges"])


@pytest.mark.parametrize(
    ("caller", "visible"),
    [
        ("anon", []),
        ("alice", ["Alice Plans Trip", "alice buys milk", "alice writes tests"]),
        ("bob", ["bob 100% done", "bob fixes bike"]),
        (
            "service",
            [
                "Alice Plans Trip",
                "alice buys milk",
                "alice writes tests",
                "bob 100% done",
                "bob fixes bike",
            ],
        ),
    ],
)
def test_owner_only_policy_filters_rows_and_total_count(gql_live, caller, visible):
    body = post(
        gql_live,
        "{ todosCollection { totalCount edges { node { title } } } }",
        caller=caller,
    )

    todos = body["data"]["todosCollection"]
    assert titles(todos) == visible
    assert todos["totalCount"] == len(visible)


TEAMS = (
    "{ teamsCollection(orderBy: [{name: DescNullsLast}]) { totalCount edges { node { name"
    " projectsCollection { totalCount edges { node { name } } }"
    " membersCollection { totalCount } } } } }"
)


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("anon", []),
        ("alice", [("red", ["red rocket"], 1), ("blue", ["blue boat"], 2)]),
        ("bob", [("blue", ["blue boat"], 2)]),
        (
            "service",
            [("red", ["red archive", "red rocket"], 1), ("blue", ["blue boat"], 2)],
        ),
    ],
)
def test_membership_policies_apply_to_nested_collections(gql_live, caller, expected):
    body = post(gql_live, TEAMS, caller=caller)

    teams = body["data"]["teamsCollection"]
    got = []
    for edge in teams["edges"]:
        node = edge["node"]
        projects = node["projectsCollection"]
        assert projects["totalCount"] == len(projects["edges"])
        got.append(
            (
                node["name"],
                sorted(e["node"]["name"] for e in projects["edges"]),
                node["membersCollection"]["totalCount"],
            )
        )
    assert got == expected
    assert teams["totalCount"] == len(expected)


CATEGORY_TREE = (
    '{ categoriesCollection(filter: {name: {in: ["books", "music", "poetry"]}}) {'
    " totalCount edges { node { name categories { name }"
    " categoriesCollection { totalCount edges { node { name"
    " categoriesCollection { totalCount edges { node { name } } } } } } } } } }"
)


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("anon", {"books": {"novels": ["sci-fi"]}, "music": {"jazz": []}}),
        (
            "alice",
            {
                "books": {"novels": ["sci-fi"], "poetry": ["drafts"]},
                "music": {"jazz": []},
                "poetry": {"drafts": []},
            },
        ),
        (
            "bob",
            {"books": {"novels": ["sci-fi"]}, "music": {"jazz": [], "bob's mix": []}},
        ),
        (
            "service",
            {
                "books": {"novels": ["sci-fi"], "poetry": ["drafts"]},
                "music": {"jazz": [], "bob's mix": []},
                "poetry": {"drafts": []},
            },
        ),
    ],
)
def test_a_tree_shows_each_caller_only_the_nodes_its_policy_allows(
    gql_live, caller, expected
):
    body = post(gql_live, CATEGORY_TREE, caller=caller)

    top = body["data"]["categoriesCollection"]
    got = {}
    for edge in top["edges"]:
        node = edge["node"]
        children = node["categoriesCollection"]
        assert children["totalCount"] == len(children["edges"])
        assert node["categories"] in ({"name": "root"}, {"name": "books"})
        got[node["name"]] = {}
        for child in children["edges"]:
            grandchildren = child["node"]["categoriesCollection"]
            assert grandchildren["totalCount"] == len(grandchildren["edges"])
            got[node["name"]][child["node"]["name"]] = [
                e["node"]["name"] for e in grandchildren["edges"]
            ]
    assert got == expected
    assert top["totalCount"] == len(expected)


@pytest.mark.parametrize(
    ("caller", "parent"),
    [
        ("anon", None),
        ("bob", None),
        ("alice", {"name": "poetry"}),
        ("service", {"name": "poetry"}),
    ],
)
def test_a_parent_the_policy_hides_is_null(gql_live, caller, parent):
    body = post(
        gql_live,
        '{ categoriesCollection(filter: {name: {eq: "drafts"}}) { edges { node { name categories { name } } } } }',
        caller=caller,
    )

    # drafts is public; its parent poetry is alice's own.
    assert body["data"]["categoriesCollection"]["edges"] == [
        {"node": {"name": "drafts", "categories": parent}}
    ]


@pytest.mark.parametrize(
    ("caller", "count", "rank_sum", "books_children", "todos"),
    [
        ("anon", 7, 33, 1, 0),
        ("alice", 8, 38, 2, 3),
        ("bob", 8, 40, 1, 2),
        ("service", 9, 45, 2, 5),
    ],
)
def test_aggregates_never_count_a_forbidden_row(
    gql_live, caller, count, rank_sum, books_children, todos
):
    body = post(
        gql_live,
        "{ categoriesCollection { aggregate { count sum { rank } max { rank } } }"
        ' books: categoriesCollection(filter: {name: {eq: "books"}}) { edges { node {'
        " categoriesCollection { aggregate { count } } } } }"
        " todosCollection { aggregate { count } } }",
        caller=caller,
    )

    result = body["data"]
    aggregate = result["categoriesCollection"]["aggregate"]
    assert aggregate["count"] == count
    assert aggregate["sum"] == {"rank": rank_sum}
    assert aggregate["max"] == {"rank": 9}  # drafts (9) is public
    [books] = result["books"]["edges"]
    assert books["node"]["categoriesCollection"]["aggregate"] == {
        "count": books_children
    }
    assert result["todosCollection"]["aggregate"] == {"count": todos}


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        ("anon", None),
        ("alice", {"name": "poetry", "categoriesCollection": {"totalCount": 1}}),
        ("bob", None),
        ("service", {"name": "poetry", "categoriesCollection": {"totalCount": 1}}),
    ],
)
def test_by_pk_returns_only_a_row_the_policy_shows(gql_live, caller, expected):
    body = post(
        gql_live,
        "{ categoriesByPk(id: 5) { name categoriesCollection { totalCount } } }",
        caller=caller,
    )

    assert body == {"data": {"categoriesByPk": expected}}


def test_with_check_refusal_writes_nothing(gql_live):
    before = post(gql_live, "{ todosCollection { totalCount } }", caller="service")

    body = post(
        gql_live,
        "mutation($o: [todosInsertInput!]!) { insertIntotodosCollection(objects: $o) { affectedCount } }",
        {"o": [{"title": "mine", "owner": ALICE}, {"title": "forged", "owner": BOB}]},
        caller="alice",
    )
    after = post(gql_live, "{ todosCollection { totalCount } }", caller="service")

    assert body["data"] is None
    assert (
        body["errors"][0]["message"]
        == 'new row violates row-level security policy for table "todos"'
    )
    assert after == before


@pytest.mark.parametrize(
    ("caller", "affected"), [("anon", 0), ("alice", 0), ("bob", 1)]
)
def test_update_and_delete_reach_only_permitted_rows(gql_live, caller, affected):
    body = post(
        gql_live,
        'mutation { updatetodosCollection(set: {priority: 9}, filter: {title: {eq: "bob fixes bike"}}) { affectedCount } }',
        caller=caller,
    )

    assert body["data"]["updatetodosCollection"]["affectedCount"] == affected


# ---------------------------------------------------------------- property

_filters = st.one_of(
    st.builds(lambda v: f"{{priority: {{gt: {v}}}}}", st.integers(-2, 6)),
    st.builds(lambda v: f"{{done: {{eq: {v}}}}}", st.sampled_from(["true", "false"])),
    st.builds(
        lambda v: f'{{title: {{ilike: "%{v}%"}}}}',
        st.sampled_from(["a", "b", "o", "%"]),
    ),
    st.builds(lambda v: f"{{not: {{id: {{eq: {v}}}}}}}", st.integers(1, 6)),
    st.builds(
        lambda v: f"{{or: [{{id: {{eq: {v}}}}}, {{priority: {{is: NULL}}}}]}}",
        st.integers(1, 6),
    ),
    st.just("{}"),
)
_orders = st.sampled_from(
    ["[{id: AscNullsLast}]", "[{priority: DescNullsFirst}]", "[{title: AscNullsFirst}]"]
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    filter_=_filters, order=_orders, first=st.integers(0, 10), offset=st.integers(0, 3)
)
def test_random_queries_as_a_user_never_return_a_forbidden_row(
    gql_live, filter_, order, first, offset
):
    body = post(
        gql_live,
        f"{{ todosCollection(filter: {filter_}, orderBy: {order}, first: {first}, offset: {offset})"
        " { totalCount edges { node { owner } } aggregate { count max { priority } } }"
        " teamsCollection { edges { node { name projectsCollection { edges { node { team_id } } } } } } }",
        caller="bob",
    )

    data = body["data"]
    assert {edge["node"]["owner"] for edge in data["todosCollection"]["edges"]} <= {BOB}
    assert data["todosCollection"]["totalCount"] <= 2
    assert (
        data["todosCollection"]["aggregate"]["count"]
        == (data["todosCollection"]["totalCount"])
    )
    assert data["todosCollection"]["aggregate"]["max"]["priority"] in (None, 1, 2, 9)
    assert [edge["node"]["name"] for edge in data["teamsCollection"]["edges"]] == [
        "blue"
    ]
    projects = data["teamsCollection"]["edges"][0]["node"]["projectsCollection"][
        "edges"
    ]
    assert {edge["node"]["team_id"] for edge in projects} == {
        "22222222-2222-4222-8222-222222222222"
    }


# ---------------------------------------------------------------- hostile input

_deep = (
    "{ postsCollection { edges { node { "
    + "commentsCollection { edges { node { posts { " * 6
    + "id"
    + " } } } }" * 6
    + " } } } }"
)
_aliases = (
    "{ "
    + " ".join(f"a{i}: postsCollection {{ totalCount }}" for i in range(200))
    + " }"
)
_fragments = (
    "query { postsCollection { edges { node { ...f0 } } } }\n"
    + "\n".join(
        f"fragment f{i} on posts {{ ...f{i + 1} ...f{i + 1} }}" for i in range(30)
    )
    + "\nfragment f30 on posts { id }"
)


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (_deep, None, "Query is nested too deeply: more than 16 levels"),
        (_aliases, None, "Query uses too many aliases: more than 30"),
        (_fragments, None, "Query selects too many fields: more than 500"),
        ("{ postsCollection { ", None, "Syntax Error: Expected Name, found <EOF>."),
        (
            "{ " + "postsCollection { totalCount } " * 5000 + "}",
            None,
            "Syntax Error: Document contains more than 20000 tokens. Parsing aborted.",
        ),
        (
            "{ nosuchCollection { totalCount } }",
            None,
            "Cannot query field 'nosuchCollection' on type 'Query'. Did you mean 'notesCollection', 'postsCollection', 'todosCollection', 'foldersCollection', or 'numbersCollection'?",
        ),
        (
            "query($n: Int) { postsCollection(first: $n) { totalCount } }",
            {"n": "many"},
            "Variable '$n' got invalid value 'many'; Int cannot represent non-integer value: 'many'",
        ),
        ('{ postsCollection(filter: {id: {eq: "x"}}) { totalCount } }', None, None),
        ("subscription { postsCollection { totalCount } }", None, None),
    ],
)
def test_hostile_documents_get_clear_errors_quickly(
    gql_live, query, variables, message
):
    started = time.monotonic()
    body = post(gql_live, query, variables)
    elapsed = time.monotonic() - started

    assert body["data"] is None
    if message is not None:
        assert body["errors"][0]["message"] == message
    assert body["errors"][0]["message"]
    assert elapsed < 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "The request body is not valid JSON"),
        (b"[]", "The request body must be a JSON object with a `query`"),
        (b'{"query": 5}', "A `query` string is required"),
        (
            b'{"query": "{ __typename }", "variables": [1]}',
            "variables must be a JSON object",
        ),
    ],
)
def test_malformed_bodies_are_400(gql_live, content, message):
    response = httpx.post(
        f"{gql_live.url}/graphql/v1",
        content=content,
        headers={**gql_live.headers(), "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json() == {"data": None, "errors": [{"message": message}]}


def test_introspection_can_be_turned_off(graphql_template, tmp_path_factory):
    server = start_server(
        copy_project(graphql_template, tmp_path_factory.mktemp("graphql-closed")),
        env_extra={"KOYALITE_GRAPHQL_INTROSPECTION": "false"},
    )
    try:
        closed = post(server, "{ __schema { queryType { name } } }")
        query = post(server, "{ postsCollection { totalCount } }")
    finally:
        stop_server(server)

    assert closed["data"] is None
    assert "introspection" in closed["errors"][0]["message"]
    assert query == {"data": {"postsCollection": {"totalCount": 2}}}


@pytest.mark.parametrize(
    ("caller", "count"), [("anon", 0), ("alice", 3), ("bob", 2), ("service", 5)]
)
def test_a_view_with_a_key_is_a_collection_under_its_callers_policies(
    gql_live, caller, count
):
    """my_todos shows todos' primary key, so it has one (pg_graphql asks for a
    `primary_key_columns` comment directive); it reads as its caller."""
    body = post(
        gql_live,
        "{ my_todosCollection { totalCount aggregate { count } edges { node { id } } } }",
        caller=caller,
    )

    todos = body["data"]["my_todosCollection"]
    assert todos["totalCount"] == count
    assert todos["aggregate"] == {"count": count}
    assert len(todos["edges"]) == count
