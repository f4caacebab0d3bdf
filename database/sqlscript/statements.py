"""Cutting a script into statements at top-level semicolons."""

from __future__ import annotations

from dataclasses import dataclass, field

from database.sqlscript.tokens import Token, tokenize


@dataclass(frozen=True, slots=True)
class Statement:
    number: int  # 1-based position in the script
    line: int  # line of the statement's first token in the script
    text: str  # from its first token to its last, without the `;`
    # The significant tokens found while splitting, with offsets into the script
    # (where `text` starts at `offset`), so translating does not scan twice.
    tokens: tuple[Token, ...] | None = field(default=None, compare=False, repr=False)
    offset: int = field(default=0, compare=False, repr=False)


# Statements whose body may hold `;` between `begin` and `end`: SQLite triggers
# and SQL-standard function bodies (`begin atomic … end`).
_BODY_OBJECTS = frozenset({"trigger", "function", "procedure"})
CREATE_MODIFIERS = frozenset({"or", "replace", "temp", "temporary", "constraint"})


def split_statements(text: str) -> list[Statement]:
    """Cut a script into statements at top-level `;`; empty statements are dropped.

    Never raises: what cannot be scanned (an unterminated string, say) stays in
    its statement for SQLite to report.
    """
    statements: list[Statement] = []
    current: list[Token] = []
    head: list[str] = []
    has_body = False
    depth = 0
    for token in tokenize(text):
        if token.kind == "space" or token.kind == "comment":
            continue
        if token.kind == "symbol" and token.text == ";" and depth == 0:
            if current:
                statements.append(_statement(text, len(statements) + 1, current))
            current, head, has_body = [], [], False
            continue
        current.append(token)
        word = token.text.lower() if token.kind == "word" else ""
        if len(head) < 6:
            head.append(word)
            has_body = has_body or _declares_body(head)
        if has_body and word:
            if word == "begin":
                depth += 1
            elif word == "case" and depth:
                depth += 1
            elif word == "end" and depth:
                depth -= 1
    if current:
        statements.append(_statement(text, len(statements) + 1, current))
    return statements


def _statement(script: str, number: int, tokens: list[Token]) -> Statement:
    first, last = tokens[0], tokens[-1]
    statement_text = script[first.start : last.end]
    return Statement(number, first.line, statement_text, tuple(tokens), first.start)


def _declares_body(head: list[str]) -> bool:
    if head[0] != "create":
        return False
    for word in head[1:]:
        if word not in CREATE_MODIFIERS:
            return word in _BODY_OBJECTS
    return False
