"""Fixtures for tests that talk to a live KoyaLite server over HTTP.

The server is the real thing: `koyalite init`, `koyalite sql -f` and
`koyalite serve` run as subprocesses on a fresh project directory, and the
tests call it with the official supabase-py client.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

# A real SeaweedFS for the tests of S3 storage (a fixture, used by name).
from tests.seaweedfs import seaweedfs  # noqa: F401

FIXTURES = Path(__file__).parent / "fixtures"
KOYALITE = str(Path(sys.executable).parent / "koyalite")

ALICE = "00000000-0000-4000-8000-00000000a11c"
BOB = "00000000-0000-4000-8000-000000000b0b"
CAROL = "00000000-0000-4000-8000-0000000ca201"


def project_env(project: Path) -> dict[str, str]:
    """The environment of a user's shell in `project`: nothing of the test run's."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KOYALITE_", "DJANGO_"))
    }
    env["KOYALITE_PROJECT_DIR"] = str(project)
    return env


def run_cli(
    project: Path, *args: str, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [KOYALITE, *args],
        cwd=project if project.exists() else None,
        env=project_env(project),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"koyalite {' '.join(args)} failed: {result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def create_users(project: Path, users: dict[str, str]) -> None:
    code = "from accounts.models import User\n" + "".join(
        f"User.objects.create_user(id={uid!r}, email={email!r}, password='pw-{email}')\n"
        for uid, email in users.items()
    )
    run_cli(project, "shell", "-c", code)


@dataclass
class LiveServer:
    url: str
    project: Path
    anon_key: str
    service_key: str
    secret: str
    process: subprocess.Popen
    log: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, user_id: str, **claims) -> str:
        import jwt

        now = int(time.time())
        payload = {
            "sub": user_id,
            "role": "authenticated",
            "aud": "authenticated",
            "iat": now,
            "exp": now + 3600,
            "email": f"{user_id[-4:]}@example.com",
            "session_id": str(uuid.uuid4()),
            "aal": "aal1",
        }
        payload.update(claims)
        return jwt.encode(payload, self.secret, algorithm="HS256")

    def headers(
        self, user: str | None = None, key: str | None = None
    ) -> dict[str, str]:
        key = key or self.anon_key
        bearer = self.token(user) if user else key
        return {"apikey": key, "Authorization": f"Bearer {bearer}"}

    def sql(self, text: str) -> str:
        return run_cli(self.project, "sql", "-f", "-", stdin=text).stdout


def start_server(
    project: Path,
    env_extra: dict[str, str] | None = None,
    serve_args: tuple[str, ...] = ("--workers", "1", "--threads", "4"),
    worker: bool = False,
) -> LiveServer:
    """`koyalite serve` on a free port; without its background worker unless
    the test needs one (each is a few processes, idle-polling)."""
    port = free_port()
    log = project / "server.log"
    env = project_env(project)
    env["KOYALITE_API_URL"] = f"http://127.0.0.1:{port}"  # links in emails point here
    env.update(env_extra or {})
    handle = log.open("w")
    process = subprocess.Popen(
        [
            KOYALITE,
            "serve",
            "--port",
            str(port),
            *serve_args,
            *(() if worker else ("--no-worker",)),
        ],
        cwd=project,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise AssertionError(f"koyalite serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"koyalite serve did not start:\n{log.read_text()}")
        time.sleep(0.1)
    keys = json.loads(run_cli(project, "keys", "--json").stdout)
    secret = next(
        line.split("=", 1)[1]
        for line in (project / ".env").read_text().splitlines()
        if line.startswith("KOYALITE_JWT_SECRET=")
    )
    return LiveServer(
        url, project, keys["anon_key"], keys["service_role_key"], secret, process, log
    )


def new_project(parent: Path) -> Path:
    """`koyalite init` in a fresh directory under `parent`."""
    project = parent / "app"
    run_cli(project, "init", str(project))
    return project


def start_up_error(parent: Path, env_lines: str) -> str:
    """What start-up says about a project whose .env gains `env_lines`; the
    checks `serve` runs first must refuse it."""
    project = new_project(parent)
    with (project / ".env").open("a") as env:
        env.write("\n" + env_lines)
    result = run_cli(project, "check", check=False)
    assert result.returncode != 0, "start-up accepted the configuration"
    return result.stderr


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=10)


def seeded_project(parent: Path) -> Path:
    """A project on the test schema and seed, with alice, bob and carol."""
    project = parent / "app"
    run_cli(project, "init", str(project))
    run_cli(project, "sql", "-f", str(FIXTURES / "schema.sql"))
    create_users(
        project,
        {
            ALICE: "alice@example.com",
            BOB: "bob@example.com",
            CAROL: "carol@example.com",
        },
    )
    run_cli(project, "sql", "-f", str(FIXTURES / "seed.sql"))
    return project


@pytest.fixture(scope="session")
def graphql_template(tmp_path_factory) -> Path:
    """The test schema and seed plus `fixtures/graphql.sql`, built once: each
    GraphQL server runs on a copy, as seeding takes longer than serving."""
    project = seeded_project(tmp_path_factory.mktemp("graphql-template"))
    run_cli(project, "sql", "-f", str(FIXTURES / "graphql.sql"))
    return project


def copy_project(template: Path, parent: Path) -> Path:
    """A project of its own with `template`'s files (no server may have it open)."""
    project = parent / "app"
    shutil.copytree(template, project)
    return project


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> LiveServer:
    """A KoyaLite server on the test schema, with alice, bob and carol."""
    server = start_server(seeded_project(tmp_path_factory.mktemp("live")))
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def rest(live) -> httpx.Client:
    with httpx.Client(base_url=f"{live.url}/rest/v1", timeout=10) as client:
        yield client


def _client(live: LiveServer, key: str, token: str | None = None):
    from supabase import ClientOptions, create_client

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return create_client(live.url, key, options=ClientOptions(headers=headers))


@pytest.fixture(scope="session")
def anon(live):
    return _client(live, live.anon_key)


@pytest.fixture(scope="session")
def service(live):
    return _client(live, live.service_key)


@pytest.fixture(scope="session")
def alice(live):
    return _client(live, live.anon_key, live.token(ALICE, email="alice@example.com"))


@pytest.fixture(scope="session")
def bob(live):
    return _client(live, live.anon_key, live.token(BOB, email="bob@example.com"))


@pytest.fixture(scope="session")
def carol(live):
    return _client(live, live.anon_key, live.token(CAROL, email="carol@example.com"))


class Mailbox:
    """Messages received by a real SMTP server (aiosmtpd) on loopback."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 Message accepted for delivery"

    def last_to(self, address: str, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in reversed(self.messages):
                if address in message["To"]:
                    return message
            time.sleep(0.05)
        raise AssertionError(f"no mail to {address}")


@pytest.fixture(scope="session")
def mailbox():
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture(scope="session")
def auth_live(tmp_path_factory, mailbox) -> LiveServer:
    """A server with e-mail confirmation on, mail to the test's SMTP server."""
    _, smtp_port = mailbox
    project = tmp_path_factory.mktemp("auth") / "app"
    run_cli(project, "init", str(project))
    run_cli(
        project,
        "sql",
        "-f",
        "-",
        stdin="""
        create table notes (
          id integer primary key,
          owner uuid not null references auth.users(id) on delete cascade,
          body text not null
        );
        alter table notes enable row level security;
        create policy "own notes" on notes for all to authenticated
          using (owner = auth.uid()) with check (owner = auth.uid());
        """,
    )
    with (project / ".env").open("a") as env:
        env.write(
            f"\nKOYALITE_EMAIL_URL=smtp://127.0.0.1:{smtp_port}\n"
            "KOYALITE_AUTH_SITE_URL=http://app.example\n"
            "KOYALITE_AUTH_REDIRECT_URLS=http://localhost:5173/*\n"
            "KOYALITE_AUTH_ANONYMOUS_USERS=true\n"
            "KOYALITE_AUTH_REFRESH_REUSE_INTERVAL=2\n"
            # Every test signs in from 127.0.0.1; test_auth_limits.py tests limits.
            "KOYALITE_AUTH_RATE_LIMIT_SIGN_IN=10000\n"
            "KOYALITE_AUTH_RATE_LIMIT_OTP=10000\n"
            "KOYALITE_AUTH_RATE_LIMIT_VERIFY=10000\n"
        )
    server = start_server(project)
    yield server
    stop_server(server)


OPERATOR_EMAIL = "operator@example.com"
OPERATOR_PASSWORD = "studio-operator-pw-1"
CHROMIUM = os.environ.get("KOYALITE_TEST_CHROMIUM", "/usr/bin/chromium")
# Screenshots of Studio pages, kept for a person to look at (README: Studio).
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"


def create_operator(
    project: Path, email: str = OPERATOR_EMAIL, password: str = OPERATOR_PASSWORD
) -> None:
    run_cli(
        project,
        "createsuperuser",
        "--email",
        email,
        "--password-stdin",
        stdin=password + "\n",
    )


@pytest.fixture(scope="session")
def studio_live(tmp_path_factory) -> LiveServer:
    """A server of its own for Studio tests (they change the schema), on the
    test schema with alice, bob and carol, and one operator."""
    project = seeded_project(tmp_path_factory.mktemp("studio"))
    create_operator(project)
    server = start_server(
        project,
        {
            "KOYALITE_EMAIL_URL": "consolemail://",
            # Short, so the SQL editor's runaway-query test stays quick.
            "KOYALITE_STUDIO_SQL_TIME_LIMIT_MS": "2000",
            # Every browser test signs in from 127.0.0.1; the default 10 per
            # 5 minutes would refuse sign-ins once a few Studio files have run.
            "KOYALITE_STUDIO_RATE_LIMIT_SIGN_IN": "100000",
        },
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright, headless, offline-friendly."""
    # Playwright's sync API runs an event loop in this thread; Django's
    # async-safety guard would otherwise refuse ORM calls in the same test.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@dataclass
class StudioPage:
    """A browser tab signed in to the Studio, recording what went wrong."""

    page: object
    url: str
    failed_requests: list[str]
    console_errors: list[str]

    def goto(self, path: str):
        self.page.goto(self.url + path)
        return self.page

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def sign_in(
    page, url: str, email: str = OPERATOR_EMAIL, password: str = OPERATOR_PASSWORD
):
    page.goto(f"{url}/studio/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/studio/**")


@pytest.fixture
def studio(browser, studio_live) -> StudioPage:
    """A fresh browser context signed in as the operator."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    failed: list[str] = []
    errors: list[str] = []
    page.on(
        "response",
        lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, studio_live.url)
    yield StudioPage(page, studio_live.url, failed, errors)
    context.close()
