"""`koyalite functions` and `koyalite secrets`, and `serve --dev` hot reload."""

from __future__ import annotations

import hashlib
import sqlite3
import time

import httpx
import pytest

from tests.conftest import new_project, run_cli, start_server, stop_server


@pytest.fixture
def project(tmp_path):
    return new_project(tmp_path)


def test_new_scaffolds_a_function_that_deploys_with_the_network_denied(
    project, monkeypatch
):
    # npm unreachable: Deno's bundler must come from `make install`.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", "http://127.0.0.1:9/")
    created = run_cli(project, "functions", "new", "hello-world")
    deployed = run_cli(project, "functions", "deploy", "hello-world")
    run_cli(project, "functions", "new", "needs-npm")
    (project / "functions" / "needs-npm" / "index.ts").write_text(
        'import isOdd from "npm:is-odd@3.0.1";\n'
        "Deno.serve(() => Response.json(isOdd(3)));\n"
    )
    offline = run_cli(project, "functions", "deploy", "needs-npm", check=False)

    entry = project / "functions" / "hello-world" / "index.ts"
    assert "Deno.serve" in entry.read_text()
    assert str(entry) in created.stdout
    assert deployed.stdout.startswith("Deployed hello-world: checked in ")
    assert "not bundled" not in deployed.stdout
    bundle = project / "cache" / "functions" / "hello-world" / "bundle.js"
    assert "Hello" in bundle.read_text()
    assert list((project / "cache" / "deno" / "dl").glob("esbuild-*/esbuild-*"))
    # The network really was denied: an npm import cannot be fetched.
    assert offline.returncode != 0
    assert "127.0.0.1:9" in offline.stderr


def test_new_refuses_an_existing_function_and_a_bad_name(project):
    run_cli(project, "functions", "new", "hello")

    again = run_cli(project, "functions", "new", "hello", check=False)
    bad = run_cli(project, "functions", "new", "../escape", check=False)

    assert again.returncode == 1
    assert again.stderr == "koyalite: function 'hello' already exists\n"
    assert bad.returncode == 1
    assert "function name '../escape' is not valid" in bad.stderr
    assert not (project / "escape").exists()


def test_deploy_reports_a_type_error_and_exits_non_zero(project):
    run_cli(project, "functions", "new", "typed")
    (project / "functions" / "typed" / "index.ts").write_text(
        "const count: number = 'three';\nDeno.serve(() => new Response(String(count)));\n"
    )

    result = run_cli(project, "functions", "deploy", "typed", check=False)

    assert result.returncode == 1
    assert result.stderr.startswith(
        "koyalite: type-checking of function 'typed' failed:"
    )
    assert "TS2322" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "cache" / "functions" / "typed" / "deploy.json").exists()


def test_deploy_of_an_unknown_function_fails(project):
    result = run_cli(project, "functions", "deploy", "ghost", check=False)

    assert result.returncode == 1
    assert "function 'ghost' does not exist" in result.stderr


def test_list_shows_each_function(project):
    run_cli(project, "functions", "new", "alpha")
    run_cli(project, "functions", "new", "beta")
    (project / "config.toml").write_text("[functions.beta]\nverify_jwt = false\n")

    listed = run_cli(project, "functions", "list").stdout.splitlines()

    assert listed == [
        "alpha\tverify_jwt\tnever deployed\t0 calls",
        "beta\tno verify_jwt\tnever deployed\t0 calls",
    ]


def test_secrets_are_set_listed_by_digest_and_unset(project):
    run_cli(project, "secrets", "set", "STRIPE_KEY=sk_test_123", "OTHER=a=b")

    listed = run_cli(project, "secrets", "list").stdout.splitlines()
    run_cli(project, "secrets", "unset", "OTHER")
    after = run_cli(project, "secrets", "list").stdout.splitlines()

    digest = hashlib.sha256(b"sk_test_123").hexdigest()
    assert listed == [
        f"OTHER\t{hashlib.sha256(b'a=b').hexdigest()}",
        f"STRIPE_KEY\t{digest}",
    ]
    assert after == [f"STRIPE_KEY\t{digest}"]


def test_secrets_are_stored_encrypted(project):
    run_cli(project, "secrets", "set", "PLANTED=plaintext-never-stored")

    with sqlite3.connect(project / "koyalite.sqlite3") as db:
        [(stored,)] = db.execute("select encrypted_value from functions_secrets")

    assert b"plaintext-never-stored" not in bytes(stored)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("set", "NOVALUE"), "'NOVALUE' is not NAME=value"),
        (("set", "SUPABASE_URL=x"), "is reserved"),
        (("set", "1BAD=x"), "is not valid"),
        (("unset", "MISSING"), "no secret named MISSING"),
    ],
)
def test_secret_mistakes_are_one_line_errors(project, args, message):
    result = run_cli(project, "secrets", *args, check=False)

    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_function_settings_stop_start_up(project):
    run_cli(project, "functions", "new", "hello")
    (project / "config.toml").write_text("[functions.hello]\ntimeout_seconds = 0\n")

    result = run_cli(project, "check", check=False)

    assert result.returncode != 0
    assert "timeout_seconds must be a whole number above 0" in result.stderr


def _call(url: str, key: str) -> httpx.Response:
    return httpx.post(
        f"{url}/functions/v1/hot",
        headers={"Authorization": f"Bearer {key}"},
        json={"name": "you"},
        timeout=30,
    )


def test_serve_dev_restarts_a_function_whose_code_changed(project):
    run_cli(project, "functions", "new", "hot")
    server = start_server(project, serve_args=("--workers", "1", "--dev"))
    try:
        first = _call(server.url, server.anon_key)
        entry = project / "functions" / "hot" / "index.ts"
        entry.write_text(entry.read_text().replace("Hello", "Howdy"))
        # File times can be coarse; make the change visible.
        time.sleep(0.05)
        second = _call(server.url, server.anon_key)
    finally:
        stop_server(server)

    assert first.json() == {"message": "Hello you!"}
    assert second.json() == {"message": "Howdy you!"}


def test_serve_without_dev_keeps_the_running_code_until_deployed(project):
    run_cli(project, "functions", "new", "hot")
    server = start_server(project)
    try:
        first = _call(server.url, server.anon_key)
        entry = project / "functions" / "hot" / "index.ts"
        entry.write_text(entry.read_text().replace("Hello", "Howdy"))
        unchanged = _call(server.url, server.anon_key)
        run_cli(project, "functions", "deploy", "hot")
        deployed = _call(server.url, server.anon_key)
    finally:
        stop_server(server)

    assert first.json() == {"message": "Hello you!"}
    assert unchanged.json() == {"message": "Hello you!"}
    assert deployed.json() == {"message": "Howdy you!"}
