"""Supabase Storage's "own folder" policy on a user table, through /rest/v1 and
the Studio's policy tester: `(storage.foldername(name))[1] = auth.uid()::text`
lets each user reach exactly the rows under their uid."""

from __future__ import annotations

import uuid

import httpx
import pytest
from playwright.sync_api import expect
from postgrest.exceptions import APIError

from tests.conftest import ALICE, BOB, CAROL
from tests.storage_fixtures import EMAILS, supabase_client
from tests.studio_http import csrf_headers, operator_client

OWN_FOLDER = "(storage.foldername(name))[1] = auth.uid()::text"
SEEDED = {
    1: f"{ALICE}/avatar.png",
    2: f"{ALICE}/docs/cv.pdf",
    3: f"{BOB}/avatar.jpg",
    4: "avatar.png",
    5: f"x/{ALICE}/nested.png",
    6: ALICE,
}


@pytest.fixture(scope="module")
def docs(studio_live) -> str:
    """`path_docs`: files named by path; four policies, one per command, all
    the own-folder rule of Supabase's storage docs."""
    values = ", ".join(f"({i}, '{name}')" for i, name in SEEDED.items())
    studio_live.sql(
        f"""
        create table path_docs (
          id integer primary key,
          name text not null,
          body text not null default ''
        );
        insert into path_docs (id, name) values {values};
        alter table path_docs enable row level security;
        create policy "own folder reads" on path_docs for select to authenticated
          using ({OWN_FOLDER});
        create policy "own folder uploads" on path_docs for insert
          to authenticated with check ({OWN_FOLDER});
        create policy "own folder edits" on path_docs for update to authenticated
          using ({OWN_FOLDER}) with check ({OWN_FOLDER});
        create policy "own folder deletes" on path_docs for delete
          to authenticated using ({OWN_FOLDER});
        """
    )
    return "path_docs"


@pytest.fixture(scope="module")
def callers(studio_live) -> dict:
    return {
        "alice": supabase_client(studio_live, ALICE),
        "bob": supabase_client(studio_live, BOB),
        "carol": supabase_client(studio_live, CAROL),
        "anon": supabase_client(studio_live),
        "service": supabase_client(studio_live, key=studio_live.service_key),
    }


def names(callers: dict, *ids: int) -> dict[int, str]:
    rows = (
        callers["service"].table("path_docs").select("id,name").in_("id", ids).execute()
    )
    return {row["id"]: row["name"] for row in rows.data}


@pytest.mark.parametrize(
    ("caller", "visible"),
    [
        ("alice", [1, 2]),
        ("bob", [3]),
        ("carol", []),
        ("anon", []),
        ("service", [1, 2, 3, 4, 5, 6]),
    ],
)
def test_each_user_sees_only_the_rows_under_their_uid_folder(
    docs, callers, caller, visible
):
    rows = (
        callers[caller].table(docs).select("id").lte("id", 6).order("id").execute().data
    )

    assert [row["id"] for row in rows] == visible


def test_update_reaches_only_rows_in_the_callers_folder(docs, callers):
    marker = f"edited-{uuid.uuid4().hex[:6]}"

    updated = (
        callers["alice"]
        .table(docs)
        .update({"body": marker})
        .in_("id", [1, 3, 4])
        .execute()
        .data
    )

    assert [row["id"] for row in updated] == [1]
    bodies = (
        callers["service"]
        .table(docs)
        .select("id,body")
        .in_("id", [1, 3, 4])
        .order("id")
        .execute()
        .data
    )
    assert [(row["id"], row["body"] == marker) for row in bodies] == [
        (1, True),
        (3, False),
        (4, False),
    ]


def test_moving_a_row_into_another_users_folder_is_refused(docs, callers):
    with pytest.raises(APIError) as error:
        callers["alice"].table(docs).update({"name": f"{BOB}/stolen.png"}).eq(
            "id", 2
        ).execute()

    assert error.value.code == "42501"
    assert names(callers, 2) == {2: SEEDED[2]}


def test_delete_reaches_only_rows_in_the_callers_folder(docs, callers):
    callers["service"].table(docs).insert(
        [{"id": 20, "name": f"{ALICE}/tmp.txt"}, {"id": 21, "name": f"{BOB}/tmp.txt"}]
    ).execute()

    by_bob = callers["bob"].table(docs).delete().in_("id", [1, 2, 20]).execute().data
    by_anon = callers["anon"].table(docs).delete().in_("id", [20, 21]).execute().data
    by_alice = callers["alice"].table(docs).delete().in_("id", [20, 21]).execute().data

    assert by_bob == []
    assert by_anon == []
    assert [row["id"] for row in by_alice] == [20]
    assert names(callers, 1, 2, 20, 21) == {
        1: SEEDED[1],
        2: SEEDED[2],
        21: f"{BOB}/tmp.txt",
    }


def test_upload_into_own_folder_is_accepted(docs, callers):
    name = f"{BOB}/new-{uuid.uuid4().hex[:6]}.png"

    rows = callers["bob"].table(docs).insert({"name": name}).execute().data

    assert [row["name"] for row in rows] == [name]


@pytest.mark.parametrize(
    "name",
    [f"{BOB}/forged.png", "forged.png", f"x/{ALICE}/forged.png", ""],
)
def test_insert_outside_own_folder_fails_with_check_and_writes_nothing(
    docs, callers, name
):
    with pytest.raises(APIError) as error:
        callers["alice"].table(docs).insert({"name": name, "body": "forged"}).execute()

    assert error.value.code == "42501"
    assert error.value.message == (
        'new row violates row-level security policy for table "path_docs"'
    )
    forged = callers["service"].table(docs).select("id").eq("body", "forged")
    assert forged.execute().data == []


def test_anon_insert_is_401_and_writes_nothing(studio_live, docs, callers):
    response = httpx.post(
        f"{studio_live.url}/rest/v1/{docs}",
        json={"name": f"{ALICE}/anon.png", "body": "by anon"},
        headers=studio_live.headers(),
    )

    assert response.status_code == 401
    assert response.json()["code"] == "42501"
    written = callers["service"].table(docs).select("id").eq("body", "by anon")
    assert written.execute().data == []


# ---------------------------------------------------------------- tester


@pytest.fixture(scope="module")
def operator(studio_live) -> httpx.Client:
    client = operator_client(studio_live.url)
    yield client
    client.close()


def explain(operator: httpx.Client, **body) -> dict:
    response = operator.post(
        "/studio/api/policies/test", json=body, headers=csrf_headers(operator)
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("user", "allowed"), [(ALICE, [1, 2]), (BOB, [3]), (None, [])])
def test_tester_allows_the_rows_under_the_callers_folder(operator, docs, user, allowed):
    caller = {"as": "anon"} if user is None else {"as": "user", "email": EMAILS[user]}

    result = explain(operator, table=docs, operation="select", **caller)

    verdicts = {row["values"]["id"]: row["allowed"] for row in result["rows"]}
    assert [i for i in SEEDED if verdicts[i]] == allowed
    if user is not None:
        reasons = {row["values"]["id"]: row["reason"] for row in result["rows"]}
        assert reasons[allowed[0]] == "allowed by own folder reads"
        assert reasons[4] == "denied: no permissive policy passed"


def test_tester_checks_an_upload_against_the_own_folder_rule(operator, docs):
    def check(name: str) -> dict:
        return explain(
            operator,
            **{
                "as": "user",
                "email": EMAILS[ALICE],
                "table": docs,
                "operation": "insert",
                "row": {"name": name},
            },
        )["check"]

    assert check(f"{ALICE}/fine.png")["verdicts"] == {"own folder uploads": True}
    assert check(f"{BOB}/forged.png")["allowed"] is False
    assert check("forged.png")["allowed"] is False


def test_tester_page_shows_own_folder_verdicts(studio, docs):
    page = studio.goto(
        "/studio/policies/tester/?as=user&email=bob%40example.com"
        f"&table={docs}&operation=select"
    )

    rows = page.get_by_test_id("tester-row")
    expect(rows.first).to_be_visible()
    bobs = rows.filter(has_text=f"{BOB}/avatar.jpg")
    alices = rows.filter(has_text=f"{ALICE}/avatar.png")
    expect(bobs).to_have_attribute("data-allowed", "true")
    expect(bobs).to_contain_text("allowed by own folder reads")
    expect(alices).to_have_attribute("data-allowed", "false")
    expect(alices).to_contain_text("denied: no permissive policy passed")
    studio.screenshot("policy-tester-own-folder")
