"""Rewrites inside expressions: names, `now()`, literals, `::` casts, Supabase
Storage's path helpers and array subscripts."""

from __future__ import annotations

from database.coerce import NOW_SQL as STORED_NOW_SQL
from database.schema import system_table, type_kind
from database.sqlite.functions import STORAGE_HELPERS, SUBSCRIPT
from database.sqlscript.arrays import pg_array_json
from database.sqlscript.checks import StatementChecks
from database.sqlscript.cursor import CastType
from database.sqlscript.tokens import sql_string, string_value
from database.sqlscript.vocabulary import (
    BOOLEAN_STRINGS,
    LITERAL_WORDS,
    NOT_FUNCTIONS,
    NOT_OPERANDS,
    NOW_FUNCTIONS,
    QUERY_STARTS,
    STRING_KINDS,
    TEXT_TYPES,
    UTC_ZONES,
    UUID_FUNCTIONS,
)

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


class ExpressionRewrites(StatementChecks):
    """Walk the tokens left to right, rewriting what SQLite reads otherwise."""

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
                    in_query.append(self.word(i + 1) in QUERY_STARTS)
                elif text == ")" and len(in_query) > 1:
                    in_query.pop()
                elif text == "::" and not claimed[i]:
                    following = self.rewrite_cast(i)
                elif text == "[" and not claimed[i]:
                    following = self.rewrite_subscript(i)
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
        system = system_table(schema, member)
        if system is not None:
            text = system.table
            if self.word(i - 1) == "references" and self.symbol(i + 3) != "(":
                text += "(id)"
            return i + 3 if self.replace(i, i + 3, text) else None
        if schema == "storage" and member.lower() in STORAGE_HELPERS:
            return self.rewrite_storage_helper(i, member.lower())
        if schema == "auth" and self.symbol(i + 3) == "(":
            self.fail(
                f"auth.{member}() is only available in row level security policies"
            )
        if (
            schema == "extensions"
            and member.lower() in UUID_FUNCTIONS
            and self.symbol(i + 3) == "("
            and self.symbol(i + 4) == ")"
            and self.replace(i, i + 5, UUID_V4_SQL)
        ):
            return i + 5
        return None

    def rewrite_storage_helper(self, i: int, helper: str) -> int | None:
        """`storage.foldername(x)` → the SQLite function; one argument only."""
        end = self.group_end(i + 3) if self.symbol(i + 3) == "(" else -1
        if end < 0:
            return None
        if self.arguments(i + 3) != 1:
            self.fail(
                f"function storage.{helper}() takes one argument, "
                f"{self.arguments(i + 3)} given",
                hint=f"storage.{helper}(name) reads a path such as 'folder/photo.png'.",
            )
        return i + 3 if self.replace(i, i + 3, STORAGE_HELPERS[helper]) else None

    def arguments(self, opening: int) -> int:
        """How many arguments the call's parentheses at `opening` hold."""
        closing = self.group_end(opening) - 1
        if closing == opening + 1:
            return 0
        count, k = 1, opening + 1
        while k < closing:
            if self.symbol(k) in ("(", "[") and self.group_end(k) > 0:
                k = self.group_end(k)
                continue
            count += self.symbol(k) == ","
            k += 1
        return count

    def rewrite_subscript(self, i: int) -> int | None:
        """`operand[i][j]` → `koyalite_subscript(operand, i, j)`: Postgres reads
        chained brackets as one subscript, one index per dimension."""
        if not self.ends_operand(i - 1) or self.word(i - 2) == "as":
            return None
        groups: list[tuple[int, int]] = []
        k = i
        while self.symbol(k) == "[" and self.group_end(k) > k + 1:
            groups.append((k, self.group_end(k) - 1))
            k = self.group_end(k)
        start = self.operand_start(i)
        if not groups or start is None:
            return None
        for opening, closing in groups:
            if not (
                self.free(opening, opening + 1) and self.free(closing, closing + 1)
            ):
                return None
            depth = 0
            for j in range(opening + 1, closing):
                symbol = self.symbol(j)
                depth += (symbol in ("(", "[")) - (symbol in (")", "]"))
                if depth == 0 and symbol == ":":
                    self.fail("array slices ([lower:upper]) are not supported")
                if depth == 0 and symbol == ",":
                    self.fail("an array subscript takes one index per [ ]")
        self.prefix(start, f"{SUBSCRIPT}(")
        for number, (opening, closing) in enumerate(groups):
            self.replace(opening, opening + 1, ", ")
            self.replace(closing, closing + 1, ")" if number == len(groups) - 1 else "")
        self.operand_starts[groups[-1][1]] = start
        return i + 1

    def ends_operand(self, k: int) -> bool:
        """Whether the token at `k` can end what a `[` subscripts."""
        if k in self.operand_starts:
            return True
        token = self.tokens[k] if 0 <= k < len(self.tokens) else None
        if token is None or self.claimed[k]:
            return False
        if token.kind == "quoted" or (token.kind == "symbol" and token.text == ")"):
            return True
        return token.kind == "word" and token.text.lower() not in NOT_OPERANDS

    def rewrite_expression(self, i: int) -> int | None:
        token = self.tokens[i]
        word = self.word(i)
        if (
            token.kind in STRING_KINDS
            or token.kind == "number"
            or (word in LITERAL_WORDS)
        ):
            return self.rewrite_literal(i)
        if token.kind == "symbol" and token.text == "::":
            return self.rewrite_cast(i)
        # `x.now()` is not ours to rewrite; `public.now()` lost its `public.`.
        if word is None or (self.symbol(i - 1) == "." and not self.claimed[i - 1]):
            return None
        calls = self.symbol(i + 1) == "("
        empty_call = calls and self.symbol(i + 2) == ")"
        if word in UUID_FUNCTIONS and empty_call:
            return i + 3 if self.replace(i, i + 3, UUID_V4_SQL) else None
        if word in NOW_FUNCTIONS and empty_call:
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
            and self.kind(end + 3) in STRING_KINDS
        ):
            zone = string_value(self.tokens[end + 3]) or ""
            if zone.lower() not in UTC_ZONES:
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
        if end < 0 or self.kind(k) not in STRING_KINDS:
            return None
        zone = string_value(self.tokens[k]) or ""
        k += 1
        if self.symbol(k) == "::" and (cast := self.cast_type(k + 1)) is not None:
            k = cast.end
        if self.symbol(k) != ",":
            return None
        k += 1
        if self.word(k) in NOW_FUNCTIONS and self.symbol(k + 1) == "(":
            k = self.group_end(k + 1)
        elif self.word(k) == "current_timestamp":
            k += 1
        else:
            return None
        if k != end - 1:
            return None
        if zone.lower() not in UTC_ZONES:
            self.fail(
                f"timezone('{zone}', …) is not supported; timestamps are stored in UTC"
            )
        return end if self.replace(i, end, NOW_SQL) else None

    def rewrite_literal(self, i: int) -> int | None:
        """Rewrite E'…' and $$…$$ strings and drop casts that follow a literal."""
        token = self.tokens[i]
        value = string_value(token) if token.kind in STRING_KINDS else None
        text = token.text
        changed = token.kind in ("escape_string", "dollar_string") and value is not None
        if changed and value is not None:
            text = sql_string(value)
        k = i + 1
        while self.symbol(k) == "::" and (cast := self.cast_type(k + 1)) is not None:
            kind, element = type_kind(cast.text)
            if kind == "array" and value is not None:
                converted = pg_array_json(value, element)
                if converted is not None:
                    value, text = converted, sql_string(converted)
            elif kind == "boolean" and value is not None:
                boolean = BOOLEAN_STRINGS.get(value.strip().lower())
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
        elif kind == "text" and base in TEXT_TYPES:
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
            if function is not None and function not in NOT_FUNCTIONS:
                start -= 1
                while (
                    self.symbol(start - 1) == "." and self.name(start - 2) is not None
                ):
                    start -= 2
            return start
        if (
            token.kind in ("word", "quoted", "param", "number")
            or token.kind in STRING_KINDS
        ):
            start = k
            while self.symbol(start - 1) == "." and self.name(start - 2) is not None:
                start -= 2
            return start
        return None

    def cast_type(self, k: int) -> CastType | None:
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
        return CastType(self.type_text(k, end), end)
