"""The OAuth providers KoyaLite signs users in with, by GoTrue's names.

Each is a django-allauth provider: allauth knows its endpoints, scopes, how
to exchange a code and how to read its profile. A provider is enabled by
`KOYALITE_AUTH_<NAME>_CLIENT_ID` and `_SECRET`; some also take a `_URL`
(GitHub Enterprise, self-hosted GitLab, and the one OpenID Connect issuer,
whose `KOYALITE_AUTH_OIDC_NAME` names it, e.g. keycloak).

Plain data: settings.py reads it before Django's apps exist.
"""

from __future__ import annotations

# GoTrue's provider name → allauth's provider id.
PROVIDERS = {
    "azure": "microsoft",
    "bitbucket": "bitbucket_oauth2",
    "discord": "discord",
    "facebook": "facebook",
    "figma": "figma",
    "github": "github",
    "gitlab": "gitlab",
    "google": "google",
    "kakao": "kakao",
    "linkedin_oidc": "linkedin_oauth2",
    "notion": "notion",
    "slack_oidc": "slack",
    "spotify": "spotify",
    "twitch": "twitch",
    "twitter": "twitter_oauth2",
    "zoom": "zoom",
    "oidc": "openid_connect",
}

# Providers whose server can be elsewhere, and the allauth setting saying where.
URL_SETTINGS = {"github": "GITHUB_URL", "gitlab": "GITLAB_URL", "oidc": "server_url"}

# Names a configured OpenID Connect provider may not take.
RESERVED_NAMES = frozenset(PROVIDERS) | {"email", "phone", "anonymous"}


def variables() -> set[str]:
    """Every KOYALITE_AUTH_* variable that configures a provider."""
    names = set()
    for name in PROVIDERS:
        prefix = f"KOYALITE_AUTH_{name.upper()}"
        names |= {f"{prefix}_CLIENT_ID", f"{prefix}_SECRET"}
        if name in URL_SETTINGS:
            names.add(f"{prefix}_URL")
    return names | {"KOYALITE_AUTH_OIDC_NAME"}


def installed_apps() -> list[str]:
    return [
        "allauth",
        "allauth.account",
        "allauth.socialaccount",
        *(
            f"allauth.socialaccount.providers.{provider}"
            for provider in sorted(set(PROVIDERS.values()))
        ),
    ]
