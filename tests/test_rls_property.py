"""Property: whatever a signed-in user asks for, no forbidden row comes back."""

from __future__ import annotations

from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ALICE, BOB, CAROL

BOB_TEAMS = {"22222222-2222-4222-8222-222222222222"}

COLUMNS = [
    "id",
    "owner",
    "title",
    "done",
    "priority",
    "tags",
    "data",
    "due",
    "created_at",
]
values = st.sampled_from(
    ["1", "2", "3", "5", "null", "true", "false", "alice*", "%bob%", ALICE, BOB, "x"]
)
filters = st.builds(
    lambda column, op, value, negate: (
        f"{column}={'not.' if negate else ''}{op}.{value}"
    ),
    st.sampled_from(["id", "priority", "title", "owner", "done"]),
    st.sampled_from(
        ["eq", "neq", "gt", "lt", "gte", "lte", "like", "ilike", "is", "isdistinct"]
    ),
    values,
    st.booleans(),
)
logic = st.builds(
    lambda a, b, op: f"{op}=({a.replace('=', '.', 1)},{b.replace('=', '.', 1)})",
    filters,
    filters,
    st.sampled_from(["or", "and", "not.or"]),
)
orders = st.builds(
    lambda column, desc, nulls: f"order={column}.{'desc' if desc else 'asc'}.{nulls}",
    st.sampled_from(["id", "priority", "title", "due"]),
    st.booleans(),
    st.sampled_from(["nullsfirst", "nullslast"]),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    columns=st.lists(st.sampled_from(COLUMNS), min_size=0, max_size=4, unique=True),
    conditions=st.lists(filters | logic, max_size=3),
    order=st.none() | orders,
    limit=st.none() | st.integers(min_value=0, max_value=10),
    count=st.booleans(),
)
def test_todos_never_leak_to_another_user(
    live, rest, columns, conditions, order, limit, count
):
    select = ",".join(["owner", *[c for c in columns if c != "owner"]])
    params = [
        f"select={quote(select)}",
        *[quote(c, safe="=.(),*%:") for c in conditions],
    ]
    if order:
        params.append(order)
    if limit is not None:
        params.append(f"limit={limit}")
    headers = live.headers(BOB)
    if count:
        headers["Prefer"] = "count=exact"

    response = rest.get("/todos?" + "&".join(params), headers=headers)

    assert response.status_code in (200, 206, 400), response.text
    if response.status_code != 400:
        assert all(row["owner"] == BOB for row in response.json())
        if count:
            assert int(response.headers["content-range"].split("/")[1]) <= 2


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    embed=st.sampled_from(
        [
            "projects(name,team_id)",
            "projects!inner(name,team_id)",
            "members(user_id,team_id)",
            "projects(count)",
        ]
    ),
    name_filter=st.none()
    | st.sampled_from(
        ["name=eq.red", "name=eq.blue", "name=neq.red", "id=not.is.null"]
    ),
    embed_filter=st.none()
    | st.sampled_from(
        ["projects.archived=is.true", "projects.name=like.*a*", "members.role=eq.owner"]
    ),
)
def test_team_data_never_leaks_through_embeds(
    live, rest, embed, name_filter, embed_filter
):
    params = [f"select=id,name,{embed}"]
    if name_filter:
        params.append(name_filter)
    if embed_filter and embed_filter.split(".")[0] in embed:
        params.append(embed_filter)

    response = rest.get("/teams?" + "&".join(params), headers=live.headers(BOB))

    assert response.status_code == 200, response.text
    for team in response.json():
        assert team["id"] in BOB_TEAMS
        for child in team.get("projects", []) + team.get("members", []):
            if "team_id" in child:
                assert child["team_id"] in BOB_TEAMS
            if "name" in child:
                assert child["name"] != "red archive"


VIEW_COLUMNS = ["id", "owner", "title", "done", "priority", "due"]
CALLERS = {"anon": None, "alice": ALICE, "bob": BOB, "carol": CAROL, "service": None}


def caller_headers(live, who: str) -> dict[str, str]:
    if who == "service":
        return live.headers(key=live.service_key)
    return live.headers(CALLERS[who])


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    who=st.sampled_from(sorted(CALLERS)),
    view=st.sampled_from(["my_todos", "my_open_todos"]),
    columns=st.lists(st.sampled_from(VIEW_COLUMNS), max_size=3, unique=True),
    conditions=st.lists(filters | logic, max_size=3),
    order=st.none() | orders,
    limit=st.none() | st.integers(min_value=0, max_value=10),
    count=st.booleans(),
)
def test_security_invoker_views_never_show_a_row_their_table_hides(
    live, rest, who, view, columns, conditions, order, limit, count
):
    """A security_invoker view answers exactly what its table answers the same
    caller (`my_open_todos` is `my_todos` without done todos): no more rows."""
    select = ",".join(["owner", *[c for c in columns if c != "owner"]])
    params = [
        f"select={quote(select)}",
        *[quote(c, safe="=.(),*%:") for c in conditions],
        # Ties broken by id, so that a limit picks the same rows on both sides.
        f"{order},id.asc" if order else "order=id.asc",
    ]
    if limit is not None:
        params.append(f"limit={limit}")
    headers = caller_headers(live, who)
    if count:
        headers["Prefer"] = "count=exact"
    query = "&".join(params)
    table_query = query + ("&done=is.false" if view == "my_open_todos" else "")

    through_view = rest.get(f"/{view}?{query}", headers=headers)
    through_table = rest.get(f"/todos?{table_query}", headers=headers)

    assert through_view.status_code == through_table.status_code, through_view.text
    if through_view.status_code in (200, 206):
        assert through_view.json() == through_table.json()
        assert through_view.headers.get("content-range") == through_table.headers.get(
            "content-range"
        )
        if who != "service":
            assert {row["owner"] for row in through_view.json()} <= {CALLERS[who]}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    who=st.sampled_from(sorted(CALLERS)),
    embed=st.sampled_from(["p({})", "p!inner({})", "p(count)"]),
    columns=st.lists(
        st.sampled_from(["id", "name", "team_id", "archived"]),
        min_size=1,
        max_size=3,
        unique=True,
    ),
    conditions=st.lists(
        st.sampled_from(
            [
                "p.archived=is.false",
                "p.name=like.*a*",
                "p.id=gt.1",
                "p.order=name.desc,id",
                "p.limit=1",
                "p=not.is.null",
                "p=is.null",
                "name=neq.red",
            ]
        ),
        max_size=3,
        unique=True,
    ),
    count=st.booleans(),
)
def test_an_embedded_security_invoker_view_shows_what_its_table_shows(
    live, rest, who, embed, columns, conditions, count
):
    """Embedding `team_projects` (a security_invoker view of `projects`)
    answers every caller exactly what embedding `projects` answers."""
    select = embed.format(",".join(columns))
    if "count" in select:
        conditions = [c for c in conditions if "order" not in c and "limit" not in c]
    headers = caller_headers(live, who)
    if count:
        headers["Prefer"] = "count=exact"

    def teams(target: str) -> httpx.Response:
        embedded = select.replace("p", f"p:{target}", 1)
        query = "&".join([f"select=id,name,{embedded}", *conditions, "order=id"])
        return rest.get(f"/teams?{query}", headers=headers)

    through_view, through_table = teams("team_projects"), teams("projects")
    parents_view = rest.get(
        "/team_projects?select=id,name,t:teams!inner(name)&order=id", headers=headers
    )
    parents_table = rest.get(
        "/projects?select=id,name,t:teams!inner(name)&order=id", headers=headers
    )

    assert through_view.status_code == through_table.status_code, through_view.text
    assert through_view.json() == through_table.json()
    assert through_view.headers.get("content-range") == through_table.headers.get(
        "content-range"
    )
    assert parents_view.status_code == 200, parents_view.text
    assert parents_view.json() == parents_table.json()
