"""/auth/v1 fuzzed with GoTrue's own OpenAPI description (schemathesis): for
requests that fit the description and requests that do not, the answer is
never a 5xx, and a request that fails leaves no row behind.

Each operation gets a fixed number of examples, so the whole run takes tens
of seconds; the description is a copy in tests/fixtures (its header names
the source).
"""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from contextlib import closing
from dataclasses import dataclass

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.conftest import FIXTURES, LiveServer, new_project, start_server, stop_server

SCHEMA = schemathesis.openapi.from_path(FIXTURES / "gotrue-openapi.yaml")
OPERATIONS = {
    operation.label: operation
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
}
EXAMPLES = 8  # per operation and generation mode
PASSWORD = "correct horse battery"
# Tables a failed request must not add to. auth_rate_limits is left out:
# counting failed attempts is its purpose.
TABLES = (
    "auth_users",
    "auth_sessions",
    "auth_refresh_tokens",
    "auth_one_time_tokens",
    "auth_flow_states",
    "auth_mfa_factors",
    "auth_mfa_challenges",
    "auth_identities",
)


@pytest.fixture(scope="module")
def fuzz_live(tmp_path_factory) -> LiveServer:
    """A server of its own: fuzzing changes users other tests count on."""
    project = new_project(tmp_path_factory.mktemp("fuzz"))
    with (project / ".env").open("a") as env:
        env.write(
            "\nKOYALITE_AUTH_AUTOCONFIRM=true\n"
            "KOYALITE_AUTH_ANONYMOUS_USERS=true\n"
            "KOYALITE_AUTH_RATE_LIMIT_SIGN_IN=100000\n"
            "KOYALITE_AUTH_RATE_LIMIT_OTP=100000\n"
            "KOYALITE_AUTH_RATE_LIMIT_VERIFY=100000\n"
            "KOYALITE_AUTH_EMAIL_INTERVAL=0\n"
        )
    server = start_server(project)
    yield server
    stop_server(server)


@dataclass
class Identity:
    """A signed-in user with a factor: real ids for the fuzzer's paths."""

    user_id: str
    factor_id: str
    access_token: str


def sign_up(server: LiveServer) -> Identity:
    email = f"fuzz-{uuid.uuid4().hex[:10]}@example.com"
    session = httpx.post(
        f"{server.url}/auth/v1/signup",
        json={"email": email, "password": PASSWORD},
        headers={"apikey": server.anon_key},
    ).json()
    factor = httpx.post(
        f"{server.url}/auth/v1/factors",
        json={"factor_type": "totp"},
        headers={
            "apikey": server.anon_key,
            "Authorization": f"Bearer {session['access_token']}",
        },
    ).json()
    return Identity(session["user"]["id"], factor["id"], session["access_token"])


def headers_for(operation, server: LiveServer, identity: Identity) -> dict[str, str]:
    schemes = {
        name
        for entry in operation.definition.raw.get("security") or []
        for name in entry
    }
    if "AdminAuth" in schemes or "admin" in operation.tags:
        bearer = server.service_key
    elif "UserAuth" in schemes:
        bearer = identity.access_token
    else:
        bearer = server.anon_key
    apikey = server.service_key if bearer == server.service_key else server.anon_key
    return {"apikey": apikey, "Authorization": f"Bearer {bearer}"}


def snapshot(database: str) -> tuple[dict[str, int], str]:
    """Row counts, and a digest of the users and factors as stored."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        counts = {
            t: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in TABLES
        }
        digest = hashlib.sha256()
        for table in ("auth_users", "auth_mfa_factors"):
            for row in db.execute(f'SELECT * FROM "{table}" ORDER BY id'):
                digest.update(repr(row).encode())
    return counts, digest.hexdigest()


def deep(levels: int) -> object:
    document: object = 1
    for _ in range(levels):
        document = {"a": document}
    return document


# Values no field of GoTrue's bodies takes all of: each JSON type, and the
# sizes and depths KoyaLite bounds.
HOSTILE = st.sampled_from(
    [[], {}, 0, -1.5, True, "", "x" * 2000, ["a"], {"a": None}, deep(300)]
)


def retyped(operation) -> st.SearchStrategy:
    """Cases that fit the description but for one body field, which holds a
    value of another type or size."""

    def replace(case, pick: int, value: object):
        if isinstance(case.body, dict) and case.body:
            names = sorted(case.body)
            case.body = {**case.body, names[pick % len(names)]: value}
        return case

    return st.builds(
        replace,
        operation.as_strategy(GenerationMode.POSITIVE),
        st.integers(0, 31),
        HOSTILE,
    )


def strategies(operation, identity: Identity) -> st.SearchStrategy:
    known = {
        name: value
        for name, value in (
            ("userId", identity.user_id),
            ("factorId", identity.factor_id),
        )
        if any(p.name == name for p in operation.path_parameters)
    }
    options = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
        retyped(operation),
    ]
    if known:
        options.append(
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known)
        )
    return st.one_of(options)


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_request_fails_the_server_or_leaves_rows_behind(fuzz_live, label):
    operation = OPERATIONS[label]
    database = str(fuzz_live.project / "koyalite.sqlite3")
    identity = sign_up(fuzz_live)
    base_url = f"{fuzz_live.url}/auth/v1"

    @given(case=strategies(operation, identity))
    @settings(
        max_examples=EXAMPLES * 3,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        before = snapshot(database)

        response = case.call(
            base_url=base_url,
            headers=headers_for(operation, fuzz_live, identity),
            allow_redirects=False,
            timeout=30,
        )

        described = f"{case.method} {case.formatted_path} → {response.status_code}"
        assert response.status_code < 500, f"{described}: {response.text[:500]}"
        if response.status_code >= 400:
            counts, digest = snapshot(database)
            grown = {t: n for t, n in counts.items() if n > before[0][t]}
            assert not grown, f"{described} added rows to {grown}"
            assert digest == before[1], f"{described} changed users or factors"

    run()
