"""System checks for settings whose values parse but make no sense."""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register


@register("koyalite")
def check_jwt_secret(app_configs, **kwargs):
    secret = settings.JWT_SECRET
    if not secret:
        return [
            Error(
                "KOYALITE_JWT_SECRET is not set.",
                hint="Run `koyalite init` to create a project with a generated secret.",
                id="koyalite.E001",
            )
        ]
    if len(secret.encode()) < 32:
        return [
            Error(
                "KOYALITE_JWT_SECRET is shorter than 32 bytes.",
                hint="Use a random value of at least 32 bytes, e.g. `openssl rand -hex 32`.",
                id="koyalite.E002",
            )
        ]
    return []


@register("koyalite")
def check_unknown_variables(app_configs, **kwargs):
    unknown = sorted(
        name
        for name in os.environ
        if name.startswith("KOYALITE_") and name not in settings.KNOWN_VARIABLES
    )
    return [
        Error(f"{name} is not a KoyaLite setting (a typo?).", id="koyalite.E003")
        for name in unknown
    ]


@register("koyalite")
def check_database_directory(app_configs, **kwargs):
    path = Path(settings.DATABASES["default"]["NAME"])
    if not path.parent.is_dir():
        return [
            Error(
                f"DATABASE_URL points into {path.parent}, which does not exist.",
                id="koyalite.E004",
            )
        ]
    if not os.access(path.parent, os.W_OK):
        return [
            Error(
                f"DATABASE_URL points into {path.parent}, which is not writable.",
                id="koyalite.E005",
            )
        ]
    return []


@register("koyalite")
def check_storage_directories(app_configs, **kwargs):
    """Storage writes object bytes (local backend), resumable upload parts and
    rendered images to disk: a directory it cannot write fails every upload
    or render, so start-up refuses it instead."""
    directories = [
        (settings.STORAGE_UPLOADS_DIR, "Storage's resumable upload directory"),
        (settings.STORAGE_RENDER_CACHE_DIR, "Storage's image render cache"),
    ]
    if settings.STORAGE_BACKEND == "local":
        directories.insert(0, (settings.STORAGE_DIR, "KOYALITE_STORAGE_DIR"))
    return [
        error
        for path, what in directories
        if (error := _unwritable(Path(path), what)) is not None
    ]


def _unwritable(path: Path, what: str) -> Error | None:
    # Directories are made at their first use; until then the nearest
    # existing parent decides whether they can be.
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        return Error(
            f"{what} is {path}, but {existing} is not a directory.",
            id="koyalite.E006",
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        return Error(
            f"{what} is {path}, but {existing} is not writable.",
            hint="Let the user running KoyaLite write there.",
            id="koyalite.E007",
        )
    return None
