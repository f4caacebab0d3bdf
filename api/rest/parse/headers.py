"""`Prefer`, `Accept` and the profile headers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeVar

from django.http import HttpRequest

from api.rest.errors import InvalidPreferences, NotAcceptable, SchemaNotExposed
from api.rest.parse.cursor import excerpt
from api.rest.parse.filters import small_int
from api.rest.parse.limits import QUALITY
from api.rest.parse.query import header_value
from database.types import CountMethod, ResponseFormat, Returning

Resolution = Literal["merge-duplicates", "ignore-duplicates"]
Choice = TypeVar("Choice", bound=str)
RETURNING: tuple[Returning, ...] = ("minimal", "headers-only", "representation")
COUNTS: tuple[CountMethod, ...] = ("exact", "planned", "estimated")
RESOLUTIONS: tuple[Resolution, ...] = ("merge-duplicates", "ignore-duplicates")
PREFERENCES: dict[str, tuple[str, ...]] = {
    "return": RETURNING,
    "count": COUNTS,
    "resolution": RESOLUTIONS,
    "missing": ("default", "null"),
    "tx": ("commit", "rollback"),
    "handling": ("lenient", "strict"),
}


@dataclass(frozen=True, slots=True)
class _Preferences:
    returning: Returning | None = None
    count: CountMethod | None = None
    resolution: Resolution | None = None
    missing_default: bool = False
    rollback: bool = False
    max_affected: int | None = None


def _pick(value: str | None, choices: tuple[Choice, ...]) -> Choice | None:
    """Narrow a validated preference value to its Literal type."""
    return next((choice for choice in choices if choice == value), None)


def read_preferences(request: HttpRequest) -> _Preferences:
    """Read `Prefer` (several headers arrive joined by commas); first value wins."""
    chosen: dict[str, str] = {}
    invalid: list[str] = []
    for token in header_value(request, "Prefer", "").split(","):
        token = token.strip()
        if not token:
            continue
        kind, _, value = token.partition("=")
        if value in PREFERENCES.get(kind, ()):
            chosen.setdefault(kind, value)
        elif kind == "max-affected" and small_int(value) is not None:
            chosen.setdefault(kind, value)
        elif kind != "timezone" or not value:  # timezone: accepted, SQLite has none
            invalid.append(token)
    strict = chosen.get("handling") == "strict"
    if strict and invalid:
        listed = excerpt(", ".join(invalid))
        raise InvalidPreferences(
            f"Invalid preferences given with handling=strict: {listed}",
            details=f"Invalid preferences: {listed}",
        )
    max_affected = chosen.get("max-affected")
    return _Preferences(
        returning=_pick(chosen.get("return"), RETURNING),
        count=_pick(chosen.get("count"), COUNTS),
        resolution=_pick(chosen.get("resolution"), RESOLUTIONS),
        missing_default=chosen.get("missing") == "default",
        rollback=chosen.get("tx") == "rollback",
        # PostgREST enforces max-affected only together with handling=strict.
        max_affected=int(max_affected) if strict and max_affected else None,
    )


def check_profile(request: HttpRequest, header: str) -> None:
    profile = header_value(request, header)
    if profile is not None and profile.strip() != "public":
        raise SchemaNotExposed(excerpt(profile.strip()))


def _media_format(
    media: str, params: dict[str, str]
) -> tuple[ResponseFormat, bool] | None:
    stripped = params.get("nulls") == "stripped"
    if media in ("application/json", "*/*"):
        return "json", False
    if media in ("application/vnd.pgrst.array+json", "application/vnd.pgrst.array"):
        return "json", stripped
    if media in ("application/vnd.pgrst.object+json", "application/vnd.pgrst.object"):
        return "object", stripped
    if media == "text/csv":
        return "csv", False
    return None


def negotiate(accept: str | None) -> tuple[ResponseFormat, bool]:
    """Pick the response format from `Accept`: (format, strip_nulls)."""
    if accept is None or not accept.strip():
        return "json", False
    offered: list[tuple[float, int, int, str, dict[str, str]]] = []
    for index, part in enumerate(accept.split(",")):
        media, *raw_params = (piece.strip() for piece in part.split(";"))
        if not media:
            continue
        params: dict[str, str] = {}
        for raw in raw_params:
            name, _, value = raw.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        quality = params.pop("q", "1")
        weight = float(quality) if QUALITY.fullmatch(quality) else 1.0
        if weight == 0:
            continue  # q=0 means "not acceptable"
        media = media.lower()
        specificity = 0 if media == "*/*" else 1 if media.endswith("/*") else 2
        offered.append((-weight, -specificity, index, media, params))
    for *_, media, params in sorted(offered, key=lambda entry: entry[:3]):
        chosen = _media_format(media, params)
        if chosen is not None:
            return chosen
    listed = ", ".join(part.strip() for part in accept.split(",") if part.strip())
    raise NotAcceptable(f"None of these media types are available: {excerpt(listed)}")
