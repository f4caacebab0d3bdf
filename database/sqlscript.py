"""Split Postgres-flavoured SQL scripts into statements and translate each to SQLite.

Users write the SQL they would write for Supabase. `split_statements` cuts a
script at top-level semicolons; strings, quoted names, comments, dollar quotes and
the `begin … end` bodies of SQLite triggers keep theirs. `translate` rewrites one
statement surgically, token by token, and leaves declared types as written
(`boolean`, `timestamptz`, `uuid`): the schema cache reads them to coerce values
and shape the API's JSON, and a general transpiler would reduce them to SQLite's
storage classes.

What `translate` does:

| Postgres                                         | SQLite                                   |
|--------------------------------------------------|------------------------------------------|
| `create extension`, `grant`, `revoke`,           | skipped: "" (no meaning on SQLite; the   |
| `alter default privileges`, `comment on`,        | API and policies enforce roles, the      |
| `alter … owner to`, `set`, `reset`, `begin`,     | script already runs as one transaction,  |
| `start transaction`, `commit`, `end`, `notify`,  | the schema cache reloads by itself)      |
| `create/alter/drop publication`, `vacuum`,       |                                          |
| `create schema public`                           |                                          |
| `public.todos`, `"public"."todos"`               | `todos`                                  |
| `auth.users`; `references auth.users`            | `auth_users`; `references auth_users(id)`|
| `storage.objects`, `foo.bar` as a table          | error: schema 'foo' is not supported     |
| `gen_random_uuid()`, `uuid_generate_v4()`        | `UUID_V4_SQL` (random v4, dashed text)   |
| `now()`, `current_timestamp`,                    | `NOW_SQL` (ISO 8601 text in UTC)         |
| `timezone('utc', now())`, `now() at time zone …` |                                          |
| `bigint generated … as identity`, `serial`       | `integer` (the rowid alias when the key) |
| `text[]`, `varchar(20)[]` column types           | `"text[]"` (SQLite keeps it as declared) |
| `'{a,b}'::text[]`, `array['a']`, array defaults  | JSON text: `'["a","b"]'`, `json_array`   |
| `'{}'::jsonb`, `1::bigint` (literal casts)       | the literal                              |
| `x::int`, `x::numeric`, `x::text`, `x::date`     | `CAST(x AS INTEGER/REAL/TEXT)`, `date(x)`|
| `E'a\\n'`, `$$it's$$`                            | `'a<newline>'`, `'it''s'`                |
| `char_length(x)`, `ilike`                        | `length(x)`, `like`                      |
| `create index on t (a)`, `using gin`,            | named `t_a_idx`; method, `concurrently`, |
| `concurrently`, `only`, `unlogged`               | `only`, `unlogged` dropped               |
| `drop table t cascade`, `drop trigger x on t`    | `drop table t`, `drop trigger x`         |
| `truncate t`                                     | `delete from t`                          |
| `create function`, `do`, `create trigger …       | error: plpgsql functions are not         |
| execute function`                                | supported                                |
| `create type`, `domain`, `sequence`, roles,      | error naming what is not supported       |
| `rollback`, `savepoint`, `alter column`,         |                                          |
| `add constraint`, `create or replace view`       |                                          |

Policy statements (`create/alter/drop policy`, `alter table … row level
security`) pass through untouched: `rls` reads them, `auth.uid()`, `public.`
and `auth.users` included.
Names of KoyaLite's own tables are refused: creating one is a collision, and
writing one, or reading any but `auth_users`, is internal-table access.
Everything else passes through unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, NoReturn

from database.coerce import NOW_SQL as STORED_NOW_SQL
from database.errors import InternalTableAccess, TableNameCollision, UnsupportedSql
from database.schema import AUTH_USERS_TABLE, TypeKind, is_internal_table, type_kind
from database.sql import quote_ident

# A random version-4 UUID as canonical lowercase dashed text, in plain SQL so any
# connection can insert: the 13th hex digit is 4, the 17th one of 8, 9, a, b.
# `random() & 3` rather than `abs(random()) % 4`: abs() overflows on the smallest
# 64-bit integer.
UUID_V4_SQL = (
    "(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || "
    "substr('89ab', 1 + (random() & 3), 1) || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))"
)
# Timestamps are ISO 8601 text in UTC with the offset spelt out, which both sort
# correctly as text and parse as timestamptz at the API edge.
NOW_SQL = f"({STORED_NOW_SQL})"

# ---------------------------------------------------------------- tokens

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


# ---------------------------------------------------------------- statements


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
_CREATE_MODIFIERS = frozenset({"or", "replace", "temp", "temporary", "constraint"})


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
        if word not in _CREATE_MODIFIERS:
            return word in _BODY_OBJECTS
    return False


# ---------------------------------------------------------------- translation


@dataclass(frozen=True, slots=True)
class Translation:
    """One statement rewritten for SQLite, with what the runner needs to know."""

    text: str  # "" when skipped
    command: str  # "CREATE TABLE", "INSERT", "GRANT", ...
    skipped: bool = False
    is_policy: bool = False  # for `rls.grammar` rather than SQLite
    dropped_tables: tuple[str, ...] = ()
    renamed_tables: tuple[tuple[str, str], ...] = ()  # (old, new)


def translate(statement: Statement) -> str:
    """Return `statement` as SQLite SQL, or "" for a statement that is skipped."""
    return translate_statement(statement).text


def translate_statement(statement: Statement) -> Translation:
    """Translate `statement` and describe it; raise a `SqlScriptError` subclass."""
    return _Translator(statement).translate()


@dataclass(frozen=True, slots=True)
class _Name:
    """A possibly schema-qualified name spanning tokens [start, end)."""

    schema: str | None
    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _CastType:
    text: str  # as declared: "character varying(20)[]"
    end: int  # token index after the type


_SKIPPED: tuple[tuple[str, ...], ...] = (
    ("create", "extension"), ("alter", "extension"), ("drop", "extension"),
    ("grant",), ("revoke",), ("alter", "default", "privileges"), ("comment", "on"),
    ("set",), ("reset",), ("start", "transaction"), ("commit",), ("notify",),
    ("vacuum",), ("create", "publication"), ("alter", "publication"),
    ("drop", "publication"),
)  # fmt: skip
_TRANSACTION_WORDS = frozenset(
    {"transaction", "work", "isolation", "read", "deferred", "immediate", "exclusive"}
)
_ROLE_OBJECTS = frozenset({"role", "user", "group"})
_TABLE_CONSTRAINTS = frozenset(
    {"constraint", "primary", "unique", "check", "foreign", "exclude", "like"}
)
_COLUMN_CONSTRAINTS = frozenset(
    {
        "constraint", "primary", "not", "null", "unique", "check", "default",
        "references", "collate", "generated", "as", "on", "deferrable",
        "initially", "autoincrement",
    }
)  # fmt: skip
_COMMAND_MODIFIERS = _CREATE_MODIFIERS | {
    "unique", "unlogged", "virtual", "materialized", "default",
}  # fmt: skip
_SERIAL_TYPES = frozenset(
    {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}
)
_TEXT_TYPES = frozenset(
    {"text", "varchar", "character", "char", "citext", "name", "bpchar", "string"}
)
_UUID_FUNCTIONS = frozenset({"gen_random_uuid", "uuid_generate_v4"})
_NOW_FUNCTIONS = frozenset(
    {"now", "transaction_timestamp", "statement_timestamp", "clock_timestamp"}
)
_UTC_ZONES = frozenset({"utc", "etc/utc", "gmt", "z", "zulu", "uct", "+00", "+00:00"})
_BOOLEAN_STRINGS = {
    **dict.fromkeys(("t", "true", "y", "yes", "on", "1"), "TRUE"),
    **dict.fromkeys(("f", "false", "n", "no", "off", "0"), "FALSE"),
}
_LITERAL_WORDS = frozenset({"true", "false", "null"})
_STRING_KINDS = frozenset({"string", "escape_string", "dollar_string"})
# Words that may precede `(` without calling a function: `in (…)::int` casts the
# group, not a function named `in`.
_NOT_FUNCTIONS = frozenset(
    {
        "in", "and", "or", "not", "exists", "any", "all", "some", "values", "as",
        "then", "else", "when", "select", "where", "on", "using", "check",
        "default", "is", "like", "between", "from", "by", "having", "return",
        "returning", "set", "into", "distinct", "case", "array",
    }
)  # fmt: skip
_QUERY_STARTS = frozenset({"select", "with", "values"})
_INSERT_VERBS = frozenset({"insert", "replace", "ignore", "abort", "fail", "rollback"})


class _Translator:
    """Rewrite one statement by replacing token ranges; never reorders text."""

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self.text = statement.text
        if statement.tokens is not None:
            self.tokens = list(statement.tokens)
            self.offset = statement.offset
        else:
            self.tokens = [t for t in tokenize(statement.text) if t.is_significant]
            self.offset = 0
        self.partner = _match_brackets(self.tokens)
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

    def qualified(self, i: int) -> _Name | None:
        first = self.name(i)
        if first is None:
            return None
        parts, end = [first], i + 1
        while self.symbol(end) == "." and (part := self.name(end + 1)) is not None:
            parts.append(part)
            end += 2
        schema = parts[-2] if len(parts) > 1 else None
        return _Name(schema, parts[-1], i, end)

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
                if not replacement and not _is_word_char(following):
                    # `bigint generated … identity primary key`: one space stays.
                    pieces[-1] = pieces[-1].rstrip(" \t")
                pieces.append(_spaced(pieces, replacement, following))
        pieces.append(self.text[position:])
        return "".join(pieces)

    # ------------------------------------------------------------ statement kinds

    def translate(self) -> Translation:
        if not self.tokens:
            return Translation("", "", skipped=True)
        command = self.command()
        if self.is_skipped():
            return Translation("", command, skipped=True)
        self.refuse_unsupported(command)
        if self.is_policy():
            # rls resolves `public.`, `auth.users` and `auth.uid()` itself.
            return Translation(self.text, command, is_policy=True)
        self.rewrite_head()
        self.walk()
        return Translation(
            self.output(),
            command,
            dropped_tables=tuple(self.dropped),
            renamed_tables=tuple(self.renamed),
        )

    def command(self) -> str:
        """The command tag: "CREATE TABLE", "INSERT", "SELECT", ..."""
        first = self.word(0)
        if first is None:
            return self.tokens[0].text.upper()
        if first in ("create", "alter", "drop"):
            k = 1
            while self.word(k) in _COMMAND_MODIFIERS:
                k += 1
            return f"{first} {self.word(k) or ''}".strip().upper()
        if first == "with":
            k = 1
            while k < len(self.tokens):
                word = self.word(k)
                if word in ("select", "insert", "update", "delete", "values"):
                    return word.upper()
                k = self.group_end(k) if self.symbol(k) == "(" else k + 1
                if k < 0:
                    break
            return "WITH"
        if first == "start":
            return "START TRANSACTION"
        if first == "truncate":
            return "TRUNCATE TABLE"
        return first.upper()

    def is_skipped(self) -> bool:
        if any(self.is_words(0, *head) for head in _SKIPPED):
            return True
        first = self.word(0)
        if first in ("begin", "end"):
            return len(self.tokens) == 1 or self.word(1) in _TRANSACTION_WORDS
        if self.is_words(0, "create", "schema"):
            k = 5 if self.is_words(2, "if", "not", "exists") else 2
            return (self.name(k) or "").lower() == "public"
        if first == "alter":
            # `alter … owner to role`; not `rename [column] owner to …`.
            return any(
                self.is_words(k, "owner", "to")
                and self.word(k - 1) not in ("rename", "column")
                for k in range(1, len(self.tokens))
            )
        return False

    def refuse_unsupported(self, command: str) -> None:
        first = self.word(0)
        k = 1
        while self.word(k) in _CREATE_MODIFIERS:
            k += 1
        what = self.word(k)
        if first == "create" and what in ("function", "procedure"):
            language = "plpgsql"
            for j in range(k, len(self.tokens) - 1):
                if self.word(j) == "language":
                    token = self.tokens[j + 1]
                    language = (_string_value(token) or token.text).lower()
            self.fail(
                f"{language} functions are not supported",
                hint="Move the logic into an edge function or a SQLite trigger.",
            )
        if first == "create" and what == "trigger":
            for j in range(k, len(self.tokens) - 1):
                if self.word(j) == "execute" and self.word(j + 1) in (
                    "function",
                    "procedure",
                ):
                    self.fail(
                        f"trigger '{self.name(k + 1)}' executes a function; "
                        "plpgsql functions are not supported",
                        hint="Write a SQLite trigger: create trigger … begin … end.",
                    )
        if first == "do":
            self.fail("do blocks are not supported: plpgsql is not supported")
        if first == "create" and what == "type":
            self.fail(
                "create type is not supported",
                hint="For an enum use text with a check: "
                "status text check (status in ('open', 'done')).",
            )
        if first in ("create", "alter", "drop") and what in ("domain", "sequence"):
            self.fail(f"{first} {what} is not supported")
        if first in ("create", "refresh", "drop") and self.word(k) == "materialized":
            self.fail("materialized views are not supported; use a view")
        if first in ("create", "drop") and what == "schema":
            j = k + 1
            while self.word(j) in ("if", "not", "exists"):
                j += 1
            self.fail(f"schema '{self.name(j)}' is not supported")
        if first in ("create", "alter", "drop") and what in _ROLE_OBJECTS:
            self.fail(
                "roles are not supported; the roles are anon, authenticated "
                "and service_role"
            )
        if first in ("rollback", "abort", "savepoint", "release") or (
            self.is_words(0, "prepare", "transaction")
        ):
            self.fail(
                f"transaction control ({first}) is not supported; "
                "a script runs as one transaction"
            )
        if self.is_words(0, "create", "or", "replace", "view"):
            self.fail(
                "create or replace view is not supported; "
                "drop view if exists, then create view"
            )
        if first in ("attach", "detach", "copy"):
            self.fail(f"{first} is not supported")
        if self.is_words(0, "alter", "table") and not self.is_policy():
            self.refuse_alter_table()

    def refuse_alter_table(self) -> None:
        action = self.alter_table_action()
        if action is None:
            return
        word, next_word = self.word(action), self.word(action + 1)
        if word == "alter" or (
            word in ("add", "drop", "validate") and next_word in _TABLE_CONSTRAINTS
        ):
            change = f"{word} {next_word or ''}".strip()
            self.fail(
                f"alter table … {change} is not supported by SQLite",
                hint="Create a new table, copy the rows, drop the old table "
                "and rename the new one.",
            )
        depth = 0
        for k in range(action, len(self.tokens)):
            symbol = self.symbol(k)
            depth += (symbol in ("(", "[")) - (symbol in (")", "]"))
            if symbol == "," and depth == 0:
                self.fail(
                    "SQLite makes one change per alter table statement; "
                    "write one statement per change"
                )

    def alter_table_name(self) -> _Name | None:
        """The table of `alter table [if exists] [only] name …`."""
        k = 2
        if self.is_words(k, "if", "exists"):
            k += 2
        if self.word(k) == "only":
            k += 1
        return self.qualified(k)

    def alter_table_action(self) -> int | None:
        """Index of the action word after the table's name."""
        name = self.alter_table_name()
        return name.end if name is not None else None

    def is_policy(self) -> bool:
        first, second = self.word(0), self.word(1)
        if first in ("create", "alter", "drop") and second == "policy":
            return True
        if self.is_words(0, "alter", "table"):
            return any(
                self.is_words(k, "row", "level", "security")
                for k in range(2, len(self.tokens))
            )
        return False

    # ------------------------------------------------------------ table names

    def resolve(self, name: _Name) -> str:
        """The SQLite table for a (qualified) name, refusing other schemas."""
        if name.schema is None or name.schema.lower() == "public":
            return name.name
        if name.schema.lower() == "auth":
            if name.name.lower() == "users":
                return AUTH_USERS_TABLE
            self.fail(
                f"table 'auth.{name.name}' is not supported; "
                "of the auth schema only auth.users exists"
            )
        self.fail(f"schema '{name.schema}' is not supported")

    def check_table(self, name: _Name, role: str) -> str:
        """Refuse KoyaLite's own tables; `role` is create, read, reference or write."""
        table = self.resolve(name)
        number, line = self.statement.number, self.statement.line
        if role == "create":
            if is_internal_table(table):
                raise TableNameCollision(number, line, table)
            return table
        if not is_internal_table(table):
            return table
        lowered = table.lower()
        if role == "read" and (
            lowered == AUTH_USERS_TABLE or lowered.startswith("sqlite_")
        ):
            return table
        if role == "reference" and lowered == AUTH_USERS_TABLE:
            return table
        raise InternalTableAccess(number, line, table, reading=role == "read")

    def is_statement_start(self, i: int) -> bool:
        """`update` opens a statement here (a trigger body holds several)."""
        return (
            i == 0
            or self.symbol(i - 1) == ";"
            or self.word(i - 1) == "begin"
            or (self.symbol(i - 1) == ")" and self.word(0) == "with")
        )

    def check_reference(self, i: int, in_query: bool) -> None:
        """Check a table named after from, join, into, update or references."""
        word = self.word(i)
        role = None
        k = i + 1
        if word in ("from", "join") and in_query and self.word(i - 1) != "distinct":
            role = "write" if self.word(i - 1) == "delete" else "read"
            if self.word(k) == "only":
                k += 1
        elif word == "into" and self.word(i - 1) in _INSERT_VERBS:
            role = "write"
        elif word == "update" and self.is_statement_start(i):
            role = "write"
            if self.word(k) == "or":
                k += 2
        elif word == "references":
            role = "reference"
        if role is None:
            return
        name = self.qualified(k)
        if name is None or (name.end == k + 1 and self.word(k) in _QUERY_STARTS):
            return
        table = self.check_table(name, role)
        # `references auth_users` means its key; say so, or the schema cache
        # cannot tell which column the foreign key points at.
        if (
            role == "reference"
            and name.schema is None
            and table.lower() == AUTH_USERS_TABLE
            and self.symbol(name.end) != "("
        ):
            self.replace(name.start, name.end, f"{AUTH_USERS_TABLE}(id)")

    # ------------------------------------------------------------ head rewrites

    def rewrite_head(self) -> None:
        first = self.word(0)
        if first == "create":
            self.rewrite_create()
        elif self.is_words(0, "alter", "table"):
            self.rewrite_alter_table()
        elif first == "drop":
            self.rewrite_drop()
        elif first == "truncate":
            self.rewrite_truncate()

    def rewrite_create(self) -> None:
        k = 1
        if self.word(k) in ("temp", "temporary"):
            k += 1
        elif self.word(k) == "unlogged":
            self.replace(k, k + 1, "")
            k += 1
        what = self.word(k)
        if what == "virtual" and self.word(k + 1) == "table":
            what, k = "table", k + 1
        if what in ("table", "view"):
            k += 1
            if self.is_words(k, "if", "not", "exists"):
                k += 3
            name = self.qualified(k)
            if name is None:
                return
            self.check_table(name, "create")
            if what == "table" and self.symbol(name.end) == "(":
                self.rewrite_columns(name.end)
        elif what in ("unique", "index"):
            self.rewrite_create_index(k + 1 if what == "unique" else k)
        elif what == "trigger":
            self.rewrite_create_trigger(k + 1)

    def rewrite_columns(self, opening: int) -> None:
        closing = self.group_end(opening) - 1
        if closing < 0:
            return
        elements = [e for e in self.elements(opening + 1, closing) if e[0] < e[1]]
        table_key = self.table_primary_key(elements)
        for start, end in elements:
            column = self.name(start)
            if self.word(start) in _TABLE_CONSTRAINTS or column is None:
                continue
            declared = self.rewrite_column(start + 1, end)
            inline_key = any(
                self.is_words(k, "primary", "key") for k in range(start, end)
            )
            if not (inline_key or column.lower() in table_key):
                continue
            if any(self.is_words(k, "not", "null") for k in range(start, end)):
                continue
            # SQLite lets a primary key hold NULL unless the column is the rowid
            # (for backwards compatibility); Postgres never does.
            is_rowid = declared == "integer" and (inline_key or len(table_key) == 1)
            if not is_rowid:
                self.prefix(end, " not null")

    def table_primary_key(self, elements: list[tuple[int, int]]) -> set[str]:
        """Lowercased columns of a `[constraint x] primary key (a, b)` element."""
        for start, _end in elements:
            k = start + 2 if self.word(start) == "constraint" else start
            if self.is_words(k, "primary", "key") and self.symbol(k + 2) == "(":
                closing = self.group_end(k + 2) - 1
                return {
                    (self.name(s) or "").lower()
                    for s, e in self.elements(k + 3, max(closing, k + 3))
                    if s < e
                }
        return set()

    def elements(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Split tokens [start, end) at commas outside brackets."""
        k = element = start
        while k < end:
            if self.symbol(k) in ("(", "[") and self.group_end(k) > 0:
                k = self.group_end(k)
                continue
            if self.symbol(k) == ",":
                yield element, k
                element = k + 1
            k += 1
        yield element, end

    def type_end(self, start: int, end: int) -> int:
        """Index after a column's type starting at `start` (== start: no type)."""
        k = start + 1 if self.kind(start) == "quoted" else start
        while k < end:
            word = self.word(k)
            if word is not None and word not in _COLUMN_CONSTRAINTS:
                k += 1
            elif (
                self.symbol(k) in ("(", "[")
                and k > start
                and 0 < self.group_end(k) <= end
            ):
                k = self.group_end(k)
            else:
                break
        return k

    def type_text(self, start: int, end: int) -> str:
        pieces: list[str] = []
        for k in range(start, end):
            token = self.tokens[k]
            if token.kind == "word" and k > start:
                previous = self.tokens[k - 1]
                if previous.kind == "word" or previous.text == ")":
                    pieces.append(" ")
            pieces.append(token.text)
        return "".join(pieces)

    def rewrite_column(self, start: int, end: int) -> str:
        """Rewrite a column's type and identity clause; return the type, lowercased."""
        type_end = self.type_end(start, end)
        if type_end == start:
            return ""
        base = self.word(start) or ""
        is_array = any(self.symbol(k) == "[" for k in range(start, type_end))
        identity = self.identity_clause(type_end, end)
        if identity is not None:
            self.replace(*identity, "")
        if identity is not None or base in _SERIAL_TYPES:
            # `integer` exactly: only then is a primary key SQLite's rowid alias,
            # which fills itself in as identity and serial columns do.
            self.replace(start, type_end, "integer")
            return "integer"
        declared = self.type_text(start, type_end)
        if is_array:
            self.replace(start, type_end, quote_ident(declared))
            self.rewrite_array_default(type_end, end, type_kind(declared)[1])
        return declared.lower()

    def identity_clause(self, start: int, end: int) -> tuple[int, int] | None:
        for k in range(start, end):
            if self.word(k) != "generated":
                continue
            if self.is_words(k + 1, "always", "as", "identity"):
                clause_end = k + 4
            elif self.is_words(k + 1, "by", "default", "as", "identity"):
                clause_end = k + 5
            else:
                continue
            if self.symbol(clause_end) == "(" and self.group_end(clause_end) > 0:
                clause_end = self.group_end(clause_end)
            return k, min(clause_end, end)
        return None

    def rewrite_array_default(
        self, start: int, end: int, element: TypeKind | None
    ) -> None:
        """`tags text[] default '{}'`: arrays are stored as JSON text."""
        for k in range(start, end - 1):
            literal = self.tokens[k + 1]
            if self.word(k) != "default" or literal.kind not in _STRING_KINDS:
                continue
            value = _string_value(literal)
            if value is not None and self.symbol(k + 2) != "::":
                converted = _pg_array_json(value, element)
                if converted is not None:
                    self.replace(k + 1, k + 2, _sql_string(converted))

    def rewrite_create_index(self, k: int) -> None:
        if self.word(k) != "index":
            return
        k += 1
        if self.word(k) == "concurrently":
            self.replace(k, k + 1, "")
            k += 1
        if self.is_words(k, "if", "not", "exists"):
            k += 3
        named = self.word(k) != "on"
        if named:
            index_name = self.qualified(k)
            if index_name is None:
                return
            k = index_name.end
        if self.word(k) != "on":
            return
        on = k
        k += 1
        if self.word(k) == "only":
            self.replace(k, k + 1, "")
            k += 1
        name = self.qualified(k)
        if name is None:
            return
        table = self.check_table(name, "write")
        k = name.end
        if self.word(k) == "using" and self.name(k + 1) is not None:
            self.replace(k, k + 2, "")  # SQLite has b-trees only
            k += 2
        if not named and self.symbol(k) == "(" and self.group_end(k) > 0:
            # Postgres names an unnamed index `<table>_<columns>_idx`.
            columns = [
                self.name(s) or "expr"
                for s, e in self.elements(k + 1, self.group_end(k) - 1)
                if s < e
            ]
            generated = "_".join([table, *columns, "idx"])
            self.replace(on, on + 1, f"{quote_ident(generated)} on")

    def rewrite_create_trigger(self, k: int) -> None:
        for j in range(k, len(self.tokens)):
            if self.word(j) == "begin":
                return
            if self.word(j) == "on" and (name := self.qualified(j + 1)) is not None:
                self.check_table(name, "write")
                return

    def rewrite_alter_table(self) -> None:
        name = self.alter_table_name()
        if name is None:
            return
        if self.is_words(2, "if", "exists"):
            self.replace(2, 4, "")  # SQLite has no `if exists` here
        if self.word(name.start - 1) == "only":
            self.replace(name.start - 1, name.start, "")
        table = self.check_table(name, "write")
        action = name.end
        if self.is_words(action, "rename", "to"):
            new_name = self.qualified(action + 2)
            if new_name is not None:
                self.renamed.append((table, self.check_table(new_name, "create")))
        elif self.word(action) == "add":
            k = action + 1
            if self.word(k) == "column":
                k += 1
            if self.is_words(k, "if", "not", "exists"):
                k += 3
            if self.name(k) is not None:
                self.rewrite_column(k + 1, len(self.tokens))

    def rewrite_drop(self) -> None:
        what = self.word(1)
        if what not in ("table", "view", "index", "trigger"):
            return
        k = 2
        if what == "index" and self.word(k) == "concurrently":
            self.replace(k, k + 1, "")
            k += 1
        if self.is_words(k, "if", "exists"):
            k += 2
        name = self.qualified(k)
        if name is None:
            return
        if what in ("table", "view"):
            table = self.check_table(name, "write")
            if what == "table":
                self.dropped.append(table)
        k = name.end
        if self.symbol(k) == ",":
            self.fail(
                f"SQLite drops one {what} per statement; "
                f"write one drop {what} statement for each"
            )
        if what == "trigger" and self.word(k) == "on":
            table_name = self.qualified(k + 1)
            if table_name is not None:
                self.check_table(table_name, "write")
                self.replace(k, table_name.end, "")
                k = table_name.end
        if self.word(k) in ("cascade", "restrict"):
            self.replace(k, k + 1, "")

    def rewrite_truncate(self) -> None:
        k = 1
        if self.word(k) == "table":
            k += 1
        if self.word(k) == "only":
            k += 1
        name = self.qualified(k)
        if name is None:
            return
        table = self.check_table(name, "write")
        if self.symbol(name.end) == ",":
            self.fail("truncate one table per statement")
        self.replace(0, len(self.tokens), f"delete from {quote_ident(table)}")

    # ------------------------------------------------------------ expressions

    def walk(self) -> None:
        """Rewrite names, functions, literals and casts left to right."""
        # Whether each open parenthesis holds a query, where `from` names a table
        # (and not as in `extract(year from t.created_at)`).
        in_query = [True]
        tokens, claimed = self.tokens, self.claimed
        i = 0
        while i < len(tokens):
            kind, text = tokens[i].kind, tokens[i].text
            following: int | None = None
            if kind == "symbol":
                if text == "(":
                    in_query.append(self.word(i + 1) in _QUERY_STARTS)
                elif text == ")" and len(in_query) > 1:
                    in_query.pop()
                elif text == "::" and not claimed[i]:
                    following = self.rewrite_cast(i)
            elif claimed[i]:
                pass
            elif kind == "number" or kind == "string":
                # The bulk of a seed script: leave it alone unless a cast follows.
                if self.symbol(i + 1) == "::":
                    following = self.rewrite_literal(i)
            else:
                self.check_reference(i, in_query[-1])
                following = self.rewrite_qualified(i)
                if following is None:
                    following = self.rewrite_expression(i)
            i = following if following is not None and following > i else i + 1

    def rewrite_qualified(self, i: int) -> int | None:
        if self.symbol(i + 1) != "." or self.symbol(i - 1) == ".":
            return None
        schema, member = self.name(i), self.name(i + 2)
        if schema is None or member is None:
            return None
        schema = schema.lower()
        if schema == "public":
            return i + 2 if self.replace(i, i + 2, "") else None
        if schema == "auth" and member.lower() == "users":
            text = AUTH_USERS_TABLE
            if self.word(i - 1) == "references" and self.symbol(i + 3) != "(":
                text += "(id)"
            return i + 3 if self.replace(i, i + 3, text) else None
        if schema == "auth" and self.symbol(i + 3) == "(":
            self.fail(
                f"auth.{member}() is only available in row level security policies"
            )
        if (
            schema == "extensions"
            and member.lower() in _UUID_FUNCTIONS
            and self.symbol(i + 3) == "("
            and self.symbol(i + 4) == ")"
            and self.replace(i, i + 5, UUID_V4_SQL)
        ):
            return i + 5
        return None

    def rewrite_expression(self, i: int) -> int | None:
        token = self.tokens[i]
        word = self.word(i)
        if (
            token.kind in _STRING_KINDS
            or token.kind == "number"
            or (word in _LITERAL_WORDS)
        ):
            return self.rewrite_literal(i)
        if token.kind == "symbol" and token.text == "::":
            return self.rewrite_cast(i)
        # `x.now()` is not ours to rewrite; `public.now()` lost its `public.`.
        if word is None or (self.symbol(i - 1) == "." and not self.claimed[i - 1]):
            return None
        calls = self.symbol(i + 1) == "("
        empty_call = calls and self.symbol(i + 2) == ")"
        if word in _UUID_FUNCTIONS and empty_call:
            return i + 3 if self.replace(i, i + 3, UUID_V4_SQL) else None
        if word in _NOW_FUNCTIONS and empty_call:
            return self.rewrite_now(i, i + 3)
        if word in ("current_timestamp", "localtimestamp"):
            end = (
                self.group_end(i + 1) if calls and self.group_end(i + 1) > 0 else i + 1
            )
            return self.rewrite_now(i, end)
        if word == "timezone" and calls:
            return self.rewrite_timezone(i)
        if word in ("char_length", "character_length") and calls:
            return i + 1 if self.replace(i, i + 1, "length") else None
        if word == "ilike":
            return i + 1 if self.replace(i, i + 1, "like") else None
        if word == "array" and self.symbol(i + 1) == "[" and self.group_end(i + 1) > 0:
            closing = self.group_end(i + 1) - 1
            if self.free(closing, closing + 1) and self.replace(
                i, i + 2, "(json_array("
            ):
                self.replace(closing, closing + 1, "))")
                self.operand_starts[closing] = i
                return i + 2
        return None

    def rewrite_now(self, start: int, end: int) -> int | None:
        if (
            self.is_words(end, "at", "time", "zone")
            and self.kind(end + 3) in _STRING_KINDS
        ):
            zone = _string_value(self.tokens[end + 3]) or ""
            if zone.lower() not in _UTC_ZONES:
                self.fail(
                    f"at time zone '{zone}' is not supported; "
                    "timestamps are stored in UTC"
                )
            end += 4
        return end if self.replace(start, end, NOW_SQL) else None

    def rewrite_timezone(self, i: int) -> int | None:
        """`timezone('utc'::text, now())`, Supabase's old `created_at` default."""
        end = self.group_end(i + 1)
        k = i + 2
        if end < 0 or self.kind(k) not in _STRING_KINDS:
            return None
        zone = _string_value(self.tokens[k]) or ""
        k += 1
        if self.symbol(k) == "::" and (cast := self.cast_type(k + 1)) is not None:
            k = cast.end
        if self.symbol(k) != ",":
            return None
        k += 1
        if self.word(k) in _NOW_FUNCTIONS and self.symbol(k + 1) == "(":
            k = self.group_end(k + 1)
        elif self.word(k) == "current_timestamp":
            k += 1
        else:
            return None
        if k != end - 1:
            return None
        if zone.lower() not in _UTC_ZONES:
            self.fail(
                f"timezone('{zone}', …) is not supported; timestamps are stored in UTC"
            )
        return end if self.replace(i, end, NOW_SQL) else None

    def rewrite_literal(self, i: int) -> int | None:
        """Rewrite E'…' and $$…$$ strings and drop casts that follow a literal."""
        token = self.tokens[i]
        value = _string_value(token) if token.kind in _STRING_KINDS else None
        text = token.text
        changed = token.kind in ("escape_string", "dollar_string") and value is not None
        if changed and value is not None:
            text = _sql_string(value)
        k = i + 1
        while self.symbol(k) == "::" and (cast := self.cast_type(k + 1)) is not None:
            kind, element = type_kind(cast.text)
            if kind == "array" and value is not None:
                converted = _pg_array_json(value, element)
                if converted is not None:
                    value, text = converted, _sql_string(converted)
            elif kind == "boolean" and value is not None:
                boolean = _BOOLEAN_STRINGS.get(value.strip().lower())
                if boolean is not None:
                    value, text = None, boolean
            k, changed = cast.end, True
        if not changed or not self.replace(i, k, text):
            return None
        self.operand_starts[k - 1] = i
        return k

    def rewrite_cast(self, i: int) -> int | None:
        """`operand::type` → a SQLite CAST, a conversion function, or the operand."""
        cast = self.cast_type(i + 1)
        if cast is None:
            return None
        start = self.operand_start(i)
        kind, _ = type_kind(cast.text)
        base = (self.word(i + 1) or "").lower()
        if start is None:
            opening, closing = "", ""
        elif kind == "integer":
            opening, closing = "(CAST(", " AS INTEGER))"
        elif kind == "numeric":
            opening, closing = "(CAST(", " AS REAL))"
        elif kind == "text" and base in _TEXT_TYPES:
            opening, closing = "(CAST(", " AS TEXT))"
        elif kind == "date":
            opening, closing = "(date(", "))"
        else:
            # uuid, timestamps, json, arrays: already text in the stored form.
            opening, closing = "", ""
        if not self.replace(i, cast.end, closing):
            return None
        if start is not None:
            if opening:
                self.prefix(start, opening)
            self.operand_starts[cast.end - 1] = start
        return cast.end

    def operand_start(self, cast: int) -> int | None:
        """Where the operand of the `::` at `cast` starts, or None if unclear."""
        k = cast - 1
        if k < 0:
            return None
        if k in self.operand_starts:
            return self.operand_starts[k]
        token = self.tokens[k]
        if token.kind == "symbol" and token.text == ")":
            start = self.partner[k]
            if start < 0:
                return None
            function = self.word(start - 1)
            if function is not None and function not in _NOT_FUNCTIONS:
                start -= 1
                while (
                    self.symbol(start - 1) == "." and self.name(start - 2) is not None
                ):
                    start -= 2
            return start
        if (
            token.kind in ("word", "quoted", "param", "number")
            or token.kind in _STRING_KINDS
        ):
            start = k
            while self.symbol(start - 1) == "." and self.name(start - 2) is not None:
                start -= 2
            return start
        return None

    def cast_type(self, k: int) -> _CastType | None:
        """The type named after `::` starting at `k`."""
        word = self.word(k)
        if word is None:
            if self.name(k) is None:
                return None
            end = k + 1
        else:
            end = k + 1
            if word == "double" and self.word(end) == "precision":
                end += 1
            elif word in ("character", "char", "bit") and self.word(end) == "varying":
                end += 1
            elif word in ("timestamp", "time"):
                if self.symbol(end) == "(" and self.group_end(end) > 0:
                    end = self.group_end(end)
                if self.word(end) in ("with", "without") and self.is_words(
                    end + 1, "time", "zone"
                ):
                    end += 3
        if self.symbol(end) == "(" and self.group_end(end) > 0:
            end = self.group_end(end)
        while self.symbol(end) == "[" and self.group_end(end) > 0:
            end = self.group_end(end)
        return _CastType(self.type_text(k, end), end)


def _match_brackets(tokens: list[Token]) -> list[int]:
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


def _spaced(pieces: list[str], replacement: str, following: str) -> str:
    """Keep a replacement from fusing with neighbouring words (`'a'::text as`)."""
    previous = next((p[-1] for p in reversed(pieces) if p), "")
    if _is_word_char(previous) and _is_word_char(replacement[:1] or following):
        replacement = " " + replacement
    if replacement and _is_word_char(replacement[-1]) and _is_word_char(following):
        replacement += " "
    return replacement


def _is_word_char(char: str) -> bool:
    return bool(char) and (char.isalnum() or char in "_$\"'")


# ---------------------------------------------------------------- literals

_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_ESCAPE = re.compile(
    r"\\(?:([0-7]{1,3})|x([0-9a-fA-F]{1,2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|(.))|''",
    re.DOTALL,
)


def _string_value(token: Token) -> str | None:
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


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _pg_array_json(literal: str, element: TypeKind | None) -> str | None:
    """JSON for a Postgres array literal like `{a,"b c",NULL}`; None if it is not one."""
    text = literal.strip()
    if not text.startswith("{"):
        return None
    try:
        items, end = _parse_pg_array(text, 0)
        if text[end:].strip():
            return None
        converted = _convert_items(items, element)
    except (ValueError, IndexError, RecursionError):
        return None
    return json.dumps(converted, ensure_ascii=False)


def _parse_pg_array(text: str, i: int) -> tuple[list[object], int]:
    """Parse the `{…}` at `i`; elements are str, None (NULL) or nested lists."""
    items: list[object] = []
    i += 1
    while text[i].isspace():
        i += 1
    if text[i] == "}":
        return items, i + 1
    while True:
        while text[i].isspace():
            i += 1
        item: object
        if text[i] == "{":
            item, i = _parse_pg_array(text, i)
        elif text[i] == '"':
            chars: list[str] = []
            i += 1
            while text[i] != '"':
                if text[i] == "\\":
                    i += 1
                chars.append(text[i])
                i += 1
            item, i = "".join(chars), i + 1
        else:
            start = i
            while text[i] not in ",}":
                if text[i] in '{"':
                    raise ValueError("malformed array literal")
                i += 1
            raw = text[start:i].strip()
            item = None if raw.upper() == "NULL" else raw
        items.append(item)
        while text[i].isspace():
            i += 1
        if text[i] == "}":
            return items, i + 1
        if text[i] != ",":
            raise ValueError("malformed array literal")
        i += 1


def _convert_items(items: list[object], element: TypeKind | None) -> list[object]:
    converted: list[object] = []
    for item in items:
        if isinstance(item, list):
            converted.append(_convert_items(item, element))
        elif item is None or not isinstance(item, str):
            converted.append(item)
        elif element == "integer":
            converted.append(int(item))
        elif element == "numeric":
            number = float(item)
            converted.append(
                int(number) if number.is_integer() and "." not in item else number
            )
        elif element == "boolean":
            boolean = _BOOLEAN_STRINGS.get(item.lower())
            if boolean is None:
                raise ValueError(f"not a boolean: {item}")
            converted.append(boolean == "TRUE")
        else:
            converted.append(item)
    return converted
