"""`/functions/admin/v1`: deploying and managing functions over HTTP with the
service_role key, against a live server and real Deno."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import ALICE, new_project, start_server, stop_server

ADMIN = "/functions/admin/v1"
ANSWER = """\
Deno.serve(() => Response.json({ answer: %d }));
"""
TYPE_ERROR = """\
const answer: number = "forty-two";
Deno.serve(() => Response.json({ answer }));
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("functions-api"))
    (project / "functions").mkdir(exist_ok=True)
    (project / "config.toml").write_text("[functions.open]\nverify_jwt = false\n")
    live = start_server(project)
    yield live
    stop_server(live)


def manage(server, method: str, path: str, key: str | None = None, **options):
    key = key or server.service_key
    headers = {"apikey": key, "Authorization": f"Bearer {key}"}
    return httpx.request(
        method, f"{server.url}{ADMIN}{path}", headers=headers, timeout=120, **options
    )


def deploy(server, name: str, files: dict[str, str], metadata: dict | None = None):
    return manage(
        server,
        "POST",
        f"/functions/deploy?slug={name}",
        data={"metadata": json.dumps(metadata or {"entrypoint_path": "index.ts"})},
        files=[("file", (file, text.encode())) for file, text in files.items()],
    )


def invoke(server, name: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/functions/v1/{name}", headers=server.headers(), timeout=30
    )


def test_deploy_creates_a_function_that_answers_with_its_code(server):
    deployed = deploy(server, "answer", {"index.ts": ANSWER % 1})
    called = invoke(server, "answer")
    redeployed = deploy(server, "answer", {"index.ts": ANSWER % 2})
    called_again = invoke(server, "answer")

    assert deployed.status_code == 201, deployed.text
    assert deployed.json()["slug"] == "answer"
    assert deployed.json()["verify_jwt"] is True
    assert deployed.json()["files"] == ["index.ts"]
    assert called.json() == {"answer": 1}
    assert redeployed.status_code == 201, redeployed.text
    assert called_again.json() == {"answer": 2}


def test_deploy_with_several_files_imports_between_them(server):
    deployed = deploy(
        server,
        "multi",
        {
            "index.ts": 'import { answer } from "./answer.ts";\n'
            "Deno.serve(() => Response.json({ answer }));\n",
            "answer.ts": "export const answer: number = 7;\n",
        },
    )

    assert deployed.status_code == 201, deployed.text
    assert deployed.json()["files"] == ["answer.ts", "index.ts"]
    assert invoke(server, "multi").json() == {"answer": 7}


def test_type_error_is_400_with_the_diagnostics_and_keeps_the_old_code(server):
    deploy(server, "kept", {"index.ts": ANSWER % 3})
    invoke(server, "kept")

    refused = deploy(server, "kept", {"index.ts": TYPE_ERROR, "extra.ts": "x"})
    source = manage(server, "GET", "/functions/kept/body")
    listed = manage(server, "GET", "/functions/kept")

    assert refused.status_code == 400
    assert refused.json()["code"] == "KL605"
    assert "TS2322" in refused.json()["message"]
    assert source.text == ANSWER % 3
    assert listed.json()["files"] == ["index.ts"]
    assert invoke(server, "kept").json() == {"answer": 3}
    staged = [p for p in (server.project / "functions").iterdir() if p.is_dir()]
    assert all(not p.name.startswith(".") for p in staged)


def test_new_function_with_a_type_error_is_not_created(server):
    refused = deploy(server, "stillborn", {"index.ts": TYPE_ERROR})

    assert refused.status_code == 400
    assert manage(server, "GET", "/functions/stillborn").status_code == 404
    assert not (server.project / "functions" / "stillborn").exists()


def test_list_get_body_patch_and_delete(server):
    deploy(server, "open", {"index.ts": ANSWER % 4})

    listed = manage(server, "GET", "/functions")
    got = manage(server, "GET", "/functions/open")
    body = manage(server, "GET", "/functions/open/body")
    patched = manage(server, "PATCH", "/functions/open", json={"body": ANSWER % 5})
    answer = httpx.post(f"{server.url}/functions/v1/open", timeout=30).json()
    deleted = manage(server, "DELETE", "/functions/open")
    gone = manage(server, "GET", "/functions/open")
    called = httpx.post(f"{server.url}/functions/v1/open", timeout=30)

    assert "open" in [f["slug"] for f in listed.json()]
    assert got.json()["verify_jwt"] is False
    assert got.json()["timeout_seconds"] == 150
    assert got.json()["allow_net"] == [server.url.removeprefix("http://")]
    assert body.text == ANSWER % 4
    assert body.headers["content-type"].startswith("text/plain")
    assert patched.status_code == 200, patched.text
    assert answer == {"answer": 5}
    assert (deleted.status_code, gone.status_code, called.status_code) == (
        204,
        404,
        404,
    )
    assert not (server.project / "functions" / "open").exists()


@pytest.mark.parametrize("who", ["nobody", "anon", "user"])
def test_only_the_service_role_may_deploy(server, who):
    headers = {
        "nobody": {},
        "anon": server.headers(),
        "user": server.headers(user=ALICE),
    }[who]
    url = f"{server.url}{ADMIN}/functions/deploy?slug=intruder"
    files = [("file", ("index.ts", (ANSWER % 6).encode()))]

    refused = httpx.post(url, headers=headers, files=files, timeout=30)
    listed = httpx.get(f"{server.url}{ADMIN}/functions", headers=headers)

    expected = 403 if who == "user" else 401
    assert (refused.status_code, listed.status_code) == (expected, expected)
    assert not (server.project / "functions" / "intruder").exists()


@pytest.mark.parametrize(
    ("slug", "files", "metadata", "message"),
    [
        ("1bad", {"index.ts": "x"}, None, "is not valid"),
        ("", {"index.ts": "x"}, None, "is not valid"),
        ("nofiles", {}, None, "no files to deploy"),
        ("noindex", {"main.ts": "x"}, None, "needs its index.ts"),
        ("dotted", {"index.ts": "x", ".env": "x"}, None, "is not valid"),
        ("huge", {"index.ts": "//" + "x" * 512 * 1024}, None, "larger than 512 KiB"),
        ("entry", {"index.ts": "x"}, {"entrypoint_path": "main.ts"}, "entry point"),
        ("jwt", {"index.ts": "x"}, {"verify_jwt": False}, "config.toml"),
        ("extra", {"index.ts": "x"}, {"memory": 1}, "unknown key(s) memory"),
    ],
)
def test_bad_deploys_are_400_and_write_nothing(server, slug, files, metadata, message):
    refused = deploy(server, slug, files, metadata)

    assert refused.status_code == 400, refused.text
    assert message in refused.json()["message"]
    if slug:
        assert not (server.project / "functions" / slug).exists()


def test_patch_refuses_settings_and_unknown_functions(server):
    deploy(server, "patched", {"index.ts": ANSWER % 8})

    settings = manage(server, "PATCH", "/functions/patched", json={"verify_jwt": False})
    missing = manage(server, "PATCH", "/functions/nothere", json={"body": "x"})
    renamed = manage(
        server, "PATCH", "/functions/patched", json={"name": "other", "body": "x"}
    )

    assert settings.status_code == 400
    assert "belong in config.toml" in settings.json()["message"]
    assert renamed.status_code == 400
    assert "name must be the slug" in renamed.json()["message"]
    assert missing.status_code == 404
    assert manage(server, "GET", "/functions/patched/body").text == ANSWER % 8
