"""The statement wrappers of row-level security in SQL text.

Recognises `create policy`, `drop policy`, `alter policy` and `alter table ...
enable|disable|[no] force row level security` as Postgres writes them. Only the
wrapper is parsed here: the expressions inside `using (...)` and `with check
(...)` are cut out at their balanced parentheses (quotes, dollar quotes and
comments respected) and kept as text for `rls.expr`. Any other statement is
not this module's business: `parse_policy_statement` returns None for it so the
SQL runner can hand it to SQLite.
"""

from __future__ import annotations

import re

from rls.errors import PolicySyntaxError
from rls.types import (
    AlterPolicy,
    AlterTableSecurity,
    Command,
    CreatePolicy,
    DropPolicy,
    PolicyStatement,
    SecurityAction,
)

_WORD = re.compile(r"[^\W\d][\w$]*")
_DOLLAR_TAG = re.compile(r"\$(?:[^\W\d]\w*)?\$")
_COMMANDS: dict[str, Command] = {
    "all": "all",
    "select": "select",
    "insert": "insert",
    "update": "update",
    "delete": "delete",
}


class _Scanner:
    """A cursor over the statement text that skips whitespace and comments."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    # ------------------------------------------------------------ low level

    def skip_space(self) -> None:
        text = self.text
        while self.pos < len(text):
            if text[self.pos].isspace():
                self.pos += 1
            elif text.startswith("--", self.pos):
                end = text.find("\n", self.pos)
                self.pos = len(text) if end < 0 else end + 1
            elif text.startswith("/*", self.pos):
                self.pos = self._comment_end(self.pos)
            else:
                return

    def _comment_end(self, start: int) -> int:
        """Return the index after the block comment at `start` (they nest)."""
        depth = 0
        pos = start
        text = self.text
        while pos < len(text):
            if text.startswith("/*", pos):
                depth += 1
                pos += 2
            elif text.startswith("*/", pos):
                depth -= 1
                pos += 2
                if depth == 0:
                    return pos
            else:
                pos += 1
        raise PolicySyntaxError("unterminated /* comment")

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    def _next_token(self) -> str:
        """The text of the next token, for error messages."""
        self.skip_space()
        text = self.text
        if self.pos >= len(text):
            return ""
        match = _WORD.match(text, self.pos)
        if match:
            return match.group()
        if text[self.pos] == '"':
            end = text.find('"', self.pos + 1)
            return text[self.pos : end + 1] if end > 0 else text[self.pos :]
        return text[self.pos]

    def error(self) -> PolicySyntaxError:
        token = self._next_token()
        if not token:
            return PolicySyntaxError("syntax error at end of input")
        return PolicySyntaxError(f'syntax error at or near "{token}"')

    # ------------------------------------------------------------ tokens

    def peek_word(self) -> str | None:
        """Return the next bare word, lowercased, without consuming it."""
        self.skip_space()
        match = _WORD.match(self.text, self.pos)
        return match.group().lower() if match else None

    def accept(self, *words: str) -> bool:
        """Consume `words` (bare, case-insensitive) if they come next."""
        start = self.pos
        for word in words:
            self.skip_space()
            match = _WORD.match(self.text, self.pos)
            if not match or match.group().lower() != word:
                self.pos = start
                return False
            self.pos = match.end()
        return True

    def expect(self, *words: str) -> None:
        for word in words:
            if not self.accept(word):
                raise self.error()

    def accept_char(self, char: str) -> bool:
        self.skip_space()
        if self.text.startswith(char, self.pos):
            self.pos += len(char)
            return True
        return False

    def identifier(self) -> str:
        """Read a name: a quoted one as written, a bare one lowercased."""
        self.skip_space()
        text = self.text
        if text.startswith('"', self.pos):
            parts: list[str] = []
            pos = self.pos + 1
            while True:
                end = text.find('"', pos)
                if end < 0:
                    raise PolicySyntaxError(
                        f"unterminated quoted identifier at or near "
                        f'"{text[self.pos : self.pos + 40]}"'
                    )
                parts.append(text[pos:end])
                if text.startswith('""', end):
                    parts.append('"')
                    pos = end + 2
                    continue
                self.pos = end + 1
                break
            name = "".join(parts)
            if not name:
                raise PolicySyntaxError(
                    'zero-length delimited identifier at or near """"'
                )
            if "\x00" in name:
                raise PolicySyntaxError("identifiers may not contain NUL characters")
            return name
        match = _WORD.match(text, self.pos)
        if not match:
            raise self.error()
        self.pos = match.end()
        return match.group().lower()

    def qualified_name(self) -> tuple[str, str]:
        """Read `[schema.]name`; return (schema, name), schema "public" by default."""
        first = self.identifier()
        if self.accept_char("."):
            second = self.identifier()
            if self.accept_char("."):
                raise PolicySyntaxError(
                    "cross-database references are not implemented: "
                    f'"{first}.{second}.{self.identifier()}"'
                )
            return first, second
        return "public", first

    def parenthesized(self) -> str:
        """Read `( expression )`; return the expression text, stripped.

        Parentheses inside string literals, quoted identifiers, dollar-quoted
        strings and comments do not count.
        """
        if not self.accept_char("("):
            raise self.error()
        text = self.text
        start = pos = self.pos
        depth = 1
        while pos < len(text):
            char = text[pos]
            if char == "'":
                pos = self._string_end(pos)
                continue
            if char == '"':
                end = text.find('"', pos + 1)
                if end < 0:
                    raise PolicySyntaxError(
                        "unterminated quoted identifier at or near "
                        f'"{text[pos : pos + 40]}"'
                    )
                pos = end + 1
                continue
            if char == "$" and (pos == 0 or not _is_word_char(text[pos - 1])):
                tag = _DOLLAR_TAG.match(text, pos)
                if tag:
                    end = text.find(tag.group(), tag.end())
                    if end < 0:
                        raise PolicySyntaxError(
                            "unterminated dollar-quoted string at or near "
                            f'"{text[pos : pos + 40]}"'
                        )
                    pos = end + len(tag.group())
                    continue
            if text.startswith("--", pos):
                end = text.find("\n", pos)
                pos = len(text) if end < 0 else end + 1
                continue
            if text.startswith("/*", pos):
                pos = self._comment_end(pos)
                continue
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    expression = text[start:pos].strip()
                    self.pos = pos + 1
                    if not expression:
                        raise PolicySyntaxError('syntax error at or near ")"')
                    return expression
            pos += 1
        raise PolicySyntaxError("syntax error at end of input")

    def _string_end(self, start: int) -> int:
        """Return the index after the string literal opening at `start`."""
        text = self.text
        # E'...' strings take backslash escapes; plain strings only double quotes.
        escapes = (
            start > 0
            and text[start - 1] in "eE"
            and (start < 2 or not _is_word_char(text[start - 2]))
        )
        pos = start + 1
        while pos < len(text):
            char = text[pos]
            if escapes and char == "\\":
                pos += 2
                continue
            if char == "'":
                if text.startswith("''", pos):
                    pos += 2
                    continue
                return pos + 1
            pos += 1
        raise PolicySyntaxError(
            f'unterminated quoted string at or near "{text[start : start + 40]}"'
        )

    def finish(self) -> None:
        """Allow one trailing semicolon, then nothing but whitespace and comments."""
        self.accept_char(";")
        if not self.at_end():
            raise self.error()


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in "_$"


def parse_policy_statement(text: str) -> PolicyStatement | None:
    """Parse a row-level security statement; None when `text` is another statement.

    Raises `PolicySyntaxError` for a statement that is recognisably one of these
    (`create policy`, `drop policy`, `alter policy`, `alter table ... enable row
    level security` and friends) but malformed.
    """
    scanner = _Scanner(text)
    try:
        scanner.skip_space()
    except PolicySyntaxError:
        return None  # an unterminated comment: SQLite reports it
    if scanner.accept("create", "policy"):
        return _create_policy(scanner)
    if scanner.accept("drop", "policy"):
        return _drop_policy(scanner)
    if scanner.accept("alter", "policy"):
        return _alter_policy(scanner)
    if scanner.accept("alter", "table"):
        return _alter_table(scanner)
    return None


def _roles(scanner: _Scanner) -> tuple[str, ...]:
    roles = [scanner.identifier()]
    while scanner.accept_char(","):
        roles.append(scanner.identifier())
    return tuple(dict.fromkeys(roles))  # drop repeats, keep order


def _create_policy(scanner: _Scanner) -> CreatePolicy:
    name = scanner.identifier()
    scanner.expect("on")
    schema, table = scanner.qualified_name()
    permissive = True
    if scanner.accept("as"):
        option = scanner.identifier()
        if option not in ("permissive", "restrictive"):
            raise PolicySyntaxError(
                f'unrecognized row security option "{option}"',
                hint="Only PERMISSIVE or RESTRICTIVE policies are supported currently.",
            )
        permissive = option == "permissive"
    command: Command = "all"
    if scanner.accept("for"):
        word = scanner.peek_word()
        if word not in _COMMANDS:
            raise scanner.error()
        scanner.expect(word)
        command = _COMMANDS[word]
    roles: tuple[str, ...] = ("public",)
    if scanner.accept("to"):
        roles = _roles(scanner)
    using = scanner.parenthesized() if scanner.accept("using") else None
    check = scanner.parenthesized() if scanner.accept("with", "check") else None
    scanner.finish()
    return CreatePolicy(
        name=name,
        table=table,
        schema=schema,
        permissive=permissive,
        command=command,
        roles=roles,
        using=using,
        check=check,
    )


def _drop_policy(scanner: _Scanner) -> DropPolicy:
    if_exists = scanner.accept("if", "exists")
    name = scanner.identifier()
    scanner.expect("on")
    schema, table = scanner.qualified_name()
    # Postgres accepts CASCADE/RESTRICT here; nothing depends on a policy.
    if not scanner.accept("cascade"):
        scanner.accept("restrict")
    scanner.finish()
    return DropPolicy(name=name, table=table, schema=schema, if_exists=if_exists)


def _alter_policy(scanner: _Scanner) -> AlterPolicy:
    name = scanner.identifier()
    scanner.expect("on")
    schema, table = scanner.qualified_name()
    if scanner.accept("rename"):
        scanner.expect("to")
        new_name = scanner.identifier()
        scanner.finish()
        return AlterPolicy(name=name, table=table, schema=schema, rename_to=new_name)
    roles = _roles(scanner) if scanner.accept("to") else None
    using = scanner.parenthesized() if scanner.accept("using") else None
    check = scanner.parenthesized() if scanner.accept("with", "check") else None
    scanner.finish()
    return AlterPolicy(
        name=name, table=table, schema=schema, roles=roles, using=using, check=check
    )


def _alter_table(scanner: _Scanner) -> AlterTableSecurity | None:
    # Until the action word is seen this may be any ALTER TABLE that SQLite
    # understands (rename, add/drop/rename column): leave those alone.
    try:
        if_exists = scanner.accept("if", "exists")
        scanner.accept("only")
        schema, table = scanner.qualified_name()
    except PolicySyntaxError:
        return None
    scanner.accept_char("*")
    action: SecurityAction
    if scanner.accept("enable"):
        action = "enable"
    elif scanner.accept("disable"):
        action = "disable"
    elif scanner.accept("force"):
        action = "force"
    elif scanner.accept("no", "force"):
        action = "no_force"
    else:
        return None
    # SQLite has no ENABLE/DISABLE/FORCE actions, so from here the statement is
    # this module's to accept or reject.
    scanner.expect("row", "level", "security")
    scanner.finish()
    return AlterTableSecurity(
        table=table, action=action, schema=schema, if_exists=if_exists
    )
