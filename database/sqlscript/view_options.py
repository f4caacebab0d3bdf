"""View options: `with (security_invoker = …)` and `alter view … set|reset (…)`.

SQLite has no view options; the one that matters, `security_invoker`, is kept
as `SECURITY_INVOKER_MARK`, a comment in the view's `CREATE VIEW` just before
its `AS` (SQLite stores that text from the view's name on, comments kept).
The schema cache reads it back with `is_security_invoker`; `alter view` drops
and re-creates the view with `with_security_invoker`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from database.sqlscript.checks import StatementChecks
from database.sqlscript.cursor import Name
from database.sqlscript.tokens import string_value, tokenize
from database.sqlscript.vocabulary import STRING_KINDS

SECURITY_INVOKER_MARK = "/* koyalite: security_invoker */"

# Options Postgres accepts on a view. security_barrier only decides which
# functions Postgres may push into a view; policies here are inlined whole.
_BOOLEAN_OPTIONS = frozenset({"security_invoker", "security_barrier"})


@dataclass(frozen=True, slots=True)
class ViewSecurity:
    """`alter view [if exists] v set|reset (…)`; None: security_invoker unchanged."""

    view: str
    security_invoker: bool | None
    if_exists: bool = False


# ---------------------------------------------------------------- stored views


def _head_end(definition: str) -> int:
    """Offset of the `AS` after `CREATE VIEW name [(columns)]`, or -1."""
    depth = 0
    for token in tokenize(definition):
        if token.kind == "symbol":
            depth += (token.text == "(") - (token.text == ")")
        elif token.kind == "word" and depth == 0 and token.text.lower() == "as":
            return token.start
    return -1


def query_start(definition: str) -> int:
    """Offset of a stored view's query (after its `AS`), or -1."""
    head_end = _head_end(definition)
    return head_end + 2 if head_end >= 0 else -1


def _marks(head: str) -> Iterator[tuple[int, int]]:
    for token in tokenize(head):
        if token.kind == "comment" and token.text == SECURITY_INVOKER_MARK:
            yield token.start, token.end


def is_security_invoker(definition: str) -> bool:
    """Whether a stored `CREATE VIEW` carries the security_invoker mark."""
    head_end = _head_end(definition)
    return head_end > 0 and any(True for _ in _marks(definition[:head_end]))


def with_security_invoker(definition: str, enabled: bool) -> str:
    """A stored `CREATE VIEW` with the mark set or removed."""
    head_end = _head_end(definition)
    head = definition[:head_end]
    for start, end in reversed(list(_marks(head))):
        head = head[:start] + head[end:]
    head = head.rstrip()
    last = list(tokenize(head))[-1:]
    # A `--` comment runs to the end of its line: the mark must not join it.
    head += "\n" if last and last[0].text.startswith("--") else " "
    if enabled:
        head += SECURITY_INVOKER_MARK + " "
    return head + definition[head_end:]


def parse_bool(text: str) -> bool | None:
    """A boolean option's value as Postgres' `parse_bool` reads it; None: invalid."""
    value = text.strip().lower()
    if value in ("on", "1"):
        return True
    if value in ("of", "off", "0"):
        return False
    for word, result in (
        ("true", True),
        ("false", False),
        ("yes", True),
        ("no", False),
    ):
        if value and word.startswith(value):
            return result
    return None


# ---------------------------------------------------------------- statements


class ViewOptionRewrites(StatementChecks):
    """`create view … with (…)` and `alter view … set|reset (…)`."""

    # The view a `create view … with (security_invoker)` creates.
    invoker_view: str | None = None

    def rewrite_view_options(self, name: Name) -> None:
        """Replace `with (options)` after a created view's name by the mark."""
        k = name.end
        if self.symbol(k) == "(":
            k = self.group_end(k)
        if self.word(k) != "with" or self.symbol(k + 1) != "(":
            return
        end = self.group_end(k + 1)
        if end < 0:
            return
        options = self.view_options(k + 1, reset=False)
        invoker = options.get("security_invoker") is True
        self.replace(k, end, SECURITY_INVOKER_MARK if invoker else "")
        if invoker:
            self.invoker_view = self.resolve(name)

    def alter_view(self) -> ViewSecurity:
        """What `alter view [if exists] v set|reset (…)` changes."""
        k = 2
        if_exists = self.is_words(k, "if", "exists")
        if if_exists:
            k += 2
        name = self.qualified(k)
        if name is None:
            self.fail("alter view needs the view's name")
        view = self.check_table(name, "write")
        action = self.word(name.end)
        opening = name.end + 1
        if action not in ("set", "reset") or self.symbol(opening) != "(":
            self.fail(
                f"alter view … {action or name.name} is not supported",
                hint="Only set (…) and reset (…) of view options are; "
                "drop the view and create it again for other changes.",
            )
        if self.group_end(opening) != len(self.tokens):
            self.fail("alter view sets or resets one list of options")
        options = self.view_options(opening, reset=action == "reset")
        if "security_invoker" not in options:
            return ViewSecurity(view, None, if_exists)
        enabled = action == "set" and options["security_invoker"] is True
        return ViewSecurity(view, enabled, if_exists)

    def view_options(self, opening: int, reset: bool) -> dict[str, bool | None]:
        """Parse `(name [= value], …)`; values are None under `reset`."""
        closing = self.group_end(opening) - 1
        options: dict[str, bool | None] = {}
        start = opening + 1
        for k in range(opening + 1, closing + 1):
            if self.symbol(k) != "," and k != closing:
                continue
            if start == k:
                self.fail("a view option is missing its name")
            name = (self.name(start) or self.tokens[start].text).lower()
            options[name] = self.view_option(name, start + 1, k, reset)
            start = k + 1
        return options

    def view_option(self, name: str, start: int, end: int, reset: bool) -> bool | None:
        if name == "check_option":
            self.fail(
                "check_option is not supported: SQLite views are not "
                "automatically updatable"
            )
        if name not in _BOOLEAN_OPTIONS:
            self.fail(f'unrecognized parameter "{name}"')
        if start == end:
            return None if reset else True
        if reset:
            self.fail("RESET must not include values for parameters")
        if self.symbol(start) != "=" or end != start + 2:
            self.fail(f'view option "{name}" takes one value: {name} = true')
        token = self.tokens[start + 1]
        text = string_value(token) if token.kind in STRING_KINDS else token.text
        value = parse_bool(text or "")
        if value is None:
            self.fail(f'invalid value for boolean option "{name}": {token.text}')
        return value
