"""What a statement is, and what is refused before any rewriting."""

from __future__ import annotations

from database.errors import InternalTableAccess, TableNameCollision
from database.schema import (
    SYSTEM_SCHEMAS,
    SYSTEM_TABLES,
    is_internal_table,
    system_table,
    system_table_named,
)
from database.sqlscript.cursor import Name, TokenCursor
from database.sqlscript.statements import CREATE_MODIFIERS
from database.sqlscript.tokens import string_value
from database.sqlscript.vocabulary import (
    COMMAND_MODIFIERS,
    INSERT_VERBS,
    QUERY_STARTS,
    ROLE_OBJECTS,
    SKIPPED,
    TABLE_CONSTRAINTS,
    TRANSACTION_WORDS,
)


class StatementChecks(TokenCursor):
    """The command tag, skipped and unsupported statements, KoyaLite's own tables."""

    def command(self) -> str:
        """The command tag: "CREATE TABLE", "INSERT", "SELECT", ..."""
        first = self.word(0)
        if first is None:
            return self.tokens[0].text.upper()
        if first in ("create", "alter", "drop"):
            k = 1
            while self.word(k) in COMMAND_MODIFIERS:
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
        if any(self.is_words(0, *head) for head in SKIPPED):
            return True
        first = self.word(0)
        if first in ("begin", "end"):
            return len(self.tokens) == 1 or self.word(1) in TRANSACTION_WORDS
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
        while self.word(k) in CREATE_MODIFIERS:
            k += 1
        what = self.word(k)
        if first == "create" and what in ("function", "procedure"):
            language = "plpgsql"
            for j in range(k, len(self.tokens) - 1):
                if self.word(j) == "language":
                    token = self.tokens[j + 1]
                    language = (string_value(token) or token.text).lower()
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
        if first in ("create", "alter", "drop") and what in ROLE_OBJECTS:
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
        is_type_change = self.type_change_start(action) is not None
        if (word == "alter" and not is_type_change) or (
            word in ("add", "drop", "validate") and next_word in TABLE_CONSTRAINTS
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

    def type_change_start(self, action: int) -> int | None:
        """Index of the type in `alter [column] c [set data] type …`, or None."""
        if self.word(action) != "alter":
            return None
        k = action + 2 if self.word(action + 1) == "column" else action + 1
        if self.name(k) is None:
            return None
        k += 1
        if self.is_words(k, "set", "data"):
            k += 2
        return k + 1 if self.word(k) == "type" else None

    def changes_column_type(self) -> bool:
        """`alter table … alter column … type …`: a table rebuild."""
        if not self.is_words(0, "alter", "table"):
            return False
        action = self.alter_table_action()
        return action is not None and self.type_change_start(action) is not None

    def alter_table_name(self) -> Name | None:
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

    def resolve(self, name: Name) -> str:
        """The SQLite table for a (qualified) name, refusing other schemas."""
        if name.schema is None or name.schema.lower() == "public":
            return name.name
        system = system_table(name.schema, name.name)
        if system is not None:
            return system.table
        schema = name.schema.lower()
        if schema in SYSTEM_SCHEMAS:
            tables = ", ".join(t.shown for t in SYSTEM_TABLES if t.schema == schema)
            self.fail(
                f"table '{schema}.{name.name}' is not supported; "
                f"of the {schema} schema only {tables} exist"
            )
        self.fail(f"schema '{name.schema}' is not supported")

    def check_table(self, name: Name, role: str) -> str:
        """Refuse KoyaLite's own tables; `role` is create, read, reference or write."""
        table = self.resolve(name)
        number, line = self.statement.number, self.statement.line
        if role == "create":
            if is_internal_table(table):
                raise TableNameCollision(number, line, table)
            return table
        if not is_internal_table(table):
            return table
        system = system_table_named(table)
        if role == "read" and (
            system is not None or table.lower().startswith("sqlite_")
        ):
            return table
        if system is not None and (
            role == "reference" or (role == "write" and system.sql_writes)
        ):
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
        elif word == "into" and self.word(i - 1) in INSERT_VERBS:
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
        if name is None or (name.end == k + 1 and self.word(k) in QUERY_STARTS):
            return
        table = self.check_table(name, role)
        # `references auth_users` means its key; say so, or the schema cache
        # cannot tell which column the foreign key points at.
        if (
            role == "reference"
            and name.schema is None
            and system_table_named(table) is not None
            and self.symbol(name.end) != "("
        ):
            self.replace(name.start, name.end, f"{table}(id)")
