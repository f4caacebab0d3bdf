"""Bounds on one request, and the vocabulary of PostgREST's operators."""

from __future__ import annotations

import re

from database.types import FilterOp, WriteMethod

# Bounds on what one request may ask; past them the answer is a 400, not a hang.
MAX_CONDITIONS = 100  # filters plus and/or nodes, over all parameters
MAX_LOGIC_DEPTH = 16
MAX_EMBED_DEPTH = 8
MAX_IN_ITEMS = 1000
MAX_SELECT_ITEMS = 200
MAX_ORDER_TERMS = 100  # per `order` parameter
MAX_INT = 2**63 - 1  # what SQLite's INTEGER holds

OPERATORS: dict[str, FilterOp] = {
    op: op
    for op in (
        "eq", "neq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch",
        "in", "is", "isdistinct", "cs", "cd", "ov", "fts", "plfts", "phfts", "wfts",
    )
}  # fmt: skip
QUANTIFIABLE = frozenset(
    {"eq", "gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"}
)
FULL_TEXT = frozenset({"fts", "plfts", "phfts", "wfts"})
RANGE_OPERATORS = frozenset({"sl", "sr", "nxl", "nxr", "adj"})
IS_VALUES = frozenset({"null", "not_null", "true", "false", "unknown"})
AGGREGATES = frozenset({"sum", "avg", "count", "max", "min"})
SPACE = " \t\r\n"
NESTED_LOGIC = re.compile(r"(not\.)?(and|or)[ \t]*\(")
DIGITS = re.compile(r"[0-9]+")
NEGATIVE = re.compile(r"-[0-9]+")
RANGE_HEADER = re.compile(r"([0-9]+)-([0-9]*)")
QUALITY = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")
JSON_INDEX = re.compile(r"-?[0-9]+(?=->|::|[.,) \t]|\Z)")
WRITE_METHODS: dict[str, WriteMethod] = {
    "POST": "insert",
    "PATCH": "update",
    "DELETE": "delete",
    "PUT": "upsert",
}
