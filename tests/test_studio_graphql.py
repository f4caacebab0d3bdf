"""The Studio's GraphQL page: GraphiQL on /graphql/v1 as the role the
operator picks, with credentials minted behind the session and CSRF."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import ALICE
from tests.studio_http import StudioClient

CREDENTIALS = "/studio/api/graphql/credentials"


@pytest.fixture(scope="module")
def client(studio_live) -> StudioClient:
    return StudioClient(studio_live.url)


def test_credentials_refuse_without_a_session_or_with_an_app_token(studio_live):
    plain = httpx.post(studio_live.url + CREDENTIALS, json={"role": "service_role"})
    app_user = httpx.post(
        studio_live.url + CREDENTIALS,
        json={"role": "service_role"},
        headers=studio_live.headers(ALICE),
    )

    assert plain.status_code == 403
    assert app_user.status_code == 403
    assert "authorization" not in plain.text and "authorization" not in app_user.text


def test_credentials_need_the_csrf_token(client):
    response = client.send("POST", CREDENTIALS, {"role": "service_role"}, csrf=False)

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "titles"),
    [
        ({"role": "anon"}, []),
        (
            {"role": "user", "user": ALICE},
            ["Alice Plans Trip", "alice buys milk", "alice writes tests"],
        ),
        ({"role": "service_role"}, None),
    ],
)
def test_minted_credentials_query_as_that_role(studio_live, client, body, titles):
    credentials = client.send("POST", CREDENTIALS, body).json()

    response = httpx.post(
        studio_live.url + "/graphql/v1",
        json={"query": "{ todosCollection { totalCount edges { node { title } } } }"},
        headers={
            "apikey": credentials["apikey"],
            "Authorization": credentials["authorization"],
        },
    )

    todos = response.json()["data"]["todosCollection"]
    if titles is None:
        assert todos["totalCount"] >= 5  # every owner's rows
    else:
        assert sorted(e["node"]["title"] for e in todos["edges"]) == titles


def test_unknown_user_and_role_are_refused(client):
    assert (
        client.send("POST", CREDENTIALS, {"role": "user", "user": "nobody"}).status_code
        == 404
    )
    assert client.send("POST", CREDENTIALS, {"role": "root"}).status_code == 400


def test_graphiql_page_runs_a_query_as_the_chosen_user(studio):
    page = studio.goto(f"/studio/graphql/?role=user&user={ALICE}")

    expect(page.get_by_label("Run as")).to_have_value("user")
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    expect(editor).to_be_visible()
    page.evaluate(
        "document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror"
        ".setValue('{ todosCollection { totalCount } }')"
    )
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    expect(page.locator(".graphiql-response")).to_contain_text('"totalCount": 3')
    studio.screenshot("studio-graphql")
    assert studio.failed_requests == []
