"""Embedding views through /rest/v1: a security_invoker view embeds under the
caller's policies on its base tables, a plain view as it reads on its own."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import ALICE, BOB, new_project, run_cli, start_server, stop_server

SCHEMA = f"""
create table teams (id integer primary key, name text not null);
create table notes (
  id integer primary key,
  owner uuid,
  team_id integer references teams(id),
  body text not null
);
alter table notes enable row level security;
create policy "own notes" on notes for select using (owner = auth.uid());
create policy "own notes change" on notes for update
  using (owner = auth.uid()) with check (owner = auth.uid());
create table comments (
  id integer primary key,
  note_id integer not null references notes(id),
  body text not null
);
alter table comments enable row level security;
create policy "comments are public" on comments for select using (true);
create policy "comments are editable" on comments for update using (true);
create table tags (id integer primary key, name text not null);
create table note_tags (
  note_id integer not null references notes(id),
  tag_id integer not null references tags(id),
  tagger uuid,
  primary key (note_id, tag_id)
);
alter table note_tags enable row level security;
create policy "own tagging" on note_tags for select using (tagger = auth.uid());

create view my_notes with (security_invoker = true) as
  select id, owner, team_id, body from notes;
create view every_note as select id, team_id, body from notes;
create view my_comments with (security_invoker) as
  select c.id, c.note_id, c.body from comments c join notes n on n.id = c.note_id;
create view my_note_tags with (security_invoker) as
  select note_id, tag_id from note_tags;

insert into teams values (1, 'red'), (2, 'blue');
insert into notes values
  (1, '{ALICE}', 1, 'alice one'), (2, '{ALICE}', 2, 'alice two'),
  (3, '{BOB}', 1, 'bob three'), (4, null, 2, 'nobody four');
insert into comments values
  (10, 1, 'on alice one'), (11, 3, 'on bob three'), (12, 4, 'on nobody four');
insert into tags values (7, 'urgent');
insert into note_tags values (1, 7, '{ALICE}'), (2, 7, '{BOB}'), (3, 7, '{BOB}');
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("view_embeds"))
    run_cli(project, "sql", "-f", "-", stdin=SCHEMA)
    server = start_server(project)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def api(server):
    with httpx.Client(base_url=f"{server.url}/rest/v1", timeout=10) as client:
        yield client


def headers(server, caller: str) -> dict[str, str]:
    if caller == "service":
        return server.headers(key=server.service_key)
    return server.headers(user={"alice": ALICE, "bob": BOB}.get(caller))


CALLERS = ["anon", "alice", "bob", "service"]


def get(api, server, caller: str, path: str, **extra: str) -> httpx.Response:
    response = api.get(path, headers=headers(server, caller) | extra)
    assert response.status_code in (200, 206), response.text
    return response


@pytest.mark.parametrize(
    ("caller", "notes"),
    [
        ("anon", {1: [], 2: []}),
        ("alice", {1: [1], 2: [2]}),
        ("bob", {1: [3], 2: []}),
        ("service", {1: [1, 3], 2: [2, 4]}),
    ],
)
def test_a_table_embeds_a_security_invoker_view_under_its_policies(
    api, server, caller, notes
):
    rows = get(
        api, server, caller, "/teams?select=id,my_notes(id)&my_notes.order=id&order=id"
    ).json()

    assert {row["id"]: [n["id"] for n in row["my_notes"]] for row in rows} == notes


@pytest.mark.parametrize(
    ("caller", "seen"),
    [
        ("anon", {10: None, 11: None, 12: None}),
        ("alice", {10: "alice one", 11: None, 12: None}),
        ("bob", {10: None, 11: "bob three", 12: None}),
        ("service", {10: "alice one", 11: "bob three", 12: "nobody four"}),
    ],
)
def test_a_to_one_view_embed_is_null_where_the_policy_hides_the_row(
    api, server, caller, seen
):
    rows = get(
        api, server, caller, "/comments?select=id,my_notes(body)&order=id"
    ).json()

    assert {
        row["id"]: row["my_notes"] and row["my_notes"]["body"] for row in rows
    } == seen


@pytest.mark.parametrize(
    ("caller", "inner", "hidden"),
    [
        ("anon", [], [10, 11, 12]),
        ("alice", [10], [11, 12]),
        ("bob", [11], [10, 12]),
        ("service", [10, 11, 12], []),
    ],
)
def test_inner_joins_null_filters_and_counts_see_only_allowed_rows(
    api, server, caller, inner, hidden
):
    joined = get(
        api,
        server,
        caller,
        "/comments?select=id,my_notes!inner(id)&order=id",
        Prefer="count=exact",
    )
    missing = get(
        api,
        server,
        caller,
        "/comments?select=id,my_notes(id)&my_notes=is.null&order=id",
    )
    counted = get(api, server, caller, "/teams?select=id,my_notes(count)&order=id")

    assert [row["id"] for row in joined.json()] == inner
    assert joined.headers["Content-Range"].endswith(f"/{len(inner)}")
    assert [row["id"] for row in missing.json()] == hidden
    visible = {"anon": [0, 0], "alice": [1, 1], "bob": [1, 0], "service": [2, 2]}
    assert [row["my_notes"][0]["count"] for row in counted.json()] == visible[caller]


@pytest.mark.parametrize("caller", CALLERS)
def test_a_plain_view_embeds_every_row_as_it_reads(api, server, caller):
    rows = get(
        api,
        server,
        caller,
        "/teams?select=id,every_note(id)&every_note.order=id&order=id",
    ).json()

    assert rows == [
        {"id": 1, "every_note": [{"id": 1}, {"id": 3}]},
        {"id": 2, "every_note": [{"id": 2}, {"id": 4}]},
    ]


@pytest.mark.parametrize(
    ("caller", "comments"),
    [
        ("anon", []),
        (
            "alice",
            [
                {"id": 1, "my_comments": [{"body": "on alice one"}]},
                {"id": 2, "my_comments": []},
            ],
        ),
        ("bob", [{"id": 3, "my_comments": [{"body": "on bob three"}]}]),
        (
            "service",
            [
                {"id": 1, "my_comments": [{"body": "on alice one"}]},
                {"id": 2, "my_comments": []},
                {"id": 3, "my_comments": [{"body": "on bob three"}]},
                {"id": 4, "my_comments": [{"body": "on nobody four"}]},
            ],
        ),
    ],
)
def test_a_view_embeds_a_view_under_both_views_policies(api, server, caller, comments):
    rows = get(api, server, caller, "/my_notes?select=id,my_comments(body)&order=id")

    assert rows.json() == comments


@pytest.mark.parametrize(
    ("caller", "notes"),
    [("anon", []), ("alice", [1]), ("bob", [3]), ("service", [1, 2, 3])],
)
def test_a_security_invoker_junction_view_applies_the_junctions_policy(
    api, server, caller, notes
):
    rows = get(
        api, server, caller, "/tags?select=id,notes!my_note_tags(id)&notes.order=id"
    ).json()

    assert rows == [{"id": 7, "notes": [{"id": n} for n in notes]}]


@pytest.mark.parametrize("caller", ["anon", "alice", "bob"])
def test_writes_through_an_embedded_view_are_refused_and_change_nothing(
    api, server, caller
):
    before = get(api, server, "service", "/notes?select=id,body&order=id").json()

    response = api.patch(
        "/my_notes?id=eq.1&select=id,my_comments(body)",
        json={"body": "changed"},
        headers=headers(server, caller) | {"Prefer": "return=representation"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "0A000"
    assert (
        get(api, server, "service", "/notes?select=id,body&order=id").json() == before
    )


def test_a_write_returns_its_view_embeds_under_the_callers_policies(api, server):
    response = api.patch(
        "/comments?id=in.(10,11)&select=id,my_notes(body)&order=id",
        json={"body": "edited"},
        headers=headers(server, "bob")
        | {"Prefer": "return=representation,tx=rollback"},
    )

    assert response.status_code == 200, response.text
    assert response.json() == [
        {"id": 10, "my_notes": None},
        {"id": 11, "my_notes": {"body": "bob three"}},
    ]
