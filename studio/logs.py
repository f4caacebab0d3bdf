"""Reading the request log for the Logs page and its JSON twin: filters from
the query string (method, status class, path contains, role), newest first,
paged. The writer is `studio.request_log`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.core.paginator import Paginator
from django.http import QueryDict

from studio.models import RequestLog
from studio.project_info import LoggedRequest, as_logged_request

PAGE_SIZE = 50
METHODS = ("GET", "HEAD", "POST", "PATCH", "PUT", "DELETE", "OPTIONS")
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
ROLES = ("anon", "authenticated", "service_role")


@dataclass(frozen=True, slots=True)
class LogFilters:
    method: str = ""
    status: str = ""  # a status class, "4xx"
    path: str = ""  # substring of the path
    role: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, query: QueryDict) -> LogFilters:
        """Unknown choices are ignored rather than refused: the URL is the
        state and an old bookmark should still open the page."""
        method = query.get("method", "").upper()
        status = query.get("status", "").lower()
        role = query.get("role", "")
        try:
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            page = 1
        return cls(
            method=method if method in METHODS else "",
            status=status if status in STATUS_CLASSES else "",
            path=query.get("path", "").strip()[:200],
            role=role if role in ROLES else "",
            page=page,
        )

    def query_string(self, page: int) -> str:
        query = QueryDict(mutable=True)
        for name in ("method", "status", "path", "role"):
            if value := getattr(self, name):
                query[name] = value
        query["page"] = str(page)
        return query.urlencode()


@dataclass(frozen=True, slots=True)
class LogPage:
    filters: LogFilters
    entries: list[LoggedRequest]
    page: int
    pages: int
    total: int
    enabled: bool
    previous_query: str | None = None
    next_query: str | None = None
    choices: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "method": METHODS,
            "status": STATUS_CLASSES,
            "role": ROLES,
        }
    )

    def as_json(self) -> dict:
        data = asdict(self)
        del data["choices"], data["previous_query"], data["next_query"]
        return data


def read_log(filters: LogFilters) -> LogPage:
    entries = RequestLog.objects.order_by("-id")
    if filters.method:
        entries = entries.filter(method=filters.method)
    if filters.status:
        low = int(filters.status[0]) * 100
        entries = entries.filter(status__gte=low, status__lt=low + 100)
    if filters.path:
        entries = entries.filter(path__contains=filters.path)
    if filters.role:
        entries = entries.filter(role=filters.role)
    # The table is bounded (KOYALITE_REQUEST_LOG_ROWS), so counting is cheap.
    paginator = Paginator(entries, PAGE_SIZE)
    current = paginator.get_page(filters.page)
    number = current.number
    return LogPage(
        filters=filters,
        entries=[as_logged_request(entry) for entry in current.object_list],
        page=number,
        pages=paginator.num_pages,
        total=paginator.count,
        enabled=bool(settings.REQUEST_LOG_ROWS),
        previous_query=filters.query_string(number - 1) if number > 1 else None,
        next_query=(
            filters.query_string(number + 1) if number < paginator.num_pages else None
        ),
    )
