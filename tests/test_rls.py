"""Row-level security as Postgres applies it, seen through /rest/v1."""

from __future__ import annotations

import uuid

import pytest
from postgrest.exceptions import APIError

from tests.conftest import ALICE, BOB


@pytest.mark.parametrize(
    ("client_name", "visible"),
    [("alice", 3), ("bob", 2), ("carol", 0), ("anon", 0), ("service", 5)],
)
def test_owner_only_policy_filters_select(request, client_name, visible):
    client = request.getfixturevalue(client_name)

    rows = client.table("todos").select("id,owner").execute().data

    assert len(rows) == visible


@pytest.mark.parametrize(
    ("client_name", "count"), [("alice", 3), ("bob", 2), ("anon", 0)]
)
def test_counts_never_include_forbidden_rows(request, client_name, count):
    client = request.getfixturevalue(client_name)

    response = client.table("todos").select("id", count="exact").limit(1).execute()

    assert response.count == count


def test_filter_cannot_reach_forbidden_rows(bob):
    assert bob.table("todos").select("id").eq("owner", ALICE).execute().data == []
    assert (
        bob.table("todos").select("id").or_(f"owner.eq.{ALICE},id.gt.0").execute().data
        != []
    )
    assert all(
        r["owner"] == BOB
        for r in bob.table("todos")
        .select("owner")
        .or_(f"owner.eq.{ALICE},id.gt.0")
        .execute()
        .data
    )


def test_update_of_hidden_rows_affects_nothing(bob, service):
    rows = (
        bob.table("todos").update({"title": "stolen"}).eq("owner", ALICE).execute().data
    )

    assert rows == []
    assert "stolen" not in [
        r["title"] for r in service.table("todos").select("title").execute().data
    ]


def test_delete_of_hidden_rows_affects_nothing(bob, service):
    rows = bob.table("todos").delete().eq("owner", ALICE).execute().data

    assert rows == []
    assert (
        len(service.table("todos").select("id").eq("owner", ALICE).execute().data) >= 3
    )


def test_insert_violating_with_check_is_42501_403(bob, service):
    title = f"forged-{uuid.uuid4().hex[:6]}"

    with pytest.raises(APIError) as error:
        bob.table("todos").insert({"owner": ALICE, "title": title}).execute()

    assert error.value.code == "42501"
    assert service.table("todos").select("id").eq("title", title).execute().data == []


def test_anon_insert_violation_is_401(live, rest):
    response = rest.post(
        "/todos", json={"owner": ALICE, "title": "anon"}, headers=live.headers()
    )

    assert response.status_code == 401
    assert response.json()["code"] == "42501"


def test_update_that_would_give_a_row_away_is_refused(alice, service):
    title = f"mine-{uuid.uuid4().hex[:6]}"
    row = (
        alice.table("todos").insert({"owner": ALICE, "title": title}).execute().data[0]
    )

    with pytest.raises(APIError) as error:
        alice.table("todos").update({"owner": BOB}).eq("id", row["id"]).execute()

    assert error.value.code == "42501"
    assert service.table("todos").select("owner").eq(
        "id", row["id"]
    ).execute().data == [{"owner": ALICE}]


def test_bulk_insert_with_one_forbidden_row_writes_nothing(bob, service):
    marker = f"bulk-{uuid.uuid4().hex[:6]}"

    with pytest.raises(APIError):
        bob.table("todos").insert(
            [{"owner": BOB, "title": marker}, {"owner": ALICE, "title": marker}]
        ).execute()

    assert service.table("todos").select("id").eq("title", marker).execute().data == []


def test_upsert_cannot_overwrite_another_users_row(bob, service):
    alice_row = (
        service.table("todos")
        .select("id,title")
        .eq("owner", ALICE)
        .order("id")
        .limit(1)
        .execute()
        .data[0]
    )

    with pytest.raises(APIError) as refused:
        bob.table("todos").upsert(
            [
                {"id": alice_row["id"], "owner": BOB, "title": "hijacked"},
                {"id": 9990, "owner": BOB, "title": "bob's own, refused with it"},
            ]
        ).execute()

    assert refused.value.code == "42501"
    assert "(USING expression)" in refused.value.message
    assert service.table("todos").select("id").eq("id", 9990).execute().data == []
    after = (
        service.table("todos")
        .select("owner,title")
        .eq("id", alice_row["id"])
        .execute()
        .data
    )
    assert after == [{"owner": ALICE, "title": alice_row["title"]}]


def test_team_membership_policy_with_exists_subquery(alice, bob, carol):
    assert sorted(
        r["name"] for r in alice.table("projects").select("name").execute().data
    ) == ["blue boat", "red rocket"]
    assert [r["name"] for r in bob.table("projects").select("name").execute().data] == [
        "blue boat"
    ]
    assert carol.table("projects").select("name").execute().data == []


def test_restrictive_policy_hides_archived_projects_even_from_members(alice, service):
    names = [r["name"] for r in alice.table("projects").select("name").execute().data]

    assert "red archive" not in names
    assert "red archive" in [
        r["name"] for r in service.table("projects").select("name").execute().data
    ]


def test_in_subquery_policy_and_embedded_resources(alice, bob):
    teams = (
        alice.table("teams")
        .select("name,members(user_id),projects(name)")
        .order("name")
        .execute()
        .data
    )
    bob_teams = bob.table("teams").select("name,projects(name)").execute().data

    assert [t["name"] for t in teams] == ["blue", "red"]
    red = teams[1]
    assert red["projects"] == [{"name": "red rocket"}]
    assert bob_teams == [{"name": "blue", "projects": [{"name": "blue boat"}]}]


def test_embedded_resources_never_leak_rows(anon, service):
    hidden = [
        c["body"]
        for post in anon.table("posts").select("title,comments(body)").execute().data
        for c in post["comments"]
    ]
    everything = [
        c["body"] for c in service.table("comments").select("body").execute().data
    ]

    assert "spam" in everything
    assert "spam" not in hidden
    # The draft post is hidden, and so is the comment reached only through it.
    assert "draft note" not in hidden


def test_embed_counts_respect_policies(bob):
    rows = bob.table("teams").select("name,projects(count)").execute().data

    assert rows == [{"name": "blue", "projects": [{"count": 1}]}]


def test_member_can_insert_project_only_into_own_team(alice, bob, service):
    red = "11111111-1111-4111-8111-111111111111"
    name = f"proj-{uuid.uuid4().hex[:6]}"

    with pytest.raises(APIError) as error:
        bob.table("projects").insert({"team_id": red, "name": name}).execute()
    alice.table("projects").insert(
        {"team_id": red, "name": name}, returning="minimal"
    ).execute()

    assert error.value.code == "42501"
    assert service.table("projects").select("team_id").eq(
        "name", name
    ).execute().data == [{"team_id": red}]


def test_representation_must_pass_select_policy(alice, service):
    red = "11111111-1111-4111-8111-111111111111"
    name = f"archived-{uuid.uuid4().hex[:6]}"

    with pytest.raises(APIError) as error:
        alice.table("projects").insert(
            {"team_id": red, "name": name, "archived": True}
        ).execute()

    assert error.value.code == "42501"
    assert service.table("projects").select("id").eq("name", name).execute().data == []


def test_jwt_claim_policy(live, rest):
    live.sql(
        """
        create table inbox (id integer primary key, email text not null, body text);
        insert into inbox (email, body) values ('alice@example.com', 'hi alice'), ('bob@example.com', 'hi bob');
        alter table inbox enable row level security;
        create policy "Mail by address" on inbox for select to authenticated
          using (auth.jwt() ->> 'email' = email);
        """
    )
    headers = {
        "apikey": live.anon_key,
        "Authorization": f"Bearer {live.token(ALICE, email='alice@example.com')}",
    }

    response = rest.get("/inbox?select=body", headers=headers)

    assert response.json() == [{"body": "hi alice"}]


def test_table_without_rls_is_open_to_anon(anon):
    assert anon.table("notes").select("body").eq(
        "body", "open note"
    ).execute().data == [{"body": "open note"}]


def test_rls_enabled_without_policies_denies_everything(live, rest):
    live.sql(
        "create table vault (id integer primary key, secret text); insert into vault (secret) values ('x');"
        "alter table vault enable row level security;"
    )

    read = rest.get("/vault", headers=live.headers(BOB))
    write = rest.post("/vault", json={"secret": "y"}, headers=live.headers(BOB))
    service_read = rest.get(
        "/vault?select=secret", headers=live.headers(key=live.service_key)
    )

    assert read.json() == []
    assert write.status_code == 403
    assert service_read.json() == [{"secret": "x"}]


def test_a_renamed_table_keeps_its_row_level_security(tmp_path):
    import httpx

    from tests.conftest import run_cli, start_server, stop_server

    project = tmp_path / "app"
    run_cli(project, "init", str(project))
    script = project / "secrets.sql"
    script.write_text(
        "create table secrets (id integer primary key, owner uuid, body text);\n"
        "alter table secrets enable row level security;\n"
        'create policy "own" on secrets for select to authenticated\n'
        "  using (owner = auth.uid());\n"
        f"insert into secrets (owner, body) values ('{ALICE}', 'top secret');\n"
        "alter table secrets rename to vault;\n"
    )
    run_cli(project, "sql", "-f", str(script))
    server = start_server(project)
    try:
        as_anon = httpx.get(
            f"{server.url}/rest/v1/vault", headers={"apikey": server.anon_key}
        )
        as_service = httpx.get(
            f"{server.url}/rest/v1/vault",
            headers=server.headers(key=server.service_key),
        )
    finally:
        stop_server(server)
    assert as_anon.status_code == 200 and as_anon.json() == []
    assert [row["body"] for row in as_service.json()] == ["top secret"]
    assert "rls_disabled" not in (project / "server.log").read_text()


# ---------------------------------------------------------------- views


@pytest.mark.parametrize("client_name", ["alice", "bob", "carol", "anon", "service"])
def test_security_invoker_view_shows_what_its_table_shows(request, client_name):
    client = request.getfixturevalue(client_name)
    columns = "id,owner,title,done,priority,due"

    view = client.table("my_todos").select(columns, count="exact").order("id")
    table = client.table("todos").select(columns, count="exact").order("id")

    through_view, through_table = view.execute(), table.execute()

    assert through_view.data == through_table.data
    assert through_view.count == through_table.count


@pytest.mark.parametrize(
    ("client_name", "owner"), [("alice", ALICE), ("bob", BOB), ("carol", None)]
)
def test_security_invoker_view_never_shows_another_users_rows(
    request, service, client_name, owner
):
    client = request.getfixturevalue(client_name)
    everyone = service.table("todos").select("id").eq("done", False).execute().data

    rows = client.table("my_open_todos").select("owner,done").execute().data
    names = client.table("todo_owners").select("owner_name").execute().data

    assert len(everyone) > len(rows)
    assert {row["owner"] for row in rows} <= {owner}
    assert all(row["done"] is False for row in rows)
    expected = {"alice": {"Alice"}, "bob": {"Bob"}, "carol": set()}[client_name]
    assert {row["owner_name"] for row in names} == expected


def test_anon_sees_nothing_through_security_invoker_views(anon):
    for view in ("my_todos", "my_open_todos", "todo_owners"):
        assert anon.table(view).select("*").execute().data == []


def test_a_view_without_security_invoker_serves_every_row_as_postgres(anon, service):
    rows = anon.table("todo_titles").select("id").order("id").execute().data

    assert rows == service.table("todos").select("id").order("id").execute().data


def test_alter_view_switches_a_running_servers_view(live, rest):
    live.sql("create view todo_dump as select id, title from todos;")
    before = rest.get("/todo_dump?select=id", headers=live.headers())

    live.sql("alter view todo_dump set (security_invoker = true);")
    invoker = rest.get("/todo_dump?select=id", headers=live.headers())
    live.sql("alter view todo_dump reset (security_invoker);")
    after = rest.get("/todo_dump?select=id", headers=live.headers())

    assert len(before.json()) >= 5
    assert invoker.json() == []
    assert after.json() == before.json()


@pytest.mark.parametrize("client_name", ["alice", "anon"])
def test_writes_through_a_security_invoker_view_are_refused(
    request, service, client_name
):
    client = request.getfixturevalue(client_name)
    title = f"via-view-{uuid.uuid4().hex[:6]}"

    with pytest.raises(APIError) as error:
        client.table("my_todos").insert({"owner": ALICE, "title": title}).execute()

    assert error.value.code == "0A000"
    assert service.table("todos").select("id").eq("title", title).execute().data == []
