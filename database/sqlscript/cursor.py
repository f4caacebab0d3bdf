"""Reading and editing one statement's tokens by index."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from database.errors import UnsupportedSql
from database.sqlscript.statements import Statement
from database.sqlscript.tokens import TokenKind, is_word_char, match_brackets, tokenize


@dataclass(frozen=True, slots=True)
class Name:
    """A possibly schema-qualified name spanning tokens [start, end)."""

    schema: str | None
    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class CastType:
    text: str  # as declared: "character varying(20)[]"
    end: int  # token index after the type


class TokenCursor:
    """One statement's significant tokens, read by index and edited by
    replacing token ranges; `output()` applies the edits."""

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self.text = statement.text
        if statement.tokens is not None:
            self.tokens = list(statement.tokens)
            self.offset = statement.offset
        else:
            self.tokens = [t for t in tokenize(statement.text) if t.is_significant]
            self.offset = 0
        self.partner = match_brackets(self.tokens)
        self.claimed = [False] * len(self.tokens)
        self.replacements: dict[int, tuple[int, str]] = {}
        # Text inserted before a token: the `(CAST(` opening a `::` cast.
        self.prefixes: dict[int, list[str]] = {}
        # Where the operand of a rewritten expression ending at a token starts,
        # so that `x::text::int` nests both casts around `x`.
        self.operand_starts: dict[int, int] = {}
        self.dropped: list[str] = []
        self.renamed: list[tuple[str, str]] = []

    # ------------------------------------------------------------ reading tokens

    def word(self, i: int) -> str | None:
        if 0 <= i < len(self.tokens) and self.tokens[i].kind == "word":
            return self.tokens[i].text.lower()
        return None

    def symbol(self, i: int) -> str | None:
        if 0 <= i < len(self.tokens) and self.tokens[i].kind == "symbol":
            return self.tokens[i].text
        return None

    def kind(self, i: int) -> TokenKind | None:
        return self.tokens[i].kind if 0 <= i < len(self.tokens) else None

    def name(self, i: int) -> str | None:
        """The identifier at `i`, unquoted; None when the token is not one."""
        if not 0 <= i < len(self.tokens):
            return None
        token = self.tokens[i]
        if token.kind == "word":
            return token.text
        if token.kind == "quoted" and len(token.text) >= 2 and token.text[-1] == '"':
            return token.text[1:-1].replace('""', '"')
        return None

    def is_words(self, i: int, *words: str) -> bool:
        return all(self.word(i + k) == word for k, word in enumerate(words))

    def qualified(self, i: int) -> Name | None:
        first = self.name(i)
        if first is None:
            return None
        parts, end = [first], i + 1
        while self.symbol(end) == "." and (part := self.name(end + 1)) is not None:
            parts.append(part)
            end += 2
        schema = parts[-2] if len(parts) > 1 else None
        return Name(schema, parts[-1], i, end)

    def group_end(self, i: int) -> int:
        """Index after the bracket group opening at `i`, or -1 when unbalanced."""
        partner = self.partner[i] if 0 <= i < len(self.tokens) else -1
        return partner + 1 if partner > i else -1

    def fail(self, message: str, *, hint: str | None = None) -> NoReturn:
        raise UnsupportedSql(
            self.statement.number, self.statement.line, message, hint=hint
        )

    # ------------------------------------------------------------ editing

    def free(self, start: int, end: int) -> bool:
        return 0 <= start < end <= len(self.tokens) and not any(self.claimed[start:end])

    def replace(self, start: int, end: int, text: str) -> bool:
        """Replace tokens [start, end) with `text`; False when already rewritten."""
        if not self.free(start, end):
            return False
        for k in range(start, end):
            self.claimed[k] = True
        self.replacements[start] = (end, text)
        return True

    def prefix(self, i: int, text: str) -> None:
        # An outer expression opens before the inner one: prepend.
        self.prefixes.setdefault(i, []).insert(0, text)

    def output(self) -> str:
        starts = sorted(self.replacements)
        prefixes: dict[int, list[str]] = {}
        for i, texts in self.prefixes.items():
            # A prefix inside a replaced range goes before the whole range.
            owner = max(
                (s for s in starts if s <= i < self.replacements[s][0]), default=i
            )
            prefixes.setdefault(owner, []).extend(texts)
        pieces: list[str] = []
        position = 0
        for i in sorted(set(starts) | set(prefixes)):
            token = self.tokens[i]
            start = token.start - self.offset
            pieces.append(self.text[position:start])
            position = start
            if i in prefixes:
                pieces.append("".join(prefixes[i]))
            if i in self.replacements:
                end, replacement = self.replacements[i]
                position = self.tokens[end - 1].end - self.offset
                following = self.text[position : position + 1]
                if not replacement and not is_word_char(following):
                    # `bigint generated … identity primary key`: one space stays.
                    pieces[-1] = pieces[-1].rstrip(" \t")
                pieces.append(_spaced(pieces, replacement, following))
        pieces.append(self.text[position:])
        return "".join(pieces)


def _spaced(pieces: list[str], replacement: str, following: str) -> str:
    """Keep a replacement from fusing with neighbouring words (`'a'::text as`)."""
    previous = next((p[-1] for p in reversed(pieces) if p), "")
    if is_word_char(previous) and is_word_char(replacement[:1] or following):
        replacement = " " + replacement
    if replacement and is_word_char(replacement[-1]) and is_word_char(following):
        replacement += " "
    return replacement
