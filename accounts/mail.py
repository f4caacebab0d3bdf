"""The one function that sends auth emails, and the links inside them.

Mail goes through Django's email backend (console by default, SMTP with
KOYALITE_EMAIL_URL); the email-queue capability will move the sending onto
the queue behind this same function.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from koyalite.logging import get_logger

log = get_logger("koyalite.auth")

SUBJECTS = {
    "confirmation": "Confirm your sign-up",
    "magic_link": "Your sign-in link",
    "recovery": "Reset your password",
    "email_change_current": "Confirm your email change",
    "email_change_new": "Confirm your new email address",
    "invite": "You have been invited",
    "reauthentication": "Confirm it is you",
}


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


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def render_auth_email(kind: str, context: dict[str, str]) -> RenderedEmail:
    """The subject and bodies of an auth email; the Studio previews with it."""
    return RenderedEmail(
        SUBJECTS[kind],
        render_to_string(f"accounts/email/{kind}.txt", context),
        render_to_string(f"accounts/email/{kind}.html", context),
    )


def send_auth_email(kind: str, to: str, context: dict[str, str]) -> None:
    rendered = render_auth_email(kind, context)
    message = EmailMultiAlternatives(
        rendered.subject, rendered.text, settings.DEFAULT_FROM_EMAIL, [to]
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send()
    log.info("auth.email_sent", kind=kind)
