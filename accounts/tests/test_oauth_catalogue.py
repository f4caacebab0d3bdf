"""The OAuth provider catalogue on allauth: every name maps to a provider
allauth knows, and a provider that wants PKCE gets it. X (Twitter) lives
outside this machine, so its HTTP is answered here — and the request KoyaLite
makes is checked byte for byte."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers import registry
from django.contrib import admin
from django.test import RequestFactory, override_settings

from accounts import catalogue, oauth


def test_every_catalogue_name_is_an_allauth_provider() -> None:
    for name, provider_id in catalogue.PROVIDERS.items():
        assert registry.get_class(provider_id) is not None, name


def test_allauth_admin_pages_are_not_offered() -> None:
    from allauth.socialaccount.models import SocialApp

    admin.autodiscover()
    assert not admin.site.is_registered(SocialApp)


class Recorded(requests.adapters.BaseAdapter):
    """A transport that answers X's token and profile endpoints."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        if request.url.startswith("https://api.x.com/2/oauth2/token"):
            body = {"access_token": "x-token", "token_type": "bearer"}
        else:
            body = {"data": {"id": "4242", "username": "ada", "name": "Ada L"}}
        response._content = json.dumps(body).encode()
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def x_transport(monkeypatch):
    transport = Recorded()

    def session(self):
        s = requests.Session()
        s.mount("https://", transport)
        return s

    monkeypatch.setattr(DefaultSocialAccountAdapter, "get_requests_session", session)
    return transport


@pytest.mark.django_db
@override_settings(
    AUTH_EXTERNAL_PROVIDERS={"twitter": "twitter_oauth2"},
    SOCIALACCOUNT_PROVIDERS={
        "twitter_oauth2": {"APPS": [{"client_id": "x-client", "secret": "x/secret"}]}
    },
    API_URL="http://127.0.0.1:8000",
)
def test_a_provider_that_wants_pkce_gets_a_verifier_only_the_server_knows(
    x_transport,
) -> None:
    request = RequestFactory().get("/auth/v1/authorize")
    url = oauth.authorization_url(request, "twitter", None, None, None)

    consent = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(consent.query).items()}
    assert f"{consent.scheme}://{consent.netloc}{consent.path}" == (
        "https://x.com/i/oauth2/authorize"
    )
    assert query["redirect_uri"] == "http://127.0.0.1:8000/auth/v1/callback"
    assert query["code_challenge_method"] == "S256"
    state = oauth.read_state(query["state"])
    verifier = oauth._verifier(state.nonce)
    assert verifier not in url
    digest = hashlib.sha256(verifier.encode()).digest()
    assert (
        query["code_challenge"]
        == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    )

    chosen = oauth.provider(request, "twitter")
    found = oauth.profile(request, chosen, state, "the-code")

    token_request, profile_request = x_transport.sent
    assert token_request.method == "POST"
    assert token_request.url == "https://api.x.com/2/oauth2/token"
    assert token_request.body == (
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fauth%2Fv1%2Fcallback"
        f"&grant_type=authorization_code&code=the-code&code_verifier={verifier}"
    )
    expected = base64.b64encode(b"x-client:x/secret").decode()
    assert token_request.headers["Authorization"] == f"Basic {expected}"
    assert profile_request.headers["Authorization"] == "Bearer x-token"
    claims = found.claims
    assert claims["sub"] == "4242" and claims["user_name"] == "ada"
    assert claims["name"] == "Ada L" and "email" not in claims
    assert found.provider_tokens == {"provider_token": "x-token"}
