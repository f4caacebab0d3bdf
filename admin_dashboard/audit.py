"""Record every change an operator makes through the Studio or the admin.

One middleware, around the browser pages' views, so no view can forget: a
request that may change something (any method but GET, HEAD and OPTIONS)
under /studio/ or /admin/ becomes an `AuditEvent` with who, what (the view's
URL name and the object its URL names) and the answer's status — refusals
(CSRF, validation, permission) too. Bodies and query strings are never kept.
Events older than `KOYALITE_AUDIT_LOG_DAYS` are deleted by the worker.
"""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import timezone

from database.executor import write_lock
from koyalite.logging import get_logger

log = get_logger("koyalite.audit")

AUDITED_PREFIXES = ("/studio/", "/admin/")
READS = frozenset({"GET", "HEAD", "OPTIONS"})


class AuditMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in READS or not request.path_info.startswith(
            AUDITED_PREFIXES
        ):
            return self.get_response(request)
        # Read before the view: signing out forgets who it was.
        before = _operator(request)
        response = self.get_response(request)
        record(request, before or _operator(request), response.status_code)
        return response


def _operator(request: HttpRequest):
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def record(request: HttpRequest, operator, status: int) -> None:
    from admin_dashboard.models import AuditEvent

    action, target = _action(request.path_info)
    try:
        with write_lock():
            AuditEvent.objects.create(
                operator=operator,
                operator_email=operator.email if operator is not None else "",
                method=request.method[:8],
                path=request.path_info[:1024],
                action=action,
                target=target,
                status=status,
                ip=request.META.get("REMOTE_ADDR") or None,
            )
    except Exception:
        # The change has happened (or been refused) already; a lost audit
        # row must not turn its answer into an error. It is logged instead.
        log.exception("audit.write_failed", path=request.path_info)


def _action(path: str) -> tuple[str, str]:
    try:
        match = resolve(path)
    except Resolver404:
        return "", ""
    target = ", ".join(f"{k}={v}" for k, v in sorted(match.kwargs.items()))
    return match.view_name[:200], target[:500]


_PRUNE_EVERY_SECONDS = 3600
_last_prune = float("-inf")


def prune_tick() -> None:
    """Delete events older than `KOYALITE_AUDIT_LOG_DAYS` (0 keeps them all);
    at most once an hour."""
    global _last_prune
    now = time.monotonic()
    if not settings.AUDIT_LOG_DAYS or now - _last_prune < _PRUNE_EVERY_SECONDS:
        return
    _last_prune = now
    prune(timezone.now() - timedelta(days=settings.AUDIT_LOG_DAYS))


def prune(before) -> int:
    from admin_dashboard.models import AuditEvent

    with write_lock():
        deleted, _ = AuditEvent.objects.filter(at__lt=before).delete()
    return deleted
