"""The Django admin, for operators only: counts on its index, read-only lists
of what services own, operators added with the operators' password rules."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from contextlib import closing

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import OPERATOR_EMAIL
from tests.studio_http import StudioClient, operator_client

ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/accounts/session/",
    "/admin/accounts/identity/",
    "/admin/accounts/factor/",
    "/admin/studio/operator/",
    "/admin/studio/operator/add/",
    "/admin/database/sqlmigration/",
    "/admin/rls/policy/",
    "/admin/studio/capturedmail/",
    "/admin/studio/requestlog/",
    "/admin/emails/emailtemplate/",
    "/admin/emails/emailtemplate/add/",
    "/admin/emails/outgoingemail/",
    "/admin/scheduler/cronjob/",
    "/admin/scheduler/cronjob/add/",
    "/admin/scheduler/jobrun/",
    "/admin/admin_dashboard/auditevent/",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_load_for_an_operator_only(studio_live, path):
    operator = operator_client(studio_live.url).get(path)
    anonymous = httpx.get(studio_live.url + path, follow_redirects=True)
    app_user = httpx.get(
        studio_live.url + path,
        headers=studio_live.headers("00000000-0000-4000-8000-00000000a11c"),
        follow_redirects=True,
    )

    assert operator.status_code == 200
    assert anonymous.url.path == "/studio/login/"
    assert app_user.url.path == "/studio/login/"
    assert "alice@example.com" not in app_user.text


def test_index_counts_users_sessions_tables_policies_and_deliveries(studio_live):
    client = operator_client(studio_live.url)
    users = httpx.get(
        f"{studio_live.url}/auth/v1/admin/users?per_page=1",
        headers=studio_live.headers(key=studio_live.service_key),
    ).headers["X-Total-Count"]

    page = client.get("/admin/").text

    counts = [
        (label, value)
        for value, label in re.findall(
            r'<div class="value">(\d+)</div>\s*<div class="label">(?:<a[^>]*>)?([\w ]+)',
            page,
        )
    ]
    assert dict(counts)["Users"] == users
    assert [label for label, _ in counts] == [
        "Users",
        "Sessions",
        "Tables",
        "Policies",
        "Webhook deliveries waiting",
        "Webhook deliveries failed",
        "Jobs queued",
        "Jobs failed",
        "Emails waiting",
        "Emails failed",
        "Cron runs failed in 24 hours",
    ]


def test_index_lists_recent_api_errors(studio_live):
    client = operator_client(studio_live.url)
    missing = httpx.get(
        f"{studio_live.url}/rest/v1/admin_index_no_such_table",
        headers=studio_live.headers(),
    )
    assert missing.status_code == 404

    # The request log is written in batches off the request's path.
    deadline = time.monotonic() + 10
    while "admin_index_no_such_table" not in (page := client.get("/admin/").text):
        assert time.monotonic() < deadline, "the failed request never reached the index"
        time.sleep(0.2)

    assert "GET /rest/v1/admin_index_no_such_table</td><td>404</td>" in page


def test_policy_text_is_shown_read_only(studio_live):
    table = f"admin_notes_{uuid.uuid4().hex[:6]}"
    studio_live.sql(
        f"create table {table} (id integer primary key, owner text);\n"
        f"alter table {table} enable row level security;\n"
        f'create policy "owner reads" on {table} for select '
        "using (owner = auth.uid());\n"
    )
    client = operator_client(studio_live.url)

    listing = client.get("/admin/rls/policy/", params={"q": table})

    assert listing.status_code == 200
    assert "owner reads" in listing.text
    assert "auth.uid()" in listing.text
    assert 'href="/admin/rls/policy/add/"' not in listing.text


def test_factor_secret_is_never_shown(studio_live):
    email = f"admin-factor-{uuid.uuid4().hex[:8]}@example.com"
    headers = studio_live.headers(key=studio_live.service_key)
    user = httpx.post(
        f"{studio_live.url}/auth/v1/admin/users",
        headers=headers,
        json={"email": email, "password": "a-good-password-42", "email_confirm": True},
    ).json()
    token = httpx.post(
        f"{studio_live.url}/auth/v1/token?grant_type=password",
        headers={"apikey": studio_live.anon_key},
        json={"email": email, "password": "a-good-password-42"},
    ).json()["access_token"]
    enrolled = httpx.post(
        f"{studio_live.url}/auth/v1/factors",
        headers={"apikey": studio_live.anon_key, "Authorization": f"Bearer {token}"},
        json={"factor_type": "totp"},
    ).json()
    client = operator_client(studio_live.url)

    detail = client.get(f"/admin/accounts/factor/{enrolled['id']}/change/")

    assert detail.status_code == 200
    assert user["id"] in detail.text or email in detail.text
    assert enrolled["totp"]["secret"] not in detail.text


def test_operator_added_with_a_weak_password_is_refused(studio):
    page = studio.goto("/admin/studio/operator/add/")
    page.get_by_label("Email").fill("weak-op@example.com")
    page.get_by_label(re.compile(r"^Password:?$")).fill("12345678")
    page.get_by_label("Password confirmation").fill("12345678")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("This password is too common.")).to_be_visible()


def test_operator_added_then_deactivated(studio):
    email = f"op-{uuid.uuid4().hex[:8]}@example.com"
    page = studio.goto("/admin/studio/operator/add/")
    page.get_by_label("Email").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill("river-lantern-copper-71")
    page.get_by_label("Password confirmation").fill("river-lantern-copper-71")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text(re.compile("was added successfully")).wait_for()

    page.goto(studio.url + f"/admin/studio/operator/?q={email}")
    page.get_by_role("checkbox", name=re.compile("Select this object")).check()
    page.get_by_label("Action:").select_option(label="Deactivate selected operators")
    page.get_by_role("button", name="Go").click()

    expect(page.get_by_text("Deactivated 1 operator(s).")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=email)
    assert row.locator("td.field-is_active img").get_attribute("alt") == "False"


def test_outgoing_emails_are_resent_from_the_admin(studio, studio_live):
    to = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    sent = httpx.post(
        f"{studio_live.url}/emails/v1/send",
        headers={"apikey": studio_live.service_key},
        json={"template": "auth/invite", "to": to, "context": {"link": "x"}},
    )
    assert sent.status_code == 202
    page = studio.goto(f"/admin/emails/outgoingemail/?q={to}")
    page.get_by_role("checkbox", name=re.compile("Select this object")).check()
    page.get_by_label("Action:").select_option(label="Resend the selected emails")
    page.get_by_role("button", name="Go").click()

    expect(page.get_by_text("Queued 1 email(s) again.")).to_be_visible()
    log = operator_client(studio_live.url).get("/studio/api/emails/", params={"q": to})
    assert [e["status"] for e in log.json()["emails"]] == ["sent", "sent"]


def test_email_template_with_a_syntax_error_is_not_saved_from_the_admin(studio):
    name = f"admin-{uuid.uuid4().hex[:8]}"
    page = studio.goto("/admin/emails/emailtemplate/add/")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Subject").fill("Hi")
    page.get_by_label("Html").fill("{% for %}")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text(re.compile("has an error in its html"))).to_be_visible()
    listing = studio.goto(f"/admin/emails/emailtemplate/?q={name}")
    expect(listing.get_by_text("0 email templates")).to_be_visible()


def test_admin_pages_load_with_stylesheets(studio):
    for path in ADMIN_PAGES:
        page = studio.goto(path)
        page.locator("#header").wait_for()
    page = studio.goto("/admin/")
    expect(page.get_by_role("region", name="Project counts")).to_be_visible()
    assert page.get_by_role("link", name="View site").get_attribute("href") == (
        "/studio/"
    )
    color = page.evaluate(
        "getComputedStyle(document.querySelector('.dashboard-count')).borderTopStyle"
    )
    assert color == "solid"
    studio.screenshot("admin-dashboard")
    studio.goto("/admin/rls/policy/")
    studio.screenshot("admin-policies")
    assert studio.failed_requests == []


def test_admin_runs_a_cron_job_now_and_refuses_a_bad_schedule(studio_live):
    client = operator_client(studio_live.url)
    out = studio_live.sql("select cron.schedule('admin-run', '0 0 1 1 *', 'select 1');")
    job_id = int(re.findall(r"^(\d+)\s*$", out, re.MULTILINE)[-1])
    token = {"csrfmiddlewaretoken": client.cookies["csrftoken"]}

    ran = client.post(
        "/admin/scheduler/cronjob/",
        data={"action": "run_now", "_selected_action": str(job_id), **token},
        follow_redirects=True,
    )
    again = client.post(
        "/admin/scheduler/cronjob/",
        data={"action": "run_now", "_selected_action": str(job_id), **token},
        follow_redirects=True,
    )
    refused = client.post(
        f"/admin/scheduler/cronjob/{job_id}/change/",
        data={
            "name": "admin-run",
            "schedule": "61 * * * *",
            "kind": "sql",
            "command": "select 1",
            "timezone": "UTC",
            "active": "on",
            **token,
        },
    )
    runs = client.get(f"/studio/api/cron/{job_id}/").json()["runs"]
    studio_live.sql("select cron.unschedule('admin-run');")

    assert re.search(rf"Started run \d+ of job {job_id}\.", ran.text)
    assert '<li class="warning">Job admin-run is already running</li>' in again.text
    assert refused.status_code == 200
    assert "invalid schedule: &#x27;61 * * * *&#x27;" in refused.text
    assert [run["status"] for run in runs] == ["starting"]


def _audit_rows(project, after: int) -> list[tuple]:
    with closing(sqlite3.connect(project / "koyalite.sqlite3")) as db:
        return db.execute(
            "select operator_email, method, action, target, status from "
            "koyalite_audit_events where id > ? order by id",
            (after,),
        ).fetchall()


def _last_audit_id(project) -> int:
    with closing(sqlite3.connect(project / "koyalite.sqlite3")) as db:
        return db.execute("select coalesce(max(id), 0) from koyalite_audit_events").fetchone()[0]  # fmt: skip


def test_operator_changes_are_in_the_audit_log_reads_are_not(studio_live):
    """Every write through the Studio or the admin, refused ones too, is in the
    audit log with who made it and what it named; reads and bodies are not."""
    start = _last_audit_id(studio_live.project)
    operator = StudioClient(studio_live.url)
    created = operator.send(
        "POST",
        "/studio/api/webhooks/endpoints",
        {"name": f"audited-{uuid.uuid4().hex[:6]}", "url": "http://127.0.0.1:9/x",
         "events": ["DELETE"]},
    )  # fmt: skip
    endpoint_id = created.json()["id"]
    operator.get(f"/studio/api/webhooks/endpoints/{endpoint_id}")
    operator.send("POST", f"/studio/api/webhooks/endpoints/{endpoint_id}/secret")
    forged = operator.send(
        "DELETE", f"/studio/api/webhooks/endpoints/{endpoint_id}", csrf=False
    )
    switched = operator.http.post(
        "/admin/webhooks/endpoint/",
        data={"action": "switch_on", "_selected_action": str(endpoint_id),
              "csrfmiddlewaretoken": operator.http.cookies["csrftoken"]},
    )  # fmt: skip
    page = operator.get("/admin/admin_dashboard/auditevent/")
    operator.http.post(
        "/studio/logout/",
        headers={"X-CSRFToken": operator.http.cookies["csrftoken"]},
    )

    email = OPERATOR_EMAIL
    assert (created.status_code, forged.status_code, switched.status_code) == (
        201,
        403,
        302,
    )
    assert _audit_rows(studio_live.project, start) == [
        (email, "POST", "studio:login", "", 302),
        (email, "POST", "studio:api_webhook_endpoints", "", 201),
        (email, "POST", "studio:api_webhook_secret", f"endpoint_id={endpoint_id}", 200),
        (email, "DELETE", "studio:api_webhook_endpoint", f"endpoint_id={endpoint_id}", 403),
        (email, "POST", "admin:webhooks_endpoint_changelist", "", 302),
        (email, "POST", "studio:logout", "", 302),
    ]  # fmt: skip
    assert page.status_code == 200
    assert "studio:api_webhook_secret" in page.text
    assert "/admin/admin_dashboard/auditevent/add/" not in page.text
    assert "whsec_" not in page.text
