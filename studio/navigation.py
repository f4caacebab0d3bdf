"""The Studio's sidebar: one entry per page, in the order shown."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

# (label, URL name). Overview, the account and sign-out are in the layout.
PAGES: list[tuple[str, str]] = [
    ("Table editor", "studio:tables"),
    ("Schema", "studio:schema"),
    ("SQL editor", "studio:sql"),
    ("GraphQL", "studio:graphql"),
    ("Policies", "studio:policies"),
    ("Policy tester", "studio:policy_tester"),
    ("Auth", "studio:auth"),
    ("Storage", "studio:storage"),
    ("Functions", "studio:functions"),
    ("Webhooks", "studio:webhooks"),
    ("Emails", "studio:emails"),
    ("Mailbox", "studio:mailbox"),
    ("Cron", "studio:cron"),
    ("API docs", "studio:docs"),
    ("Logs", "studio:logs"),
]


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
