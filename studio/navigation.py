"""The Studio's sidebar: one entry per page, in the order shown."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

# (label, URL name). Overview, the account and sign-out are in the layout.
PAGES: list[tuple[str, str]] = [
    ("Policies", "studio:policies"),
    ("Policy tester", "studio:policy_tester"),
    ("SQL editor", "studio:sql"),
    ("Schema", "studio:schema"),
]
PAGES: list[tuple[str, str]] = []
PAGES.append(("Auth", "studio:auth"))
PAGES.append(("Mailbox", "studio:mailbox"))
PAGES.append(("API docs", "studio:docs"))
PAGES.append(("Logs", "studio:logs"))


def navigation(request: HttpRequest) -> dict:
    """Context processor: the sidebar entries, the current one marked."""
    if not request.path.startswith("/studio/"):
        return {}
    entries = [{"label": label, "url": reverse(name)} for label, name in PAGES]
    # The longest URL the path is under is the current page: on
    # /studio/policies/tester/ that is the tester, not the policies.
    matching = [e["url"] for e in entries if request.path.startswith(e["url"])]
    current = max(matching, key=len, default=None)
    for entry in entries:
        entry["current"] = entry["url"] == current
    return {"studio_nav": entries}
