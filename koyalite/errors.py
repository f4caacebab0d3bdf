"""The root of KoyaLite's error hierarchy.

A `KoyaError` is a mistake the caller made and can fix. It knows its HTTP status,
its protocol code and its CLI exit code, but nothing about how it is rendered:
each wire format (PostgREST, GoTrue, CLI) has one renderer.
"""

from __future__ import annotations


class KoyaError(Exception):
    """An error the caller made and can fix; str() is one line."""

    status = 400
    code = "KL000"
    exit_code = 1
    details: str | None = None
    hint: str | None = None

    def __init__(
        self, message: str, *, details: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if details is not None:
            self.details = details
        if hint is not None:
            self.hint = hint


class ConfigurationError(KoyaError):
    code = "KL001"
    exit_code = 2


class ProjectError(KoyaError):
    """A CLI command cannot run in this directory (missing or non-empty project)."""

    code = "KL002"
    exit_code = 2
