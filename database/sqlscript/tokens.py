"""Tokens of Postgres-flavoured SQL, and the string literals among them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal, NamedTuple

TokenKind = Literal[
    "word", "quoted", "string", "escape_string", "dollar_string", "number",
    "param", "symbol", "comment", "space",
]  # fmt: skip

# One pattern, tried in order at each position. Unterminated strings, quoted
# names and comments run to the end of the text, so scanning never fails and
# SQLite reports what is wrong. `e'…'` only starts a token where a word could,
# so `some'…'` stays a word followed by a string.
_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>--[^\n]*)
    | (?P<block_comment>/\*)
    | (?P<string>'(?:[^']+|'')*'?)
    | (?P<quoted>"(?:[^"]+|"")*"?)
    | (?P<escape_string>[eE]'(?:[^'\\]+|''|\\.)*'?)
    | (?P<prefixed_string>[xXbBnN]'(?:[^']+|'')*'?)
    | (?P<param>\$[0-9]+)
    | (?P<dollar_tag>\$(?:[^\W\d]\w*)?\$)
    | (?P<number>0[xX][0-9a-fA-F_]+
        |(?:[0-9][0-9_]*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    | (?P<word>[^\W\d][\w$]*)
    | (?P<symbol>->>|\#>>|::|->|\#>|<=|>=|<>|!=|\|\||@>|<@|.)
    """,
    re.VERBOSE | re.DOTALL,
)
_DOLLAR_TAG = re.compile(r"\$(?:[^\W\d]\w*)?\$")
_CLOSED_PLAIN_STRING = re.compile(r"[xXbBnN]?'(?:[^']|'')*'")
_CLOSED_ESCAPE_STRING = re.compile(r"[eE]'(?:[^'\\]|''|\\.)*'", re.DOTALL)
_COMMENT_MARK = re.compile(r"/\*|\*/")


class Token(NamedTuple):
    """One token; a named tuple because seed scripts hold millions of them."""

    kind: TokenKind
    text: str
    start: int  # offset in the scanned text
    line: int  # 1-based line of the token's first character

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def is_significant(self) -> bool:
        return self.kind != "space" and self.kind != "comment"


def tokenize(text: str) -> Iterator[Token]:
    """Yield every token of `text`, comments and whitespace included; never raise."""
    position, line, length = 0, 1, len(text)
    match = _TOKEN.match
    while position < length:
        found = match(text, position)
        assert found is not None  # the last alternative matches any character
        kind, end = found.lastgroup, found.end()
        if kind == "block_comment":
            kind, end = "comment", _block_comment_end(text, position)
        elif kind == "dollar_tag":
            tag = found.group()
            close = text.find(tag, end)
            kind, end = "dollar_string", length if close < 0 else close + len(tag)
        elif kind == "prefixed_string":
            kind = "string"
        yield Token(kind, text[position:end], position, line)  # type: ignore[arg-type]
        line += text.count("\n", position, end)
        position = end


def _block_comment_end(text: str, start: int) -> int:
    """Postgres block comments nest: `/* a /* b */ still a comment */`."""
    depth, position = 0, start
    while match := _COMMENT_MARK.search(text, position):
        depth += 1 if match.group() == "/*" else -1
        position = match.end()
        if depth == 0:
            return position
    return len(text)


def match_brackets(tokens: list[Token]) -> list[int]:
    """For each `(`/`[` and `)`/`]`, the index of its partner; -1 elsewhere."""
    partner = [-1] * len(tokens)
    stack: list[int] = []
    closers = {")": "(", "]": "["}
    for i, token in enumerate(tokens):
        if token.kind != "symbol":
            continue
        if token.text in ("(", "["):
            stack.append(i)
        elif token.text in closers:
            if stack and tokens[stack[-1]].text == closers[token.text]:
                opening = stack.pop()
                partner[opening], partner[i] = i, opening
            else:
                # A stray closer: forget open brackets, nothing before it matches.
                stack.clear()
    return partner


def is_word_char(char: str) -> bool:
    return bool(char) and (char.isalnum() or char in "_$\"'")


# ---------------------------------------------------------------- literals

_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_ESCAPE = re.compile(
    r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))|''",
    re.DOTALL,
)


def string_value(token: Token) -> str | None:
    """The value of a complete string literal, or None for anything else."""
    text = token.text
    if token.kind == "string" and _CLOSED_PLAIN_STRING.fullmatch(text):
        body = text[text.index("'") + 1 : -1]
        return body.replace("''", "'") if text[0] == "'" else None
    if token.kind == "escape_string" and _CLOSED_ESCAPE_STRING.fullmatch(text):
        return _ESCAPE.sub(_unescape, text[2:-1])
    if token.kind == "dollar_string":
        match = _DOLLAR_TAG.match(text)
        if match is not None:
            tag = match.group()
            if len(text) >= 2 * len(tag) and text.endswith(tag):
                return text[len(tag) : -len(tag)]
    return None


def _unescape(match: re.Match[str]) -> str:
    if match.group() == "''":
        return "'"
    octal, hex_byte, short, long, other = match.groups()
    if other is not None:
        return _SIMPLE_ESCAPES.get(other, other)
    code = int(octal, 8) if octal else int(hex_byte or short or long, 16)
    # A surrogate or out-of-range code point cannot reach SQLite as UTF-8.
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return match.group()
    return chr(code)


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
