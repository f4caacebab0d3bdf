"""Operator SQL for the Studio: run through `database.runner.run_sql` (the path
`koyalite sql` takes) with a time limit, shape the last result for the browser,
place an error at line:column, and keep each run in the operator's history."""

from __future__ import annotations

import datetime
import decimal
import math
import time
from dataclasses import dataclass, field

from django.conf import settings

from database.errors import SqlScriptError
from database.runner import StatementResult, run_sql
from database.sqlscript import split_statements
from koyalite.errors import KoyaError
from studio.models import Operator, SqlRun


@dataclass(frozen=True, slots=True)
class ErrorPosition:
    """Where the failing statement starts and ends; offsets count UTF-16 code
    units, as the editor (JavaScript strings) does."""

    line: int
    column: int
    start: int
    end: int


@dataclass(slots=True)
class SqlOutcome:
    duration_ms: int
    columns: list[str] = field(default_factory=list)
    rows: list[list[object]] = field(default_factory=list)
    row_count: int = 0
    truncated: bool = False
    statuses: list[str] = field(default_factory=list)
    error: dict | None = None

    def as_json(self) -> dict:
        if self.error is not None:
            return {"error": self.error, "duration_ms": self.duration_ms}
        return {
            "columns": self.columns,
            "rows": self.rows,
            "row_count": self.row_count,
            "truncated": self.truncated,
            "statuses": self.statuses,
            "duration_ms": self.duration_ms,
        }


def run_operator_sql(
    operator: Operator, text: str, *, explain: bool = False
) -> SqlOutcome:
    """Run `text` as the service role, all or nothing, within the time limit;
    record the run in the operator's history whatever its outcome."""
    started = time.monotonic()
    script = text
    if explain:
        statements = split_statements(text)
        if len(statements) != 1:
            outcome = SqlOutcome(
                0,
                error=_plain_error(
                    "EXPLAIN QUERY PLAN takes one statement; select the one to explain."
                ),
            )
            _record(operator, text, explain, outcome)
            return outcome
        script = "explain query plan " + statements[0].text
    try:
        results = run_sql(script, time_limit_ms=settings.STUDIO_SQL_TIME_LIMIT_MS)
    except SqlScriptError as error:
        outcome = SqlOutcome(
            _elapsed(started), error=_script_error(text, error, explain)
        )
    except KoyaError as error:
        outcome = SqlOutcome(_elapsed(started), error=_plain_error(error.message))
    else:
        outcome = _shape(results, _elapsed(started))
    _record(operator, text, explain, outcome)
    return outcome


def _shape(results: list[StatementResult], duration_ms: int) -> SqlOutcome:
    """The last statement that returned rows is the result shown, as psql and
    `koyalite sql` show each; statuses list every statement."""
    outcome = SqlOutcome(duration_ms, statuses=[r.status for r in results])
    shown = next((r for r in reversed(results) if r.columns), None)
    if shown is None:
        return outcome
    cap = settings.STUDIO_SQL_MAX_ROWS
    outcome.columns = list(shown.columns)
    outcome.row_count = len(shown.rows)
    outcome.truncated = len(shown.rows) > cap
    outcome.rows = [[_json_value(v) for v in row] for row in shown.rows[:cap]]
    return outcome


def _json_value(value: object) -> object:
    """A cell as JSON: bytes as Postgres' `\\x` hex, dates ISO, decimals text."""
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _script_error(text: str, error: SqlScriptError, explain: bool) -> dict:
    """The runner's message with the failing statement's line:column in `text`."""
    payload: dict = {"message": error.message, "code": error.code}
    if error.hint:
        payload["hint"] = error.hint
    if error.number is None:
        return payload
    statements = split_statements(text)
    index = 0 if explain else error.number - 1
    if not 0 <= index < len(statements):
        return payload
    statement = statements[index]
    position = error_position(
        text, statement.offset, statement.offset + len(statement.text)
    )
    payload.update(
        line=position.line,
        column=position.column,
        start=position.start,
        end=position.end,
        statement=error.number,
    )
    return payload


def error_position(text: str, start: int, end: int) -> ErrorPosition:
    """1-based line and column of `start` in `text`, and [start, end) in UTF-16."""
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return ErrorPosition(line, column, _utf16(text[:start]), _utf16(text[:end]))


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _plain_error(message: str) -> dict:
    return {"message": message}


def _elapsed(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _record(operator: Operator, text: str, explain: bool, outcome: SqlOutcome) -> None:
    SqlRun.objects.create(
        operator=operator,
        sql=text,
        explain=explain,
        duration_ms=outcome.duration_ms,
        row_count=None if outcome.error else outcome.row_count,
        error=(outcome.error or {}).get("message", ""),
    )
