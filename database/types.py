"""What a client asks for, before anyone has looked at the schema.

`api/rest/parse` builds these from PostgREST's query grammar (and GraphQL will
build the same), `database/plan.py` resolves them against the schema cache. Names
stay plain strings here; values stay the raw text the client sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# ---------------------------------------------------------------- select list


@dataclass(frozen=True, slots=True)
class JsonStep:
    """One `->` or `->>` step of a JSON path; `key` is an int for array indexes."""

    arrow: Literal["->", "->>"]
    key: str | int


@dataclass(frozen=True, slots=True)
class FieldRef:
    """A column, optionally followed by a JSON path: `data->a->>b`."""

    column: str
    json_path: tuple[JsonStep, ...] = ()

    @property
    def default_name(self) -> str:
        """The key PostgREST gives this field in the output: the last key of
        its JSON path that is not an array index, else the column."""
        for step in reversed(self.json_path):
            if isinstance(step.key, str):
                return step.key
        return self.column


@dataclass(frozen=True, slots=True)
class Column:
    """`alias:col->a::cast` in a select list; column "*" is the star."""

    field: FieldRef
    alias: str | None = None
    cast: str | None = None


@dataclass(frozen=True, slots=True)
class Count:
    """`count()` (optionally `alias:count()`) inside an embed: `rel(count)`."""

    alias: str | None = None


@dataclass(frozen=True, slots=True)
class ForeignKeyRef:
    """A relationship named exactly by its foreign key and direction, as
    GraphQL's fields name them: `from_holder` reads the row the key
    references, otherwise the rows holding the key."""

    name: str
    from_holder: bool


@dataclass(frozen=True, slots=True)
class Embed:
    """`alias:relation!hint!inner(select...)` or `...relation(select...)`.

    `hint` is a foreign-key constraint name, a column name or a junction table
    name; `join` is "inner" or "left" when the client spelt it out.
    """

    relation: str
    select: tuple[SelectItem, ...]
    alias: str | None = None
    hint: str | None = None
    join: Literal["inner", "left"] | None = None
    spread: bool = False
    foreign_key: ForeignKeyRef | None = None  # names it exactly, not `hint`

    @property
    def name(self) -> str:
        """The key this embed is addressed by in filters and in the output."""
        return self.alias or self.relation


@dataclass(frozen=True, slots=True)
class Constant:
    """A fixed text in every row's output (GraphQL's `__typename`)."""

    alias: str
    value: str


@dataclass(frozen=True, slots=True)
class NodeId:
    """The row's global id: its table and primary key, as pg_graphql's `nodeId`."""

    alias: str


@dataclass(frozen=True, slots=True)
class EdgePart:
    """One field of a connection's edge: its `cursor`, its `node` (rendered
    from `select`) or a `typename` constant."""

    kind: Literal["cursor", "node", "typename"]
    alias: str
    value: str = ""
    select: tuple[SelectItem, ...] = ()


@dataclass(frozen=True, slots=True)
class AggregateField:
    """One field of a connection's `aggregate`: `count`, `typename` (the
    constant `value`), or `sum`/`avg`/`min`/`max` over `columns`, given as
    (alias, column) pairs; the column `__typename` stands for the constant
    `value`."""

    kind: Literal["count", "typename", "sum", "avg", "min", "max"]
    alias: str
    value: str = ""
    columns: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ConnectionPart:
    """One field of a connection: `totalCount`, `pageInfo` (its fields as
    (alias, name) pairs, name one of hasNextPage, hasPreviousPage,
    startCursor, endCursor, or `__typename:<value>`), `edges`, `aggregate`
    (over every row `totalCount` counts) or `typename`."""

    kind: Literal["totalCount", "pageInfo", "edges", "aggregate", "typename"]
    alias: str
    value: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    edge: tuple[EdgePart, ...] = ()
    aggregate: tuple[AggregateField, ...] = ()


@dataclass(frozen=True, slots=True)
class Connection:
    """A Relay connection over a table's rows (a GraphQL collection).

    At the top level `relation` is the table; nested, it is the table the
    relationship `foreign_key` reaches from the parent. Rows are ordered by `order`
    (the primary key last, so the order is total) and paged forwards
    (`first`/`after`/`offset`) or backwards (`last`/`before`); `cursor` is the
    decoded `after`/`before` cursor, one value per order term.
    """

    relation: str
    alias: str
    parts: tuple[ConnectionPart, ...]
    foreign_key: ForeignKeyRef | None = None
    filters: tuple[Condition, ...] = ()
    order: tuple[OrderTerm, ...] = ()
    first: int | None = None
    last: int | None = None
    offset: int | None = None
    cursor: tuple[object, ...] | None = None
    backward: bool = False  # `last`/`before`: the page ends at the cursor


SelectItem = Column | Count | Embed | Constant | NodeId | Connection

# ---------------------------------------------------------------- filters

FilterOp = Literal[
    "eq", "neq", "gt", "gte", "lt", "lte",
    "like", "ilike", "match", "imatch",
    "in", "is", "isdistinct",
    "cs", "cd", "ov",
    "fts", "plfts", "phfts", "wfts",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class Filter:
    """`col=not.op(quantifier).value`.

    `value` is the raw text after the operator, except for `in`, where it is the
    list of items (quotes removed), and `is`, where it is one of "null", "not_null",
    "true", "false", "unknown". For `cs`/`cd`/`ov` it stays the raw text
    (`{a,b}` array literal or JSON), decoded by `database/coerce.py`.
    """

    field: FieldRef
    op: FilterOp
    value: str | tuple[str, ...]
    negated: bool = False
    quantifier: Literal["any", "all"] | None = None
    language: str | None = None  # fts(config)


@dataclass(frozen=True, slots=True)
class Logic:
    """`or=(...)` / `and=(...)` / `not.or=(...)`, nested freely."""

    op: Literal["and", "or"]
    children: tuple[Condition, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class EmbedNullFilter:
    """`rel=is.null` / `rel=not.is.null` on an embedded resource itself."""

    embed: str
    is_null: bool


Condition = Filter | Logic | EmbedNullFilter

# ---------------------------------------------------------------- order/range


@dataclass(frozen=True, slots=True)
class OrderTerm:
    """`col.desc.nullslast`, or `rel(col).asc` ordering by a to-one embed."""

    field: FieldRef
    descending: bool = False
    nulls_first: bool | None = None  # None: Postgres default for the direction
    relation: str | None = None


# An embed path: () is the top-level table, ("author",) its embed named author,
# ("comments", "author") the author embedded inside comments, and so on.
EmbedPath = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Shape:
    """Filters, order and paging for the top level and for each embed path."""

    filters: dict[EmbedPath, tuple[Condition, ...]] = field(default_factory=dict)
    order: dict[EmbedPath, tuple[OrderTerm, ...]] = field(default_factory=dict)
    limit: dict[EmbedPath, int] = field(default_factory=dict)
    offset: dict[EmbedPath, int] = field(default_factory=dict)


# ---------------------------------------------------------------- requests

CountMethod = Literal["exact", "planned", "estimated"]
ResponseFormat = Literal["json", "object", "csv"]
Returning = Literal["minimal", "headers-only", "representation"]


@dataclass(frozen=True, slots=True)
class ReadRequest:
    table: str
    select: tuple[SelectItem, ...]
    shape: Shape
    count: CountMethod | None = None
    format: ResponseFormat = "json"
    strip_nulls: bool = False
    head: bool = False


WriteMethod = Literal["insert", "update", "delete", "upsert"]


@dataclass(frozen=True, slots=True)
class WriteRequest:
    """POST (insert), PATCH (update), DELETE, PUT (single-row upsert).

    `rows` is the decoded JSON body as a list of objects (a single object becomes
    a list of one); None for DELETE. `columns` comes from `?columns=`; when absent
    the union of the rows' keys is used. `returning` is None when the client
    did not say, which returns nothing, as `minimal` does.
    """

    table: str
    method: WriteMethod
    rows: tuple[dict[str, object], ...] | None
    shape: Shape
    select: tuple[SelectItem, ...] = ()
    columns: tuple[str, ...] | None = None
    on_conflict: tuple[str, ...] | None = None
    resolution: Literal["merge-duplicates", "ignore-duplicates"] | None = None
    missing_default: bool = False
    returning: Returning | None = None
    count: CountMethod | None = None
    format: ResponseFormat = "json"
    strip_nulls: bool = False
    max_affected: int | None = None
    rollback: bool = False
    is_bulk: bool = False
