"""Reading one parameter's text: names, quoted strings, JSON paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NoReturn

from api.rest.errors import InvalidQuery
from api.rest.parse.limits import JSON_INDEX, MAX_CONDITIONS, SPACE
from database.types import FieldRef, JsonStep


def excerpt(text: str, limit: int = 120) -> str:
    """Cut user text echoed in a message, so a huge parameter is not sent back."""
    return text if len(text) <= limit else text[:limit] + "…"


def is_name_char(char: str) -> bool:
    # PostgREST's identifier: letters, digits, "_", "$" and spaces (stripped).
    return char.isalnum() or char in "_ $"


def _is_json_key_char(char: str) -> bool:
    return char not in "(-:.,>)"


class Cursor:
    """A position in one parameter's text; `fail` names the parameter."""

    __slots__ = ("text", "pos", "context")

    def __init__(self, text: str, context: str) -> None:
        self.text = text
        self.pos = 0
        self.context = context

    def peek(self, size: int = 1) -> str:
        return self.text[self.pos : self.pos + size]

    def startswith(self, prefix: str) -> bool:
        return self.text.startswith(prefix, self.pos)

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def eat(self, prefix: str) -> bool:
        if self.text.startswith(prefix, self.pos):
            self.pos += len(prefix)
            return True
        return False

    def expect(self, prefix: str) -> None:
        if not self.eat(prefix):
            self.fail(f"expected '{prefix}', found {self.found()}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in SPACE:
            self.pos += 1

    def take_while(self, predicate: Callable[[str], bool]) -> str:
        start = self.pos
        while self.pos < len(self.text) and predicate(self.text[self.pos]):
            self.pos += 1
        return self.text[start : self.pos]

    def rest(self) -> str:
        value, self.pos = self.text[self.pos :], len(self.text)
        return value

    def found(self) -> str:
        if self.at_end():
            return "end of input"
        return f"'{self.text[self.pos]}' at position {self.pos}"

    def fail(self, reason: str) -> NoReturn:
        # The reason may quote a name; an absurd one must not bloat the response.
        raise InvalidQuery(f"{self.context}: {excerpt(reason, 300)}")


class Budget:
    """Counts filters and logic nodes across a whole request."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_CONDITIONS

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise InvalidQuery(
                f"too many filters: at most {MAX_CONDITIONS} filters and and/or "
                "terms are allowed per request"
            )


def read_quoted(text: str, pos: int) -> tuple[str, int] | None:
    """`"..."` at `pos` with backslash escapes: (value, end) or None if unclosed."""
    chars: list[str] = []
    index = pos + 1
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            chars.append(text[index + 1])
            index += 2
        elif char == '"':
            return "".join(chars), index + 1
        else:
            chars.append(char)
            index += 1
    return None


def _dashed(cur: Cursor, is_char: Callable[[str], bool]) -> str:
    """Runs of `is_char` joined by single dashes; a dash before `>` is an arrow."""
    parts = [cur.take_while(is_char)]
    while (
        parts[-1]
        and cur.peek() == "-"
        and cur.peek(2) != "->"
        and cur.pos + 1 < len(cur.text)
        and is_char(cur.text[cur.pos + 1])
    ):
        cur.pos += 1
        parts.append(cur.take_while(is_char))
    return "-".join(parts).strip()


def read_name(cur: Cursor) -> tuple[str, bool]:
    """A field, relation or alias name; returns (name, was_quoted)."""
    cur.skip_space()
    if cur.peek() == '"':
        quoted = read_quoted(cur.text, cur.pos)
        if quoted is None:
            cur.fail(f"unclosed '\"' at position {cur.pos}")
        name, cur.pos = quoted
        return name, True
    name = _dashed(cur, is_name_char)
    if not name:
        cur.fail(f"expected a name, found {cur.found()}")
    return name, False


def read_json_path(cur: Cursor) -> tuple[JsonStep, ...]:
    steps: list[JsonStep] = []
    while True:
        arrow: Literal["->", "->>"]
        if cur.eat("->>"):
            arrow = "->>"
        elif cur.eat("->"):
            arrow = "->"
        else:
            return tuple(steps)
        key: str | int
        index = JSON_INDEX.match(cur.text, cur.pos)
        # A longer digit run stays a key: no JSON array is that long.
        if index and len(index.group()) <= 10:
            key, cur.pos = int(index.group()), index.end()
        elif cur.peek() == '"':
            key, _ = read_name(cur)
        else:
            key = _dashed(cur, _is_json_key_char)
            if not key:
                cur.fail(f"expected a JSON key after '{arrow}', found {cur.found()}")
        steps.append(JsonStep(arrow, key))


def read_field(cur: Cursor) -> FieldRef:
    column, _ = read_name(cur)
    field = FieldRef(column, read_json_path(cur))
    cur.skip_space()
    return field


def read_names(text: str, parameter: str) -> tuple[str, ...]:
    """`a,"b c",d` as used by `columns` and `on_conflict`."""
    cur = Cursor(text, f"failed to parse {parameter} parameter ({excerpt(text)})")
    names = [read_name(cur)[0]]
    cur.skip_space()
    while cur.eat(","):
        names.append(read_name(cur)[0])
        cur.skip_space()
    if not cur.at_end():
        cur.fail(f"unexpected {cur.found()}")
    return tuple(names)


def tree_path(key: str) -> tuple[list[str], tuple[JsonStep, ...], bool]:
    """A parameter name `a.b.col->x`: (names, json path, last name was quoted)."""
    cur = Cursor(key, f"failed to parse tree path ({excerpt(key)})")
    name, quoted = read_name(cur)
    names = [name]
    while cur.eat("."):
        name, quoted = read_name(cur)
        names.append(name)
    json_path = read_json_path(cur)
    cur.skip_space()
    if not cur.at_end():
        cur.fail(f"unexpected {cur.found()}")
    return names, json_path, quoted
