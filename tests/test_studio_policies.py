"""The Studio's Policies page, its policy editor and the Policy tester: what an
operator sees and runs, the JSON twins' access rules, and that the tester's
verdicts are the ones `/rest/v1` applies."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import ALICE, BOB, CAROL
from tests.studio_http import csrf_headers, operator_client

XSS = "<img src=x onerror=alert(1)>"
EMAILS = {
    ALICE: "alice@example.com",
    BOB: "bob@example.com",
    CAROL: "carol@example.com",
}


def post(client: httpx.Client, path: str, body: dict) -> httpx.Response:
    return client.post(path, json=body, headers=csrf_headers(client))


def policy_names(client: httpx.Client, table: str) -> list[str]:
    tables = client.get("/studio/api/policies/").json()["tables"]
    found = [t for t in tables if t["name"] == table]
    return [p["name"] for p in found[0]["policies"]] if found else []


@pytest.fixture(scope="module")
def ledger(studio_live) -> str:
    """`pol_ledger`: rows of alice, bob and carol; owners see theirs (a
    permissive policy), everyone authenticated sees public rows (another),
    and a restrictive policy hides archived rows from all."""
    studio_live.sql(
        f"""
        create table pol_ledger (
          id integer primary key,
          owner uuid references auth.users(id),
          body text not null,
          is_public boolean not null default false,
          archived boolean not null default false
        );
        insert into pol_ledger (id, owner, body, is_public, archived) values
          (1, '{ALICE}', 'alice private', false, false),
          (2, '{BOB}', 'bob private', false, false),
          (3, '{CAROL}', 'carol public', true, false),
          (4, '{ALICE}', 'alice archived', false, true),
          (5, '{BOB}', 'bob public', true, false);
        alter table pol_ledger enable row level security;
        create policy "owner reads" on pol_ledger for select to authenticated
          using (owner = auth.uid());
        create policy "public rows" on pol_ledger for select to authenticated
          using (is_public);
        create policy "not archived" on pol_ledger as restrictive for select
          to authenticated using (not archived);
        create policy "owner inserts" on pol_ledger for insert to authenticated
          with check (owner = auth.uid());
        """
    )
    return "pol_ledger"


@pytest.fixture(scope="module")
def operator(studio_live) -> httpx.Client:
    client = operator_client(studio_live.url)
    yield client
    client.close()


# ---------------------------------------------------------------- access


ENDPOINTS = [
    ("GET", "/studio/api/policies/"),
    ("POST", "/studio/api/policies/validate"),
    ("POST", "/studio/api/policies/statement"),
    ("POST", "/studio/api/policies/test"),
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_endpoints_refuse_requests_without_a_session(studio_live, method, path):
    response = httpx.request(method, studio_live.url + path, json={})

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Authentication credentials were not provided."
    }


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_app_user_jwt_gets_nothing(studio_live, ledger, method, path):
    response = httpx.request(
        method,
        studio_live.url + path,
        headers=studio_live.headers(ALICE),
        json={"as": "anon", "table": ledger, "operation": "select"},
    )

    assert response.status_code == 403
    assert "pol_ledger" not in response.text


def test_statement_without_csrf_token_is_refused_and_runs_nothing(
    studio_live, ledger, operator
):
    response = operator.post(
        "/studio/api/policies/statement",
        json={
            "table": ledger,
            "name": "csrf probe",
            "using": "true",
            "run": True,
        },
    )

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert "csrf probe" not in policy_names(operator, ledger)


# ---------------------------------------------------------------- editor


def test_bad_expression_is_refused_with_the_parsers_message(ledger, operator):
    body = {"table": ledger, "name": "bad one", "using": "ownr = auth.uid()"}

    verdict = post(operator, "/studio/api/policies/validate", body).json()
    run = post(operator, "/studio/api/policies/statement", {**body, "run": True})

    assert verdict["ok"] is False
    assert verdict["error"]["code"] == "42703"
    assert 'column "ownr" does not exist' in verdict["error"]["message"]
    assert run.status_code == 400
    assert 'column "ownr" does not exist' in run.json()["message"]
    assert "bad one" not in policy_names(operator, ledger)


def test_validation_refuses_with_check_on_select_policies(ledger, operator):
    body = {"table": ledger, "command": "select", "check": "true"}

    verdict = post(operator, "/studio/api/policies/validate", body).json()

    assert verdict == {
        "ok": False,
        "error": {
            "code": "42601",
            "message": "WITH CHECK cannot be applied to SELECT or DELETE",
            "details": None,
            "hint": None,
        },
    }


def test_statement_is_shown_then_run_then_altered_and_dropped(ledger, operator):
    body = {
        "table": ledger,
        "name": "Carol's rows",
        "command": "update",
        "permissive": False,
        "roles": ["authenticated"],
        "using": "owner = auth.uid()",
    }

    preview = post(operator, "/studio/api/policies/statement", body).json()
    assert preview == {
        "sql": 'create policy "Carol\'s rows" on "pol_ledger"\n  as restrictive\n'
        "  for update\n  to authenticated\n  using (owner = auth.uid());"
    }
    assert "Carol's rows" not in policy_names(operator, ledger)

    created = post(operator, "/studio/api/policies/statement", {**body, "run": True})
    edited = post(
        operator,
        "/studio/api/policies/statement",
        {
            **body,
            "original": "Carol's rows",
            "name": "carol rows",
            "using": "true",
            "run": True,
        },
    )
    after_edit = operator.get("/studio/api/policies/").json()["tables"]
    dropped = post(
        operator,
        "/studio/api/policies/statement",
        {"action": "drop", "table": ledger, "name": "carol rows", "run": True},
    )

    assert created.json()["status"] == ["CREATE POLICY"]
    assert edited.json()["status"] == ["ALTER POLICY", "ALTER POLICY"]
    policy = next(
        p
        for t in after_edit
        if t["name"] == ledger
        for p in t["policies"]
        if p["name"] == "carol rows"
    )
    assert policy == {
        "table": ledger,
        "name": "carol rows",
        "permissive": False,
        "command": "update",
        "roles": ["authenticated"],
        "using": "true",
        "check": None,
    }
    assert dropped.json()["status"] == ["DROP POLICY"]
    assert "carol rows" not in policy_names(operator, ledger)


# ---------------------------------------------------------------- tester


def explain(operator: httpx.Client, **body) -> dict:
    response = post(operator, "/studio/api/policies/test", body)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("user", [ALICE, BOB, CAROL, None])
def test_tester_allows_exactly_the_rows_rest_returns(
    studio_live, ledger, operator, user
):
    """For each caller, rows the tester marks allowed == what /rest/v1 serves."""
    if user is None:
        result = explain(
            operator, **{"as": "anon", "table": ledger, "operation": "select"}
        )
        headers = studio_live.headers()
    else:
        result = explain(
            operator,
            **{
                "as": "user",
                "email": EMAILS[user],
                "table": ledger,
                "operation": "select",
            },
        )
        token = studio_live.token(user, email=EMAILS[user])
        headers = {"apikey": studio_live.anon_key, "Authorization": f"Bearer {token}"}
    rest = httpx.get(
        f"{studio_live.url}/rest/v1/{ledger}?select=id&order=id", headers=headers
    )

    allowed = [row["values"]["id"] for row in result["rows"] if row["allowed"]]
    assert rest.status_code == 200
    assert allowed == [row["id"] for row in rest.json()]
    assert [row["values"]["id"] for row in result["rows"]] == [1, 2, 3, 4, 5]


def test_tester_names_the_policy_behind_each_verdict(ledger, operator):
    result = explain(
        operator,
        **{
            "as": "user",
            "email": "alice@example.com",
            "table": ledger,
            "operation": "select",
        },
    )

    by_id = {row["values"]["id"]: row for row in result["rows"]}
    assert result["using_policies"] == ["not archived", "owner reads", "public rows"]
    assert by_id[1]["allowed"] is True
    assert by_id[1]["reason"] == "allowed by owner reads"
    assert by_id[1]["verdicts"] == {
        "not archived": True,
        "owner reads": True,
        "public rows": False,
    }
    assert by_id[2]["allowed"] is False
    assert by_id[2]["reason"] == "denied: no permissive policy passed"
    assert by_id[3]["reason"] == "allowed by public rows"
    assert by_id[4]["allowed"] is False
    assert by_id[4]["reason"] == "denied by restrictive not archived"


def test_tester_with_claims_json_and_service_role(ledger, operator):
    claims = explain(
        operator,
        **{
            "as": "claims",
            "claims": {"role": "authenticated", "sub": BOB},
            "table": ledger,
            "operation": "select",
        },
    )
    service = explain(
        operator,
        **{"as": "claims", "claims": '{"role": "service_role"}', "table": ledger},
    )

    assert [r["values"]["id"] for r in claims["rows"] if r["allowed"]] == [2, 3, 5]
    assert service["bypasses_rls"] is True
    assert {r["reason"] for r in service["rows"]} == {
        "service_role bypasses row-level security"
    }


def test_tester_checks_an_insert_row(ledger, operator):
    own = explain(
        operator,
        **{
            "as": "user",
            "email": "alice@example.com",
            "table": ledger,
            "operation": "insert",
            "row": {"id": 9, "owner": ALICE, "body": "mine"},
        },
    )
    other = explain(
        operator,
        **{
            "as": "user",
            "email": "alice@example.com",
            "table": ledger,
            "operation": "insert",
            "row": f'{{"owner": "{BOB}", "body": "theirs"}}',
        },
    )

    assert own["check"]["allowed"] is True
    assert own["check"]["verdicts"] == {"owner inserts": True}
    assert own["check"]["omitted"] == ["is_public", "archived"]
    assert own["check"]["values"] == {
        "id": 9,
        "owner": ALICE,
        "body": "mine",
        "is_public": 0,  # the declared default, as an insert would store it
        "archived": 0,
    }
    assert other["check"]["allowed"] is False
    assert other["check"]["reason"] == "denied: no permissive policy passed"
    assert own["rows"] == []


def test_tester_refuses_unknown_columns_and_callers(ledger, operator):
    column = post(
        operator,
        "/studio/api/policies/test",
        {"as": "anon", "table": ledger, "operation": "insert", "row": {"nope": 1}},
    )
    user = post(
        operator,
        "/studio/api/policies/test",
        {"as": "user", "email": "nobody@example.com", "table": ledger},
    )

    assert column.status_code == 400
    assert column.json()["message"] == "column pol_ledger.nope does not exist"
    assert user.status_code == 400
    assert user.json()["message"] == "no app user has the email 'nobody@example.com'"


# ---------------------------------------------------------------- browser


def test_policy_form_validates_as_typed_and_creates_the_policy(studio, ledger):
    page = studio.goto(f"/studio/policies/?table={ledger}")
    form = page.locator("#policy-form")
    form.get_by_label("Policy name").fill("alice edits")
    form.get_by_label("Command").select_option("update")
    using = form.get_by_label("Using expression")

    using.fill("ownr = auth.uid()")
    status = page.get_by_test_id("validation")
    page.wait_for_function(
        "el => el.textContent.includes('does not exist')", arg=status.element_handle()
    )
    assert re.search(r'column "ownr" does not exist', status.text_content())

    using.fill("owner = auth.uid()")
    page.wait_for_function(
        "el => el.textContent === 'Expression is valid.'", arg=status.element_handle()
    )
    statement = page.get_by_test_id("statement")
    page.wait_for_function(
        "el => el.textContent.includes('owner = auth.uid()')",
        arg=statement.element_handle(),
    )
    studio.screenshot("policies")
    form.get_by_role("button", name="Create policy").click()
    dialog = page.get_by_role("dialog")
    assert 'create policy "alice edits"' in dialog.text_content()
    dialog.get_by_role("button", name="Create policy").click()

    row = page.get_by_test_id("policy-row").filter(has_text="alice edits")
    row.wait_for()
    expect(row.get_by_role("cell", name="update", exact=True)).to_be_visible()
    assert studio.failed_requests == [], studio.failed_requests


def test_rls_toggle_confirms_before_running(studio, studio_live):
    studio_live.sql("create table pol_toggle (id integer primary key);")
    page = studio.goto("/studio/policies/?table=pol_toggle")
    card = page.get_by_test_id("table-card")

    card.get_by_role("button", name="Enable RLS").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(card.get_by_text("RLS disabled")).to_be_visible()

    card.get_by_role("button", name="Enable RLS").click()
    dialog = page.get_by_role("dialog")
    assert (
        'alter table "pol_toggle" enable row level security;' in dialog.text_content()
    )
    dialog.get_by_role("button", name="Enable RLS").click()
    page.get_by_test_id("table-card").get_by_text("RLS enabled").wait_for()

    page.get_by_role("button", name="Disable RLS").click()
    page.get_by_role("dialog").get_by_role("button", name="Disable RLS").click()
    page.get_by_test_id("table-card").get_by_text("RLS disabled").wait_for()


def test_editing_a_policy_alters_and_renames_it(studio, studio_live):
    studio_live.sql(
        """
        create table pol_edit (id integer primary key, n integer);
        create policy "small" on pol_edit for select using (n < 10);
        """
    )
    page = studio.goto("/studio/policies/?table=pol_edit")
    page.get_by_role("link", name="Edit small").click()
    form = page.locator("#policy-form")
    assert form.get_by_label("Command").is_disabled()

    form.get_by_label("Policy name").fill("tiny")
    form.get_by_label("Using expression").fill("n < 3")
    page.get_by_test_id("statement").filter(has_text="rename to").wait_for()
    form.get_by_role("button", name="Save policy").click()
    dialog = page.get_by_role("dialog")
    assert dialog.text_content().count("alter policy") == 2
    dialog.get_by_role("button", name="Save policy").click()

    row = page.get_by_test_id("policy-row").filter(has_text="tiny")
    row.wait_for()
    expect(row.get_by_role("cell", name="n < 3")).to_be_visible()
    assert page.get_by_test_id("policy-row").count() == 1


def test_drop_asks_first_and_removes_the_policy(studio, studio_live):
    studio_live.sql(
        """
        create table pol_drop (id integer primary key);
        create policy "short lived" on pol_drop for select using (true);
        """
    )
    page = studio.goto("/studio/policies/?table=pol_drop")
    rows = page.get_by_test_id("policy-row")

    page.get_by_role("button", name="Drop short lived").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    assert rows.count() == 1

    page.get_by_role("button", name="Drop short lived").click()
    dialog = page.get_by_role("dialog")
    assert 'drop policy "short lived" on "pol_drop";' in dialog.text_content()
    dialog.get_by_role("button", name="Drop policy").click()
    page.get_by_text("No policies.").wait_for()
    assert rows.count() == 0


def test_tester_page_shows_which_policy_allowed_each_row(studio, ledger):
    page = studio.goto("/studio/policies/tester/")
    page.get_by_label("app user").check()
    page.get_by_label("User email").fill("alice@example.com")
    page.get_by_label("Table").select_option(ledger)
    page.get_by_label("Operation").select_option("select")
    page.get_by_role("button", name="Run test").click()

    rows = page.get_by_test_id("tester-row")
    rows.first.wait_for()
    assert "as=user" in page.url and "table=pol_ledger" in page.url
    alice = rows.filter(has_text="alice private")
    bob = rows.filter(has_text="bob private")
    assert alice.get_attribute("data-allowed") == "true"
    assert "allowed by owner reads" in alice.text_content()
    assert bob.get_attribute("data-allowed") == "false"
    assert "denied: no permissive policy passed" in bob.text_content()
    studio.screenshot("policy-tester")


def test_tester_page_checks_an_insert_row(studio, ledger):
    page = studio.goto("/studio/policies/tester/")
    page.get_by_label("app user").check()
    page.get_by_label("User email").fill("alice@example.com")
    page.get_by_label("Table").select_option(ledger)
    page.get_by_label("Operation").select_option("insert")
    page.get_by_label("Row to check").fill(f'{{"owner": "{ALICE}", "body": "x"}}')
    page.get_by_role("button", name="Run test").click()
    passing = page.get_by_test_id("check-result")
    assert "With check: passes" in passing.text_content()

    page.get_by_label("Row to check").fill(f'{{"owner": "{BOB}", "body": "x"}}')
    page.get_by_role("button", name="Run test").click()
    failing = page.get_by_test_id("check-result")
    failing.get_by_text("With check: fails").wait_for()
    studio.screenshot("policy-tester-insert")


def test_policy_named_with_markup_shows_as_text(studio, studio_live):
    studio_live.sql(
        f"""
        create table pol_xss (id integer primary key, note text);
        insert into pol_xss values (1, '{XSS}');
        alter table pol_xss enable row level security;
        create policy "{XSS}" on pol_xss for select using (note <> '{XSS}x');
        """
    )
    page = studio.goto("/studio/policies/?table=pol_xss")
    page.get_by_test_id("policy-row").first.wait_for()

    expect(page.get_by_role("cell", name=XSS, exact=True)).to_be_visible()
    page.get_by_role("link", name=f"Edit {XSS}").click()
    page.get_by_test_id("statement").filter(has_text=XSS).wait_for()
    assert page.locator("img").count() == 0

    page = studio.goto(
        "/studio/policies/tester/?as=anon&table=pol_xss&operation=select"
    )
    page.get_by_test_id("tester-row").first.wait_for()
    expect(page.get_by_role("cell", name=XSS, exact=True)).to_be_visible()
    expect(page.get_by_role("columnheader", name=f"Policy {XSS}")).to_be_visible()
    assert page.locator("img").count() == 0


@pytest.fixture(scope="module")
def editable(studio_live) -> str:
    """`pol_edits`: owners may update their rows but not make them public."""
    studio_live.sql(
        f"""
        create table pol_edits (
          id integer primary key,
          owner uuid,
          body text,
          is_public boolean not null default false
        );
        insert into pol_edits values
          (1, '{ALICE}', 'alice private', false),
          (2, '{ALICE}', 'alice public', true),
          (3, '{BOB}', 'bob private', false);
        alter table pol_edits enable row level security;
        create policy "owner edits" on pol_edits for update to authenticated
          using (owner = auth.uid()) with check (owner = auth.uid());
        create policy "stays private" on pol_edits as restrictive for update
          to authenticated using (true) with check (not is_public);
        """
    )
    return "pol_edits"


def test_tester_checks_an_update_against_each_stored_row(editable, operator):
    result = explain(
        operator,
        **{
            "as": "user",
            "email": "alice@example.com",
            "table": editable,
            "operation": "update",
            "row": {"body": "edited"},
        },
    )

    assert result["check"] is None
    checks = {row["values"]["id"]: row["check"] for row in result["rows"]}
    assert checks[1] == {
        "values": {"id": 1, "owner": ALICE, "body": "edited", "is_public": 0},
        "omitted": ["id", "owner", "is_public"],
        "allowed": True,
        "reason": "allowed by owner edits",
        "verdicts": {"owner edits": True, "stays private": True},
    }
    assert checks[2]["allowed"] is False
    assert checks[2]["reason"] == "denied by restrictive stays private"
    assert checks[3] is None


def test_tester_page_shows_the_update_check_per_row(studio, editable):
    page = studio.goto(
        "/studio/policies/tester/?as=user&email=alice%40example.com"
        f"&table={editable}&operation=update&row=%7B%22body%22%3A%22edited%22%7D"
    )

    rows = page.get_by_test_id("tester-row")
    expect(rows.first).to_be_visible()
    checks = page.get_by_test_id("row-check")
    expect(checks).to_have_text(["passes", "fails", "not updated"])
    expect(rows.filter(has_text="alice public")).to_contain_text(
        "denied by restrictive stays private"
    )
    studio.screenshot("policy-tester-update")


# ---------------------------------------------------------------- storage.objects


def test_storage_objects_policies_are_written_and_tested_like_a_tables(operator):
    body = {
        "table": "storage_objects",
        "name": "own folder",
        "command": "insert",
        "roles": ["authenticated"],
        "check": "bucket_id = 'avatars' and "
        "(storage.foldername(name))[1] = auth.uid()::text",
    }

    preview = post(operator, "/studio/api/policies/statement", body).json()
    created = post(operator, "/studio/api/policies/statement", {**body, "run": True})
    listed = {
        t["name"]: t for t in operator.get("/studio/api/policies/").json()["tables"]
    }
    own = explain(
        operator,
        **{
            "as": "user",
            "email": "alice@example.com",
            "table": "storage_objects",
            "operation": "insert",
            "row": {"bucket_id": "avatars", "name": f"{ALICE}/face.png"},
        },
    )
    other = explain(
        operator,
        **{
            "as": "user",
            "email": "alice@example.com",
            "table": "storage_objects",
            "operation": "insert",
            "row": {"bucket_id": "avatars", "name": f"{BOB}/face.png"},
        },
    )
    disabled = post(
        operator,
        "/studio/api/policies/statement",
        {"action": "rls", "table": "storage_objects", "enabled": False, "run": True},
    )
    dropped = post(
        operator,
        "/studio/api/policies/statement",
        {
            "action": "drop",
            "table": "storage_objects",
            "name": "own folder",
            "run": True,
        },
    )

    assert preview["sql"].startswith('create policy "own folder" on storage.objects\n')
    assert created.json()["status"] == ["CREATE POLICY"]
    assert listed["storage_objects"]["shown"] == "storage.objects"
    assert listed["storage_objects"]["rls_enabled"] is True
    assert [p["name"] for p in listed["storage_objects"]["policies"]] == ["own folder"]
    assert own["check"]["verdicts"] == {"own folder": True}
    assert other["check"]["allowed"] is False
    assert disabled.status_code == 400
    assert "must be owner of table objects" in disabled.text
    assert dropped.json()["status"] == ["DROP POLICY"]
