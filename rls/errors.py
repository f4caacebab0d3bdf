"""Errors raised by policy statements and policy expressions.

Codes are the SQLSTATEs Postgres raises for the same mistake, so a schema file
written for Supabase fails here with the error it would fail with there. Statuses
follow PostgREST's mapping of those SQLSTATEs.
"""

from __future__ import annotations

from koyalite.errors import KoyaError


class PolicyError(KoyaError):
    """A policy statement or expression that cannot be accepted."""

    status = 400
    code = "42601"


class PolicySyntaxError(PolicyError):
    """A policy statement or expression that does not parse (syntax_error)."""

    code = "42601"


class UndefinedColumn(PolicyError):
    code = "42703"


class AmbiguousColumn(PolicyError):
    code = "42702"


class UndefinedTable(PolicyError):
    status = 404
    code = "42P01"


class UndefinedFunction(PolicyError):
    status = 404
    code = "42883"


class UndefinedObject(PolicyError):
    """A policy or role that does not exist."""

    code = "42704"


class DuplicatePolicy(PolicyError):
    code = "42710"

    def __init__(self, name: str, table: str) -> None:
        super().__init__(f'policy "{name}" for table "{table}" already exists')


class WrongObjectType(PolicyError):
    """A policy or `row level security` on a view."""

    code = "42809"


class NotOwner(PolicyError):
    """Turning RLS off on a table KoyaLite owns (`storage.objects`)."""

    code = "42501"


class DatatypeMismatch(PolicyError):
    code = "42804"


class GroupingError(PolicyError):
    """An aggregate outside the select list of a subquery."""

    code = "42803"


class InvalidTextRepresentation(PolicyError):
    """A literal that cannot take the type it is cast to (`'abc'::int`)."""

    code = "22P02"


class InvalidEscapeSequence(PolicyError):
    code = "22025"


class InvalidPolicy(PolicyError):
    """A stored policy that no longer compiles, e.g. after a column was dropped.

    Raised at request time instead of skipping the policy: a policy that cannot
    be applied must not silently widen or narrow access.
    """

    status = 500
    code = "42P17"
