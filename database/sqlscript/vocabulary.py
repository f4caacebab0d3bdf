"""The words the translator recognises, by what they mean to it."""

from __future__ import annotations

from database.sqlscript.statements import CREATE_MODIFIERS

SKIPPED: tuple[tuple[str, ...], ...] = (
    ("create", "extension"), ("alter", "extension"), ("drop", "extension"),
    ("grant",), ("revoke",), ("alter", "default", "privileges"), ("comment", "on"),
    ("set",), ("reset",), ("start", "transaction"), ("commit",), ("notify",),
    ("vacuum",), ("create", "publication"), ("alter", "publication"),
    ("drop", "publication"),
)  # fmt: skip
TRANSACTION_WORDS = frozenset(
    {"transaction", "work", "isolation", "read", "deferred", "immediate", "exclusive"}
)
ROLE_OBJECTS = frozenset({"role", "user", "group"})
TABLE_CONSTRAINTS = frozenset(
    {"constraint", "primary", "unique", "check", "foreign", "exclude", "like"}
)
COLUMN_CONSTRAINTS = frozenset(
    {
        "constraint", "primary", "not", "null", "unique", "check", "default",
        "references", "collate", "generated", "as", "on", "deferrable",
        "initially", "autoincrement",
    }
)  # fmt: skip
COMMAND_MODIFIERS = CREATE_MODIFIERS | {
    "unique", "unlogged", "virtual", "materialized", "default",
}  # fmt: skip
SERIAL_TYPES = frozenset(
    {"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"}
)
TEXT_TYPES = frozenset(
    {"text", "varchar", "character", "char", "citext", "name", "bpchar", "string"}
)
UUID_FUNCTIONS = frozenset({"gen_random_uuid", "uuid_generate_v4"})
NOW_FUNCTIONS = frozenset(
    {"now", "transaction_timestamp", "statement_timestamp", "clock_timestamp"}
)
UTC_ZONES = frozenset({"utc", "etc/utc", "gmt", "z", "zulu", "uct", "+00", "+00:00"})
BOOLEAN_STRINGS = {
    **dict.fromkeys(("t", "true", "y", "yes", "on", "1"), "TRUE"),
    **dict.fromkeys(("f", "false", "n", "no", "off", "0"), "FALSE"),
}
LITERAL_WORDS = frozenset({"true", "false", "null"})
STRING_KINDS = frozenset({"string", "escape_string", "dollar_string"})
# Words that may precede `(` without calling a function: `in (…)::int` casts the
# group, not a function named `in`.
NOT_FUNCTIONS = frozenset(
    {
        "in", "and", "or", "not", "exists", "any", "all", "some", "values", "as",
        "then", "else", "when", "select", "where", "on", "using", "check",
        "default", "is", "like", "between", "from", "by", "having", "return",
        "returning", "set", "into", "distinct", "case", "array",
    }
)  # fmt: skip
QUERY_STARTS = frozenset({"select", "with", "values"})
INSERT_VERBS = frozenset({"insert", "replace", "ignore", "abort", "fail", "rollback"})
# Words that never end an operand, so a `[` after them is not a subscript:
# Postgres' reserved words and the statement words before a table name.
NOT_OPERANDS = NOT_FUNCTIONS | frozenset(
    {
        "all", "analyse", "analyze", "asc", "asymmetric", "both", "cast",
        "collate", "column", "constraint", "create", "desc", "do", "end",
        "except", "false", "fetch", "for", "foreign", "grant", "group",
        "initially", "intersect", "lateral", "leading", "limit", "null",
        "offset", "only", "order", "placing", "primary", "references",
        "session_user", "symmetric", "table", "to", "trailing", "true", "union",
        "unique", "user", "variadic", "window", "with", "join", "cross", "inner",
        "left", "right", "full", "outer", "natural", "ilike", "similar", "glob",
        "isnull", "notnull", "update", "delete", "insert", "replace", "index",
        "view", "trigger", "begin", "if", "escape", "key",
    }
)  # fmt: skip
