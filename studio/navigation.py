"""The Studio's sidebar: one entry per page, in the order shown."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

# (label, URL name). Overview, the account and sign-out are in the layout.
PAGES: list[tuple[str, str]] = [("Table editor", "studio:tables")]


def navigation(request: HttpRequest) -> dict:
    """Context processor: the sidebar entries, the current one marked."""
    if not request.path.startswith("/studio/"):
        return {}
    entries = []
    for label, name in PAGES:
        url = reverse(name)
        entries.append(
            {"label": label, "url": url, "current": request.path.startswith(url)}
        )
    return {"studio_nav": entries}
