"""Errors raised while planning or executing a request against the schema.

Codes follow PostgREST (PGRST2xx: schema cache) and Postgres SQLSTATEs for
constraint violations, so Supabase clients see what they would see there.
"""

from __future__ import annotations

from database.schema import system_table_named
from koyalite.errors import KoyaError

# ---------------------------------------------------------------- PGRST2xx: schema


class TableNotFound(KoyaError):
    status = 404
    code = "PGRST205"

    def __init__(self, table: str) -> None:
        super().__init__(
            f"Could not find the table 'public.{table}' in the schema cache"
        )


class ColumnNotFound(KoyaError):
    status = 400
    code = "42703"

    def __init__(self, table: str, column: str) -> None:
        super().__init__(f"column {table}.{column} does not exist")


class BodyColumnNotFound(KoyaError):
    status = 400
    code = "PGRST204"

    def __init__(self, table: str, column: str) -> None:
        super().__init__(
            f"Could not find the '{column}' column of '{table}' in the schema cache"
        )


class RelationshipNotFound(KoyaError):
    status = 400
    code = "PGRST200"

    def __init__(self, parent: str, child: str, hint: str | None = None) -> None:
        details = (
            f"Searched for a foreign key relationship between '{parent}' and '{child}'"
            + (f" using the hint '{hint}'" if hint else "")
            + " in the schema 'public', but no matches were found."
        )
        super().__init__(
            f"Could not find a relationship between '{parent}' and '{child}' in the schema cache",
            details=details,
        )


class AmbiguousRelationship(KoyaError):
    status = 300
    code = "PGRST201"


class EmbedFilterNotSelected(KoyaError):
    status = 400
    code = "PGRST108"


class OrderByToMany(KoyaError):
    status = 400
    code = "PGRST118"


class InvalidEmbedFilter(KoyaError):
    status = 400
    code = "PGRST120"


class NotImplementedFeature(KoyaError):
    status = 400
    code = "PGRST127"


class SingularResponse(KoyaError):
    """`Accept: application/vnd.pgrst.object+json` but not exactly one row."""

    status = 406
    code = "PGRST116"

    def __init__(self, rows: int) -> None:
        super().__init__(
            "JSON object requested, multiple (or no) rows returned",
            details=f"The result contains {rows} rows",
        )


class MaxAffectedExceeded(KoyaError):
    status = 400
    code = "PGRST124"


# ---------------------------------------------------------------- SQLSTATE


class InvalidValue(KoyaError):
    """A value that cannot take the column's declared type (22P02-like)."""

    status = 400
    code = "22P02"


class WhereClauseRequired(KoyaError):
    """PATCH or DELETE without a filter, refused as pg-safeupdate does."""

    status = 400
    code = "21000"

    def __init__(self, statement: str) -> None:
        super().__init__(f"{statement} requires a WHERE clause")


class NumberOutOfRange(KoyaError):
    """A number outside its column's type (22003), never stored altered."""

    status = 400
    code = "22003"


class StringTooLong(KoyaError):
    """Text longer than a `varchar(n)`/`char(n)` column holds (22001)."""

    status = 400
    code = "22001"


class UniqueViolation(KoyaError):
    status = 409
    code = "23505"


class ForeignKeyViolation(KoyaError):
    status = 409
    code = "23503"


class NotNullViolation(KoyaError):
    status = 400
    code = "23502"


class CheckViolation(KoyaError):
    status = 400
    code = "23514"


class InsufficientPrivilege(KoyaError):
    """A row-level security `with check` failed (42501): 401 for anon, 403 else."""

    status = 403
    code = "42501"


class TypeNotFound(KoyaError):
    """A cast to a type Postgres does not know (42704)."""

    status = 400
    code = "42704"


class OperatorNotFound(KoyaError):
    """`->` after `->>`: Postgres has no json operator on text (42883, which
    PostgREST answers with 404 as for an unknown function)."""

    status = 404
    code = "42883"


class StatementTooComplex(KoyaError):
    """SQLite's parser stack (100 entries in the SQLite Debian ships) holds
    five or six nested GraphQL collections or five to-one embeds; Postgres reports
    running out of stack depth as 54001."""

    status = 400
    code = "54001"

    def __init__(self) -> None:
        super().__init__(
            "The request nests embedded resources too deeply for SQLite to parse",
            hint="Ask for fewer nested levels and fetch deeper ones in a second request.",
        )


class QueryFailed(KoyaError):
    """Any other error SQLite reports for a well-formed request."""

    status = 400
    code = "XX000"


class InvalidView(KoyaError):
    """A security_invoker view that cannot be read under its caller's policies.

    Refused when the option is set; should the schema change some other way,
    reading the view fails closed rather than serve its rows unfiltered.
    """

    status = 500
    code = "42P17"


class ViewNotWritable(KoyaError):
    """A write through a security_invoker view by a caller RLS applies to.

    A view's triggers run as SQLite runs them, outside the caller's policies.
    """

    status = 400
    code = "0A000"

    def __init__(self, view: str) -> None:
        super().__init__(
            f'cannot write through security_invoker view "{view}"',
            details="KoyaLite runs a view's triggers without row-level security, "
            "so the base tables' policies could not guard the write.",
            hint="Write to the base tables, whose policies apply.",
        )


# ---------------------------------------------------------------- PUT upserts


class InvalidPutFilters(KoyaError):
    status = 405
    code = "PGRST105"


class PutPrimaryKeyMismatch(KoyaError):
    status = 400
    code = "PGRST115"


# ---------------------------------------------------------------- KL1xx: SQL scripts


class SqlScriptError(KoyaError):
    """A statement of a SQL script failed; the whole script was rolled back.

    The message names where: `statement 3 (line 12): <cause>`, or `commit: <cause>`
    when only the commit failed (a deferred foreign key, for one).
    """

    status = 400
    code = "KL100"

    def __init__(
        self,
        number: int | None,
        line: int | None,
        cause: str,
        *,
        details: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = f"statement {number} (line {line})" if number is not None else "commit"
        super().__init__(f"{where}: {cause}", details=details, hint=hint)
        self.number = number
        self.line = line
        self.cause = cause


class UnsupportedSql(SqlScriptError):
    """Postgres SQL that has no SQLite counterpart: plpgsql, other schemas, enums."""

    code = "KL101"


class TableNameCollision(SqlScriptError):
    code = "KL102"

    def __init__(self, number: int, line: int, table: str) -> None:
        super().__init__(
            number,
            line,
            f"table '{table}' collides with a KoyaLite internal table; "
            "choose another name",
        )


class InternalTableAccess(SqlScriptError):
    """User SQL naming one of KoyaLite's own tables other than to read `auth.users`."""

    code = "KL103"

    def __init__(self, number: int, line: int, table: str, *, reading: bool) -> None:
        system = system_table_named(table)
        if system is not None and not reading:
            cause = (
                f"table '{system.table}' ({system.shown}) belongs to KoyaLite; "
                f"change it through {system.changed_through}"
            )
        else:
            verb = "read" if reading else "changed"
            cause = (
                f"table '{table}' is a KoyaLite internal table "
                f"and cannot be {verb} through SQL"
            )
        super().__init__(number, line, cause)
        self.table = table


class SqlTimeLimitExceeded(SqlScriptError):
    """A script ran past its time limit (the Studio's); it was rolled back."""

    code = "KL104"

    def __init__(self, number: int | None, line: int | None, limit_ms: int) -> None:
        super().__init__(
            number,
            line,
            f"took too long: stopped after {limit_ms} ms; nothing was written",
            hint="Add a WHERE or LIMIT, or raise KOYALITE_STUDIO_SQL_TIME_LIMIT_MS.",
        )
        self.limit_ms = limit_ms


# ---------------------------------------------------------------- KL11x: SQL migrations


class SqlMigrationEdited(KoyaError):
    code = "KL110"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"migration {name} was edited after it was applied (checksum mismatch); "
            "add a new migration instead"
        )
        self.name = name


class SqlMigrationFailed(KoyaError):
    """A migration file failed; it was rolled back and later files were not tried."""

    code = "KL111"

    def __init__(self, name: str, cause: str) -> None:
        super().__init__(f"migration {name}: {cause}")
        self.name = name
