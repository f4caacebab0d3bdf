"""OAuth sign-in (`/authorize`, `/callback`) against a fake provider on
127.0.0.1 — an OpenID Connect issuer and a GitHub Enterprise server in one —
with a live KoyaLite server configured to use both through allauth."""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import (
    create_users,
    run_cli,
    start_server,
    start_up_error,
    stop_server,
)
from tests.test_auth import new_client, pkce_client

CLIENT_ID = "koyalite-test-client"
CLIENT_SECRET = "s3cret/with+chars&="


class FakeProvider:
    """Authorizes whoever `self.user` is; records every token request."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.user: dict = {}
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.token_requests: list[tuple[dict[str, str], bytes]] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif url.path == "/jwks":
                    self._json(200, provider.jwks())
                elif url.path in ("/authorize", "/login/oauth/authorize"):
                    code = secrets.token_urlsafe(12)
                    provider.codes[code] = dict(provider.user)
                    target = (
                        query["redirect_uri"]
                        + "?"
                        + urlencode({"code": code, "state": query["state"]})
                    )
                    self.send_response(302)
                    self.send_header("Location", target)
                    self.end_headers()
                elif url.path in ("/userinfo", "/api/v3/user", "/api/v3/user/emails"):
                    # OpenID Connect sends "Bearer <token>", GitHub "token <token>".
                    token = self.headers.get("Authorization", "").split(" ")[-1]
                    user = provider.tokens.get(token)
                    if user is None:
                        self._json(401, {"error": "invalid_token"})
                    elif url.path == "/api/v3/user/emails":
                        self._json(200, user["emails"])
                    else:
                        self._json(
                            200, {k: v for k, v in user.items() if k != "emails"}
                        )
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                provider.token_requests.append((dict(self.headers), body))
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                user = provider.codes.pop(form.get("code", ""), None)
                if (
                    urlparse(self.path).path
                    not in ("/token", "/login/oauth/access_token")
                    or user is None
                    or form.get("client_secret") != CLIENT_SECRET
                ):
                    self._json(400, {"error": "invalid_grant"})
                    return
                token = secrets.token_urlsafe(16)
                provider.tokens[token] = user
                self._json(
                    200,
                    {
                        "access_token": token,
                        "token_type": "Bearer",
                        "refresh_token": f"refresh-{token}",
                    },
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def discovery(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
        }

    def jwks(self) -> dict:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": "test-key", "alg": "RS256", "use": "sig"}]}

    def id_token(self, claims: dict, key=None) -> str:
        """An ID token as this issuer signs them (or as `key` would)."""
        now = int(time.time())
        body = {"iss": self.url, "aud": CLIENT_ID, "iat": now, "exp": now + 300}
        return jwt.encode(
            {**body, **claims},
            key or self.key,
            algorithm="RS256",
            headers={"kid": "test-key"},
        )

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def fake_provider():
    provider = FakeProvider()
    yield provider
    provider.stop()


@pytest.fixture(scope="module")
def oauth_live(tmp_path_factory, fake_provider):
    project = tmp_path_factory.mktemp("oauth") / "app"
    run_cli(project, "init", str(project))
    server = start_server(
        project,
        env_extra={
            "KOYALITE_AUTH_SITE_URL": "http://app.example",
            "KOYALITE_AUTH_REDIRECT_URLS": "http://localhost:5173/*",
            "KOYALITE_AUTH_OIDC_URL": fake_provider.url,
            "KOYALITE_AUTH_OIDC_CLIENT_ID": CLIENT_ID,
            "KOYALITE_AUTH_OIDC_SECRET": CLIENT_SECRET,
            "KOYALITE_AUTH_OIDC_NAME": "keycloak",
            "KOYALITE_AUTH_GITHUB_URL": fake_provider.url,
            "KOYALITE_AUTH_GITHUB_CLIENT_ID": CLIENT_ID,
            "KOYALITE_AUTH_GITHUB_SECRET": CLIENT_SECRET,
            "KOYALITE_AUTH_MANUAL_LINKING": "true",
            "KOYALITE_AUTH_ANONYMOUS_USERS": "true",
        },
    )
    yield server
    stop_server(server)


def person(email_verified: bool = True, email: str | None = None) -> dict:
    return {
        "sub": f"kc-{uuid.uuid4().hex[:12]}",
        "email": email or f"oauth-{uuid.uuid4().hex[:10]}@example.com",
        "email_verified": email_verified,
        "name": "Ada Lovelace",
    }


def github_user(email: str, verified: bool = True) -> dict:
    """A GitHub API user, with what /user/emails answers for it."""
    return {
        "id": int(uuid.uuid4().int % 10**9),
        "login": "ada",
        "name": None,
        "avatar_url": "https://avatars.example/ada.png",
        "email": None,  # GitHub leaves it out when the address is private
        "emails": [
            {"email": "old@example.com", "primary": False, "verified": True},
            {"email": email, "primary": True, "verified": verified},
        ],
    }


def sign_in(
    server,
    provider,
    user: dict,
    url: str | None = None,
    via: str = "keycloak",
    **params,
):
    """Follow the browser's redirects by hand: KoyaLite → provider → KoyaLite →
    app. Returns (the callback URL, the final redirect's location)."""
    provider.user = user
    if url is None:
        query = {"provider": via, **params}
        url = f"{server.url}/auth/v1/authorize?{urlencode(query)}"
    to_provider = httpx.get(url)
    assert to_provider.status_code == 302, to_provider.text
    consent = "/login/oauth/authorize?" if via == "github" else "/authorize?"
    assert to_provider.headers["location"].startswith(f"{provider.url}{consent}")
    to_callback = httpx.get(to_provider.headers["location"])
    assert to_callback.status_code == 302
    callback = to_callback.headers["location"]
    assert callback.startswith(f"{server.url}/auth/v1/callback?")
    final = httpx.get(callback)
    assert final.status_code == 302, final.text
    return callback, final.headers["location"]


def fragment_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(location).fragment).items()}


def test_settings_list_the_enabled_provider(oauth_live):
    response = httpx.get(
        f"{oauth_live.url}/auth/v1/settings", headers={"apikey": oauth_live.anon_key}
    )
    external = response.json()["external"]
    assert external["keycloak"] is True and external["github"] is True
    assert external["gitlab"] is False and external["google"] is False
    assert "oidc" not in external  # the issuer goes by the name it was given


def test_unknown_provider_is_refused_as_gotrue_does(oauth_live):
    response = httpx.get(
        f"{oauth_live.url}/auth/v1/authorize?provider=gitlab",
        headers={"X-Supabase-Api-Version": "2024-01-01"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_failed",
        "message": "Unsupported provider: provider is not enabled",
    }


def test_authorize_sends_the_browser_to_the_provider(oauth_live, fake_provider):
    response = httpx.get(
        f"{oauth_live.url}/auth/v1/authorize",
        params={
            "provider": "keycloak",
            "redirect_to": "http://localhost:5173/done",
            "scopes": "groups offline_access",
        },
    )
    assert response.status_code == 302
    location = urlparse(response.headers["location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{fake_provider.url}/authorize"
    )
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == f"{oauth_live.url}/auth/v1/callback"
    assert query["response_type"] == "code"
    # allauth's default scopes for OpenID Connect, then the ones asked for.
    assert query["scope"] == "openid profile email groups offline_access"
    assert "redirect_to" not in query and "localhost:5173" not in query["state"]


def test_implicit_flow_signs_in_and_sends_the_exact_token_request(
    oauth_live, fake_provider
):
    user = person()
    callback, location = sign_in(
        oauth_live, fake_provider, user, redirect_to="http://localhost:5173/done"
    )

    assert location.startswith("http://localhost:5173/done#")
    tokens = fragment_of(location)
    assert tokens["token_type"] == "bearer" and tokens["refresh_token"]
    claims = jwt.decode(
        tokens["access_token"],
        oauth_live.secret,
        audience="authenticated",
        algorithms=["HS256"],
    )
    assert claims["email"] == user["email"]
    assert [entry["method"] for entry in claims["amr"]] == ["oauth"]
    assert claims["app_metadata"] == {"provider": "keycloak", "providers": ["keycloak"]}
    # The provider's own tokens, for the app to call the provider's API.
    assert fake_provider.tokens[tokens["provider_token"]]["sub"] == user["sub"]
    assert tokens["provider_refresh_token"] == f"refresh-{tokens['provider_token']}"

    # The request that leaves the machine in production, byte for byte:
    # allauth's OAuth2 client posting the form RFC 6749 §4.1.3 describes.
    code = parse_qs(urlparse(callback).query)["code"][0]
    headers, body = fake_provider.token_requests[-1]
    assert (
        body
        == urlencode(
            {
                "redirect_uri": f"{oauth_live.url}/auth/v1/callback",
                "grant_type": "authorization_code",
                "code": code,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            }
        ).encode()
    )
    assert b"client_secret=s3cret%2Fwith%2Bchars%26%3D" in body
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Authorization" not in headers  # the secret goes in the form only

    me = new_client(oauth_live).auth.get_user(tokens["access_token"]).user
    assert me.email == user["email"] and me.email_confirmed_at is not None
    assert me.user_metadata["name"] == "Ada Lovelace"
    assert me.user_metadata["sub"] == user["sub"]
    [identity] = me.identities
    assert identity.provider == "keycloak"
    assert identity.id == user["sub"]
    assert identity.identity_data["email"] == user["email"]
    assert identity.identity_data["email_verified"] is True
    assert identity.identity_data["name"] == "Ada Lovelace"


def test_second_sign_in_reuses_the_user(oauth_live, fake_provider):
    user = person()
    _, first = sign_in(oauth_live, fake_provider, user)
    _, second = sign_in(oauth_live, fake_provider, {**user, "name": "Ada King"})

    one = jwt.decode(
        fragment_of(first)["access_token"], options={"verify_signature": False}
    )
    two = jwt.decode(
        fragment_of(second)["access_token"], options={"verify_signature": False}
    )
    assert one["sub"] == two["sub"] and one["session_id"] != two["session_id"]
    me = new_client(oauth_live).auth.get_user(fragment_of(second)["access_token"]).user
    assert len(me.identities) == 1
    assert me.identities[0].identity_data["name"] == "Ada King"


def test_pkce_flow_redirects_with_a_code_the_client_exchanges(
    oauth_live, fake_provider
):
    client = pkce_client(oauth_live)
    user = person()
    started = client.auth.sign_in_with_oauth(
        {"provider": "keycloak", "options": {"redirect_to": "http://localhost:5173/cb"}}
    )
    assert "code_challenge=" in started.url

    _, location = sign_in(oauth_live, fake_provider, user, url=started.url)

    parsed = urlparse(location)
    assert (
        f"{parsed.scheme}://{parsed.netloc}{parsed.path}" == "http://localhost:5173/cb"
    )
    assert parsed.fragment == ""
    code = parse_qs(parsed.query)["code"][0]
    session = client.auth.exchange_code_for_session({"auth_code": code}).session
    assert session.user.email == user["email"]
    assert session.user.identities[0].provider == "keycloak"
    assert fake_provider.tokens[session.provider_token]["sub"] == user["sub"]
    assert session.provider_refresh_token == f"refresh-{session.provider_token}"
    claims = jwt.decode(session.access_token, options={"verify_signature": False})
    assert [entry["method"] for entry in claims["amr"]] == ["oauth"]


def test_tampered_state_fails_without_asking_the_provider(oauth_live, fake_provider):
    fake_provider.user = person()
    to_provider = httpx.get(
        f"{oauth_live.url}/auth/v1/authorize",
        params={"provider": "keycloak", "redirect_to": "http://localhost:5173/done"},
    )
    to_callback = httpx.get(to_provider.headers["location"])
    query = parse_qs(urlparse(to_callback.headers["location"]).query)
    state = query["state"][0]
    forged = state[:-3] + ("AAA" if not state.endswith("AAA") else "BBB")
    before = len(fake_provider.token_requests)

    final = httpx.get(
        f"{oauth_live.url}/auth/v1/callback",
        params={"code": query["code"][0], "state": forged},
    )

    assert final.status_code == 302
    location = final.headers["location"]
    assert location.startswith("http://app.example#")
    error = fragment_of(location)
    assert error["error"] == "invalid_request"
    assert error["error_code"] == "bad_oauth_state"
    assert "access_token" not in error
    assert len(fake_provider.token_requests) == before


def test_redirect_outside_the_allow_list_lands_on_the_site_url(
    oauth_live, fake_provider
):
    _, location = sign_in(
        oauth_live, fake_provider, person(), redirect_to="https://evil.example/steal"
    )
    assert location.startswith("http://app.example#")
    assert fragment_of(location)["access_token"]


def test_verified_email_links_to_the_existing_user(oauth_live, fake_provider):
    user_id = str(uuid.uuid4())
    email = f"linked-{uuid.uuid4().hex[:8]}@example.com"
    create_users(oauth_live.project, {user_id: email})

    _, location = sign_in(oauth_live, fake_provider, person(email=email))

    token = fragment_of(location)["access_token"]
    me = new_client(oauth_live).auth.get_user(token).user
    assert me.id == user_id
    assert [i.provider for i in me.identities] == ["email", "keycloak"]
    assert me.app_metadata["providers"] == ["email", "keycloak"]


def test_unverified_email_of_an_existing_user_is_not_linked(oauth_live, fake_provider):
    email = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    create_users(oauth_live.project, {str(uuid.uuid4()): email})

    _, location = sign_in(
        oauth_live,
        fake_provider,
        person(email_verified=False, email=email),
        redirect_to="http://localhost:5173/done",
    )

    assert location.startswith("http://localhost:5173/done#")
    error = fragment_of(location)
    assert error["error_code"] == "email_exists"
    assert "access_token" not in error


def test_provider_error_is_passed_back_to_the_app(oauth_live):
    to_provider = httpx.get(
        f"{oauth_live.url}/auth/v1/authorize",
        params={"provider": "keycloak", "redirect_to": "http://localhost:5173/done"},
    )
    state = parse_qs(urlparse(to_provider.headers["location"]).query)["state"][0]
    final = httpx.get(
        f"{oauth_live.url}/auth/v1/callback",
        params={
            "error": "access_denied",
            "error_description": "The user said no",
            "state": state,
        },
    )
    assert final.headers["location"].startswith("http://localhost:5173/done#")
    error = fragment_of(final.headers["location"])
    assert error["error"] == "access_denied"
    assert error["error_description"] == "The user said no"


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            "KOYALITE_AUTH_OIDC_CLIENT_ID=a\nKOYALITE_AUTH_OIDC_SECRET=b\n",
            "KOYALITE_AUTH_OIDC_URL (the issuer) must be set.",
        ),
        (
            "KOYALITE_AUTH_GITHUB_CLIENT_ID=a\nKOYALITE_AUTH_GITHUB_SECRET=b\n"
            "KOYALITE_AUTH_GITHUB_URL=github.example\n",
            "KOYALITE_AUTH_GITHUB_URL must be an http(s) URL",
        ),
        (
            "KOYALITE_AUTH_OIDC_CLIENT_ID=a\nKOYALITE_AUTH_OIDC_SECRET=b\n"
            "KOYALITE_AUTH_OIDC_URL=https://id.example\nKOYALITE_AUTH_OIDC_NAME=google\n",
            "KOYALITE_AUTH_OIDC_NAME must be a new provider name",
        ),
        (
            "KOYALITE_AUTH_MYSPACE_CLIENT_ID=a\n",
            "KOYALITE_AUTH_MYSPACE_CLIENT_ID is not",
        ),
    ],
)
def test_provider_misconfiguration_stops_start_up(tmp_path, lines, message):
    assert message in start_up_error(tmp_path, lines)


def test_half_configured_provider_stops_start_up(tmp_path):
    assert "KOYALITE_AUTH_GITHUB_CLIENT_ID and KOYALITE_AUTH_GITHUB_SECRET" in (
        start_up_error(tmp_path, "KOYALITE_AUTH_GITHUB_CLIENT_ID=abc\n")
    )


def test_github_through_allauth_reads_the_primary_verified_address(
    oauth_live, fake_provider
):
    email = f"gh-{uuid.uuid4().hex[:10]}@example.com"
    user = github_user(email)
    _, location = sign_in(
        oauth_live,
        fake_provider,
        user,
        via="github",
        redirect_to="http://localhost:5173/",
    )
    tokens = fragment_of(location)
    me = new_client(oauth_live).auth.get_user(tokens["access_token"]).user
    assert me.email == email and me.email_confirmed_at is not None
    assert me.app_metadata == {"provider": "github", "providers": ["github"]}
    [identity] = me.identities
    assert identity.provider == "github" and identity.id == str(user["id"])
    assert identity.identity_data["user_name"] == "ada"
    assert identity.identity_data["avatar_url"] == "https://avatars.example/ada.png"
    assert identity.identity_data["email_verified"] is True
    assert identity.identity_data["iss"] == f"{fake_provider.url}/login/oauth/authorize"


def test_one_user_signs_in_with_two_providers_by_a_verified_address(
    oauth_live, fake_provider
):
    email = f"both-{uuid.uuid4().hex[:10]}@example.com"
    _, first = sign_in(oauth_live, fake_provider, person(email=email))
    _, second = sign_in(oauth_live, fake_provider, github_user(email), via="github")
    client = new_client(oauth_live)
    one = client.auth.get_user(fragment_of(first)["access_token"]).user
    two = client.auth.get_user(fragment_of(second)["access_token"]).user
    assert one.id == two.id
    assert sorted(i.provider for i in two.identities) == ["github", "keycloak"]
    assert two.app_metadata["providers"] == ["keycloak", "github"]


def test_unverified_github_address_creates_no_confirmed_account(
    oauth_live, fake_provider
):
    email = f"ungh-{uuid.uuid4().hex[:10]}@example.com"
    _, location = sign_in(
        oauth_live, fake_provider, github_user(email, verified=False), via="github"
    )
    me = (
        new_client(oauth_live).auth.get_user(fragment_of(location)["access_token"]).user
    )
    assert me.email == email and me.email_confirmed_at is None
    assert me.identities[0].identity_data["email_verified"] is False


def test_a_code_the_provider_refuses_comes_back_as_an_error(oauth_live, fake_provider):
    fake_provider.user = person()
    started = httpx.get(
        f"{oauth_live.url}/auth/v1/authorize",
        params={"provider": "keycloak", "redirect_to": "http://localhost:5173/cb"},
    )
    to_callback = httpx.get(started.headers["location"])
    callback = to_callback.headers["location"]
    fake_provider.codes.clear()  # the provider no longer knows the code

    final = httpx.get(callback)

    assert final.status_code == 302
    location = final.headers["location"]
    assert location.startswith("http://localhost:5173/cb#")
    error = fragment_of(location)
    assert error["error"] == "server_error"
    assert error["error_code"] == "unexpected_failure"
    assert "access_token" not in error


def test_an_unreachable_provider_fails_authorize_cleanly(tmp_path):
    project = tmp_path / "app"
    run_cli(project, "init", str(project))
    server = start_server(
        project,
        env_extra={
            # Nothing listens here: discovery cannot be read.
            "KOYALITE_AUTH_OIDC_URL": "http://127.0.0.1:9",
            "KOYALITE_AUTH_OIDC_CLIENT_ID": CLIENT_ID,
            "KOYALITE_AUTH_OIDC_SECRET": CLIENT_SECRET,
        },
    )
    try:
        response = httpx.get(
            f"{server.url}/auth/v1/authorize?provider=oidc",
            headers={"X-Supabase-Api-Version": "2024-01-01"},
        )
    finally:
        stop_server(server)
    assert response.status_code == 500
    assert response.json()["code"] == "unexpected_failure"
    assert "external provider" in response.json()["message"]
