"""The Studio's Functions pages: list, code editor with deploy, invoke form,
metrics and the invocation log, for operators only."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import (
    create_operator,
    new_project,
    run_cli,
    start_server,
    stop_server,
)
from tests.studio_http import StudioClient
from tests.test_functions import install_functions

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def studio_live(tmp_path_factory):
    """This module's own server, with the test functions installed.
    (Overrides the shared `studio_live`, so `studio` signs in here.)"""
    project = new_project(tmp_path_factory.mktemp("studio-functions"))
    install_functions(project)
    # The echo function reads it.
    run_cli(project, "secrets", "set", "GREETING=hi")
    create_operator(project)
    server = start_server(project, {"KOYALITE_STUDIO_RATE_LIMIT_SIGN_IN": "100000"})
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def operator(studio_live) -> StudioClient:
    return StudioClient(studio_live.url)


def test_functions_api_needs_an_operator(studio_live):
    for path in (
        "/studio/api/functions",
        "/studio/api/functions/echo/source",
        "/studio/api/functions/logs",
    ):
        response = httpx.get(studio_live.url + path)
        assert response.status_code == 403, path
    invoked = httpx.post(
        studio_live.url + "/studio/api/functions/echo/invoke", json={"method": "GET"}
    )
    assert invoked.status_code == 403


def test_invoke_without_csrf_is_refused(operator):
    response = operator.http.post(
        "/studio/api/functions/text/invoke", json={"method": "POST", "body": "x"}
    )

    assert response.status_code == 403


def test_invoke_through_the_api_runs_as_service_role(operator, studio_live):
    response = operator.send(
        "POST",
        "/studio/api/functions/echo/invoke",
        {"method": "GET", "path": "a?b=1", "headers": {"x-custom": "1"}},
    )

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == 200
    echoed = httpx.Response(200, content=data["body"]).json()
    assert echoed["path"] == "/echo/a"
    assert echoed["query"] == {"b": "1"}
    assert echoed["custom"] == "1"
    assert echoed["authorization"] == f"Bearer {studio_live.service_key}"


def test_saving_code_with_a_type_error_is_refused_at_deploy(operator):
    created = operator.send("POST", "/studio/api/functions", {"name": "typo"})
    saved = operator.send(
        "PUT",
        "/studio/api/functions/typo/source",
        {"source": "const n: number = 'x';\nDeno.serve(() => new Response(''));\n"},
    )
    deployed = operator.send("POST", "/studio/api/functions/typo/deploy", {})

    assert created.status_code == 201
    assert saved.status_code == 200
    assert deployed.status_code == 400
    assert "TS2322" in deployed.json()["message"]


def test_functions_page_lists_deploys_and_invokes(studio, studio_live):
    page = studio.goto("/studio/functions/")
    expect(page.get_by_role("link", name="echo", exact=True)).to_be_visible()
    page.get_by_label("New function name").fill("greeter")
    page.get_by_role("button", name="Create function").click()
    page.wait_for_url(re.compile(r".*/studio/functions/greeter/$"))

    code = page.get_by_test_id("code-editor")
    expect(code).to_contain_text("Deno.serve")
    code.fill(page.locator("#code").input_value().replace("Hello", "Greetings"))
    page.get_by_role("button", name="Save and deploy").click()
    expect(page.get_by_test_id("deploy-result")).to_contain_text("Deployed")

    page.get_by_label("Body").fill('{"name": "' + XSS + '"}')
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_test_id("invoke-status")).to_have_text("200")
    expect(page.get_by_test_id("invoke-body")).to_have_text(
        '{"message":"Greetings ' + XSS + '!"}'
    )
    assert page.locator("img[src=x]").count() == 0
    studio.screenshot("studio-functions-invoke")

    page.goto(studio_live.url + "/studio/functions/greeter/")
    expect(page.get_by_test_id("metrics")).to_contain_text("Calls")
    assert not studio.console_errors


def test_code_editor_saves_with_mod_s_and_points_at_the_type_error(studio, operator):
    page = studio.goto("/studio/functions/text/")
    editor = page.get_by_test_id("code-editor")
    textarea = page.locator("#code")
    expect(editor).to_be_visible()
    expect(textarea).to_be_hidden()
    original = textarea.input_value()
    # TypeScript is highlighted: a string literal is a token of its own.
    expect(editor.locator(".cm-line span", has_text='"world"')).to_have_count(1)

    editor.click()
    page.keyboard.press("Control+Home")
    page.keyboard.type("const n: number = 'nope';\n")
    expect(textarea).to_have_value("const n: number = 'nope';\n" + original)
    page.keyboard.press("Control+s")

    expect(page.get_by_test_id("deploy-result")).to_have_text("Deploy failed")
    expect(page.get_by_role("alert").filter(has_text="TS2322")).to_be_visible()
    # The cursor is on the line Deno named.
    expect(page.locator(".cm-activeLine")).to_have_text("const n: number = 'nope';")
    studio.screenshot("studio-functions-editor-type-error")
    saved = operator.get("/studio/api/functions/text/source").json()["source"]
    assert saved.startswith("const n: number = 'nope';")

    page.keyboard.press("Home")
    page.keyboard.press("Shift+ArrowDown")
    page.keyboard.press("Delete")
    expect(textarea).to_have_value(original)
    page.get_by_role("button", name="Save and deploy").click()
    expect(page.get_by_test_id("deploy-result")).to_contain_text("Deployed")
    expect(page.get_by_test_id("deploy-status")).to_have_text(
        re.compile(r"^Deployed \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.$")
    )
    studio.screenshot("studio-functions-editor")
    assert operator.get("/studio/api/functions/text/source").json()["source"] == (
        original
    )
    # The refused deploy's 400 is the page's only error.
    assert [e for e in studio.console_errors if "400" not in e] == []


def test_code_form_works_with_the_textarea_when_the_editor_does_not_load(
    studio, studio_live
):
    page = studio.goto("/studio/functions/text/")
    page.route("**/vendor/codemirror*", lambda route: route.abort())
    page.goto(studio_live.url + "/studio/functions/text/")
    code = page.get_by_label("Code (index.ts)")
    expect(code).to_be_visible()
    original = code.input_value()

    code.fill("const n: number = 'nope';\n" + original)
    page.get_by_role("button", name="Save and deploy").click()
    expect(page.get_by_test_id("deploy-result")).to_have_text("Deploy failed")
    expect(page.get_by_role("alert").filter(has_text="TS2322")).to_be_visible()
    code.fill(original)
    page.get_by_role("button", name="Save and deploy").click()
    expect(page.get_by_test_id("deploy-result")).to_contain_text("Deployed")


def test_code_form_posted_without_javascript_saves_and_deploys(operator):
    page = operator.get("/studio/functions/text/")
    original = operator.get("/studio/api/functions/text/source").json()["source"]
    token = {"csrfmiddlewaretoken": operator.http.cookies["csrftoken"]}

    refused = operator.http.post(
        "/studio/functions/text/",
        data={**token, "source": "const n: number = 'nope';\n" + original},
    )
    deployed = operator.http.post(
        "/studio/functions/text/", data={**token, "source": original}
    )
    shown = operator.get("/studio/functions/text/")

    assert 'method="post"' in page.text
    assert refused.status_code == 400
    assert "Deploy failed" in refused.text and "TS2322" in refused.text
    assert deployed.status_code == 302
    assert "Deployed text." in shown.text
    assert operator.get("/studio/api/functions/text/source").json()["source"] == (
        original
    )


def test_a_function_named_logs_has_its_own_page(operator):
    created = operator.send("POST", "/studio/api/functions", {"name": "logs"})

    page = operator.get("/studio/functions/logs/")

    assert created.status_code == 201
    assert page.status_code == 200
    assert "Function logs" in page.text


def test_invocation_log_filters_by_function_and_status(studio, studio_live):
    headers = {"Authorization": f"Bearer {studio_live.anon_key}"}
    httpx.post(f"{studio_live.url}/functions/v1/teapot", headers=headers)
    httpx.post(f"{studio_live.url}/functions/v1/text", headers=headers, content="log")

    operator = StudioClient(studio_live.url)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        logged = operator.get("/studio/api/functions/logs?function=text&q=").json()
        if any(row["path"] == "/text" for row in logged["invocations"]):
            break
        time.sleep(0.2)
    page = studio.goto("/studio/functions/-/logs/?function=teapot&status=client")
    table = page.get_by_role("table", name="Invocations")
    expect(table).to_contain_text("418")
    expect(table).not_to_contain_text("/text")
    page.goto(studio_live.url + "/studio/functions/-/logs/?function=text")
    expect(page.get_by_role("table", name="Invocations")).to_contain_text("POST /text")
    studio.screenshot("studio-functions-log")
