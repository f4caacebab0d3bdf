"""Rewrites of `create`, `alter`, `drop` and `truncate` heads for SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from database.schema import TypeKind, type_kind
from database.sql import quote_ident
from database.sqlscript.arrays import pg_array_json
from database.sqlscript.tokens import sql_string, string_value
from database.sqlscript.view_options import ViewOptionRewrites
from database.sqlscript.vocabulary import (
    COLUMN_CONSTRAINTS,
    SERIAL_TYPES,
    STRING_KINDS,
    TABLE_CONSTRAINTS,
)


@dataclass(frozen=True, slots=True)
class ColumnTypeChange:
    """`alter table t alter [column] c [set data] type x [using e]`.

    SQLite cannot change a column's type, so the runner rebuilds the table
    (`database.rebuild`) rather than run any SQL of the statement.
    """

    table: str
    column: str
    declared_type: str  # as SQLite keeps it: `bigint`, `"text[]"`
    using: str | None  # the expression, translated for SQLite
    if_exists: bool = False


class DdlRewrites(ViewOptionRewrites):
    """Column types, identity columns, index names, drop/rename bookkeeping."""

    column_type: ColumnTypeChange | None = None

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
            elif what == "view":
                self.rewrite_view_options(name)
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
            if self.word(start) in TABLE_CONSTRAINTS or column is None:
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
            if word is not None and word not in COLUMN_CONSTRAINTS:
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
        if identity is not None or base in SERIAL_TYPES:
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
            if self.word(k) != "default" or literal.kind not in STRING_KINDS:
                continue
            value = string_value(literal)
            if value is not None and self.symbol(k + 2) != "::":
                converted = pg_array_json(value, element)
                if converted is not None:
                    self.replace(k + 1, k + 2, sql_string(converted))

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
        if self.changes_column_type():
            self.rewrite_column_type(self.check_table(name, "write"), name.end)
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

    def rewrite_column_type(self, table: str, action: int) -> None:
        """Describe the change; what remains of the text is the `using` expression."""
        start = self.type_change_start(action)
        assert start is not None
        column = self.name(
            action + 2 if self.word(action + 1) == "column" else action + 1
        )
        assert column is not None
        using = next(
            (k for k in range(start, len(self.tokens)) if self.word(k) == "using"),
            None,
        )
        limit = len(self.tokens) if using is None else using
        end = self.type_end(start, limit)
        if end == start:
            self.fail(f'alter column "{column}" needs a type')
        if end != limit:
            self.fail(
                f'unexpected "{self.tokens[end].text}" after the type of "{column}"',
                hint="Write alter column c type t [using expression].",
            )
        if self.word(start) in SERIAL_TYPES:
            self.fail(f'type "{self.word(start)}" does not exist')
        declared = self.type_text(start, end)
        if any(self.symbol(k) == "[" for k in range(start, end)):
            declared = quote_ident(declared)
        if using is not None and using + 1 >= len(self.tokens):
            self.fail(f'using needs an expression for "{column}"')
        # Everything up to the expression goes; `walk` then translates the
        # expression alone and `output()` returns just it.
        self.replace(0, len(self.tokens) if using is None else using + 1, "")
        self.column_type = ColumnTypeChange(
            table,
            column,
            declared,
            None if using is None else "",
            if_exists=self.is_words(2, "if", "exists"),
        )

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
