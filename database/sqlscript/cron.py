"""`select cron.schedule(…)`, `cron.unschedule(…)`, `cron.alter_job(…)`:
pg_cron's functions, read from a statement for the runner to call.

Only the whole-statement form is taken, `select cron.<function>(<arguments>)`,
with literal arguments (strings, dollar-quoted bodies, numbers, true, false,
null, optionally cast: `'x'::text`), positional or named (`job_id := 3`,
`active => false`); a job's SQL body is a string, never run here.
"""

from __future__ import annotations

from dataclasses import dataclass

from database.sqlscript.checks import StatementChecks
from database.sqlscript.tokens import string_value

FUNCTIONS = ("schedule", "unschedule", "alter_job")
Value = str | int | bool | None


@dataclass(frozen=True, slots=True)
class CronCall:
    function: str  # "schedule", "unschedule", "alter_job"
    arguments: tuple[Value, ...] = ()
    named: tuple[tuple[str, Value], ...] = ()


class CronCalls(StatementChecks):
    def cron_call(self) -> CronCall | None:
        """The pg_cron call this statement is, or None for other statements."""
        if not (
            self.word(0) == "select"
            and (self.name(1) or "").lower() == "cron"
            and self.symbol(2) == "."
        ):
            return None
        function = (self.name(3) or "").lower()
        if function not in FUNCTIONS:
            shown = ", ".join(f"cron.{name}" for name in FUNCTIONS)
            self.fail(
                f"function cron.{self.name(3) or '?'} is not supported; "
                f"the cron functions are {shown}"
            )
        end = self.group_end(4) if self.symbol(4) == "(" else -1
        if end < 0:
            self.fail(f"cron.{function} needs its arguments in parentheses")
        if end != len(self.tokens):
            self.fail(
                f"select cron.{function}(…) must be the whole statement",
                hint="Call it on its own: select cron.schedule('name', "
                "'*/5 * * * *', $$ … $$);",
            )
        positional: list[Value] = []
        named: list[tuple[str, Value]] = []
        for start, stop in self._arguments(5, end - 1):
            label = self._label(start, stop)
            if label is not None:
                named.append((label, self._value(function, start + 3, stop)))
            elif named:
                self.fail(f"cron.{function}: a positional argument follows a named one")
            else:
                positional.append(self._value(function, start, stop))
        return CronCall(function, tuple(positional), tuple(named))

    def _arguments(self, start: int, end: int) -> list[tuple[int, int]]:
        """Token ranges of the arguments between `start` and `end` (the `)`)."""
        ranges, first = [], start
        k = start
        while k < end:
            if self.symbol(k) in ("(", "["):
                k = self.group_end(k)
                continue
            if self.symbol(k) == ",":
                ranges.append((first, k))
                first = k + 1
            k += 1
        if first < end or ranges:
            ranges.append((first, end))
        return ranges

    def _label(self, start: int, stop: int) -> str | None:
        """`name := value` or `name => value`: the name."""
        if stop - start >= 4 and self.word(start) is not None:
            arrow = (self.symbol(start + 1), self.symbol(start + 2))
            if arrow in ((":", "="), ("=", ">")):
                return self.word(start)
        return None

    def _value(self, function: str, start: int, stop: int) -> Value:
        # A cast of a literal changes nothing here: `'5'::bigint`.
        if stop - start >= 3 and self.symbol(start + 1) == "::":
            stop = start + 1
        if (
            stop - start == 2
            and self.symbol(start) == "-"
            and self.kind(start + 1) == "number"
        ):
            text = self.tokens[start + 1].text
            if text.isdigit():
                return -int(text)
        if stop - start == 1:
            token = self.tokens[start]
            text = string_value(token)
            if text is not None:
                return text
            if token.kind == "number" and token.text.isdigit():
                return int(token.text)
            word = self.word(start)
            if word in ("true", "false"):
                return word == "true"
            if word == "null":
                return None
        shown = (
            self.text[
                self.tokens[start].start - self.offset : self.tokens[stop - 1].end
                - self.offset
            ]
            if start < stop
            else ""
        )
        self.fail(
            f"cron.{function} takes literal arguments; {shown or 'an empty argument'!s} "
            "is not one",
            hint="Quote the command: $$ delete from t where … $$.",
        )
