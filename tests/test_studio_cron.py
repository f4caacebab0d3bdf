"""The Studio's Cron page: jobs made, changed, paused, run and deleted from
the browser; hostile job names and commands stay text."""

from __future__ import annotations

import re

from playwright.sync_api import expect

XSS = "<img src=x onerror=alert(1)>"


def test_create_edit_pause_run_and_delete_a_job(studio, studio_live):
    page = studio.goto("/studio/cron/")
    form = page.get_by_role("form", name="New job")
    form.get_by_label("Name").fill("cleanup " + XSS)
    form.get_by_label("Schedule").fill("0 9 * * *")
    form.get_by_label("Time zone").fill("Europe/Paris")
    form.get_by_label("Command").fill("delete from todos where id < 0")
    form.get_by_role("button", name="Create job").click()

    expect(page.get_by_role("heading", name="cleanup " + XSS)).to_be_visible()
    expect(page.get_by_test_id("next-run")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d 09:00:00 CES?T$")
    )
    assert page.locator("main img").count() == 0

    edit = page.get_by_role("form", name="Edit job")
    edit.get_by_label("Schedule").fill("61 * * * *")
    edit.get_by_role("button", name="Save job").click()
    expect(
        page.get_by_text(re.compile("invalid schedule: '61 \\* \\* \\* \\*'"))
    ).to_be_visible()
    edit.get_by_label("Schedule").fill("30 seconds")
    edit.get_by_role("button", name="Save job").click()
    expect(page.get_by_role("cell", name="30 seconds (Europe/Paris)")).to_be_visible()

    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    expect(page.get_by_text("Paused", exact=True)).to_be_visible()
    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_text("Run started")).to_be_visible()
    page.reload()
    # No worker runs in this server: the run waits, recorded, to be taken.
    history = page.get_by_role("table", name="Runs")
    expect(history.get_by_text("starting")).to_be_visible()
    studio.screenshot("cron-job")

    page.get_by_role("link", name="Back to Cron").click()
    row = page.get_by_role("row").filter(has_text="cleanup")
    expect(row.get_by_role("link", name="cleanup " + XSS)).to_be_visible()
    expect(row.get_by_text("starting")).to_be_visible()
    expect(row.get_by_text("Paused")).to_be_visible()
    studio.screenshot("cron")

    row.get_by_role("link").click()
    page.get_by_role("button", name="Delete job").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", name="cleanup " + XSS)).to_be_visible()
    page.get_by_role("button", name="Delete job").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()

    page.wait_for_url(f"{studio_live.url}/studio/cron/")
    expect(page.get_by_role("row").filter(has_text="cleanup")).to_have_count(0)
    # The only failed request is the refused bad schedule.
    assert [r.split()[0] for r in studio.failed_requests] == ["400"]
    assert "/studio/api/cron/" in studio.failed_requests[0]
    assert all("status of 400" in error for error in studio.console_errors)


def test_job_made_in_the_sql_editor_shows_on_the_cron_page(studio, studio_live):
    studio_live.sql("select cron.schedule('from-sql', '*/15 * * * *', $$ select 1 $$);")
    page = studio.goto("/studio/cron/")

    row = page.get_by_role("row").filter(has_text="from-sql")
    expect(row.get_by_role("cell", name="*/15 * * * *")).to_be_visible()
    expect(row.get_by_text("never")).to_be_visible()
    expect(row.get_by_text("UTC")).to_be_visible()
    studio_live.sql("select cron.unschedule('from-sql');")
