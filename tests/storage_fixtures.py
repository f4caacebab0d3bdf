"""What the Storage test modules share: a live server on a project with Alice
and Bob and the module's own buckets and policies, supabase-py's storage
client as each caller, and an httpx client on `/storage/v1`.

A module builds its `server` fixture with `live_storage_server` and takes the
callers by assignment (`alice = storage_fixtures.alice`): pytest then finds
them as the module's own fixtures, while other modules keep the session-wide
`alice`, `anon`… of tests/conftest.py, which are clients of another server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import (
    ALICE,
    BOB,
    CAROL,
    LiveServer,
    _client,
    create_users,
    new_project,
    run_cli,
    start_server,
    stop_server,
)

EMAILS = {
    ALICE: "alice@example.com",
    BOB: "bob@example.com",
    CAROL: "carol@example.com",
}


@contextmanager
def live_storage_server(
    parent: Path,
    policies: str,
    env: Callable[[Path], dict[str, str]] | None = None,
) -> Iterator[LiveServer]:
    """A server on a new project under `parent` with Alice and Bob and the SQL
    `policies` (buckets and policies) run; `env(project)` adds variables."""
    project = new_project(parent)
    create_users(project, {ALICE: EMAILS[ALICE], BOB: EMAILS[BOB]})
    run_cli(project, "sql", "-f", "-", stdin=policies)
    live = start_server(project, env(project) if env else None)
    try:
        yield live
    finally:
        stop_server(live)


def supabase_client(live: LiveServer, user: str | None = None, key: str | None = None):
    """supabase-py signed in as `user` (with the anon key), or with `key` alone."""
    token = live.token(user, email=EMAILS[user]) if user else None
    return _client(live, key or live.anon_key, token)


@pytest.fixture(scope="module")
def service(server):
    return supabase_client(server, key=server.service_key).storage


@pytest.fixture(scope="module")
def alice(server):
    return supabase_client(server, ALICE).storage


@pytest.fixture(scope="module")
def bob(server):
    return supabase_client(server, BOB).storage


@pytest.fixture(scope="module")
def anon(server):
    return supabase_client(server).storage


@pytest.fixture
def http(server):
    with httpx.Client(base_url=f"{server.url}/storage/v1", timeout=30) as client:
        yield client
