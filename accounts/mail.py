"""The one function that sends auth emails, and the links inside them.

Mail goes through the email queue (`emails`), which logs every mail and
retries it; its first attempt is made while the request that asked for it
waits, so no worker is needed for a sign-up to get its mail.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings

from emails import send_email
from emails.rendering import RenderedEmail
from emails.services import render_email
from koyalite.logging import get_logger

log = get_logger("koyalite.auth")

# Each kind's template is `auth/<kind>` in the email templates (the Studio's
# Emails page edits them).
KINDS = (
    "confirmation",
    "magic_link",
    "recovery",
    "email_change_current",
    "email_change_new",
    "invite",
    "reauthentication",
)


def safe_redirect(redirect_to: str | None) -> str:
    """`redirect_to` if the project allows it, else the site URL.

    Allowed: the site URL and anything under it, and each entry of
    KOYALITE_AUTH_REDIRECT_URLS (exactly, or as a prefix when it ends in `*`).
    Anything else would be an open redirect, so it is replaced, as GoTrue does.
    """
    site = settings.AUTH_SITE_URL
    if not redirect_to:
        return site
    if (
        redirect_to == site
        or redirect_to.startswith(site + "/")
        or redirect_to.startswith(site + "?")
    ):
        return redirect_to
    for allowed in settings.AUTH_REDIRECT_URLS:
        if allowed.endswith("*") and redirect_to.startswith(allowed[:-1]):
            return redirect_to
        if redirect_to == allowed:
            return redirect_to
    return site


def verify_link(token: str, kind: str, redirect_to: str) -> str:
    query = urlencode({"token": token, "type": kind, "redirect_to": redirect_to})
    return f"{settings.API_URL}/auth/v1/verify?{query}"


def render_auth_email(kind: str, context: dict[str, str]) -> RenderedEmail:
    """The subject and bodies of an auth email; the Studio previews with it."""
    return render_email(f"auth/{kind}", context)


def send_auth_email(kind: str, to: str, context: dict[str, str]) -> None:
    send_email(f"auth/{kind}", to, context)
    log.info("auth.email_queued", kind=kind)
