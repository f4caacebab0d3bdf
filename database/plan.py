"""Resolve a parsed request against the schema cache and the policies.

Plan is where names meet the schema: every column, embed and relationship is
looked up, every filter value gets its column's type (via `database/coerce.py`)
and every table node gets the row-level security predicate that applies to the
caller. The result is a tree of typed nodes that `database/compiler.py` turns
into one statement. Unknown names raise PGRST2xx errors here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from accounts.keys import Auth
from database import coerce
from database.errors import (
    BodyColumnNotFound,
    ColumnNotFound,
    EmbedFilterNotSelected,
    InvalidEmbedFilter,
    InvalidPutFilters,
    InvalidValue,
    NotImplementedFeature,
    OperatorNotFound,
    OrderByToMany,
    PutPrimaryKeyMismatch,
    TableNotFound,
    TypeNotFound,
    WhereClauseRequired,
)
from database.relationships import (
    Relationship,
    find_by_foreign_key,
    find_relationship,
)
from database.schema import ColumnInfo, SchemaCache, TableInfo
from database.sql import Slot, Sql
from database.types import (
    Column,
    Condition,
    Connection,
    Constant,
    Count,
    Embed,
    EmbedNullFilter,
    EmbedPath,
    FieldRef,
    Filter,
    JsonStep,
    Logic,
    NodeId,
    OrderTerm,
    ReadRequest,
    SelectItem,
    Shape,
    WriteRequest,
)
from database.views import InlinedView, check_writable, plan_view
from rls.services import PolicyCatalog

Command = Literal["select", "insert", "update", "delete"]

# How a prepared request marks "the value of filter N" (see api/rest/prepared.py).
SLOT_MARK = "\x00slot"

# Casts a select or filter may ask for: Postgres type name → SQLite expression
# template and the kind of the result.
CASTS: dict[str, str] = {
    "text": "text", "varchar": "text", "char": "text",
    "int": "integer", "integer": "integer", "int4": "integer", "int8": "integer",
    "bigint": "integer", "smallint": "integer",
    "numeric": "numeric", "real": "numeric", "float": "numeric", "float8": "numeric",
    "double precision": "numeric", "decimal": "numeric",
    "boolean": "boolean", "bool": "boolean",
    "json": "json", "jsonb": "json",
    "uuid": "text", "date": "text", "timestamptz": "text", "timestamp": "text",
}  # fmt: skip

# Rows a GraphQL collection returns at most, whatever `first` or `last` ask
# (pg_graphql's default `max_rows`).
DEFAULT_PAGE_SIZE = 30

# A column of JSON documents: what a value compared with `data->key` takes.
JSON_DOCUMENT = ColumnInfo("json", "jsonb", "json", None, True, None, 0, False)

# ---------------------------------------------------------------- plan types


@dataclass(slots=True)
class FieldPlan:
    column: ColumnInfo
    json_path: tuple[JsonStep, ...] = ()
    cast: str | None = None


@dataclass(slots=True)
class OutColumn:
    key: str
    field: FieldPlan


@dataclass(slots=True)
class OutCount:
    key: str


@dataclass(slots=True)
class OutEmbed:
    key: str
    node: ReadNode
    relationship: Relationship
    inner: bool = False
    spread: bool = False

    @property
    def is_empty(self) -> bool:
        """`rel()`: joined for filtering only, nothing rendered (nor is an
        embed whose select holds only empty embeds)."""
        return all(
            isinstance(item, OutEmbed) and item.is_empty for item in self.node.items
        )


@dataclass(slots=True)
class OutConstant:
    key: str
    value: str


@dataclass(slots=True)
class OutNodeId:
    key: str


@dataclass(slots=True)
class EdgePlan:
    kind: str  # cursor, node, typename
    key: str
    value: str = ""
    node: ReadNode | None = None


@dataclass(slots=True)
class AggregatePlan:
    kind: str  # count, typename, sum, avg, min, max
    key: str
    value: str = ""
    columns: list[tuple[str, FieldPlan | None]] = field(default_factory=list)


@dataclass(slots=True)
class PartPlan:
    kind: str  # totalCount, pageInfo, edges, aggregate, typename
    key: str
    value: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    edge: list[EdgePlan] = field(default_factory=list)
    aggregate: list[AggregatePlan] = field(default_factory=list)


@dataclass(slots=True)
class OutConnection:
    """A Relay connection: `node` holds the rows' policy, filters and total
    order (its items are unused); each `edges` part renders its own node."""

    key: str
    node: ReadNode
    relationship: Relationship | None
    parts: list[PartPlan]
    limit: int
    offset: int
    backward: bool
    cursor: tuple[object, ...] | None


OutItem = OutColumn | OutCount | OutEmbed | OutConstant | OutNodeId | OutConnection


@dataclass(slots=True)
class FilterPlan:
    field: FieldPlan
    op: str
    values: tuple[object, ...]
    negated: bool = False
    quantifier: str | None = None


@dataclass(slots=True)
class LogicPlan:
    op: Literal["and", "or"]
    children: list[ConditionPlan]
    negated: bool = False


@dataclass(slots=True)
class EmbedNullPlan:
    embed: OutEmbed
    is_null: bool


ConditionPlan = FilterPlan | LogicPlan | EmbedNullPlan


@dataclass(slots=True)
class OrderPlan:
    field: FieldPlan
    descending: bool
    nulls_first: bool
    embed: OutEmbed | None = None


@dataclass(slots=True)
class ReadNode:
    table: TableInfo
    alias: str
    items: list[OutItem] = field(default_factory=list)
    conditions: list[ConditionPlan] = field(default_factory=list)
    order: list[OrderPlan] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None
    policy: Sql | None = None
    view: InlinedView | None = None  # a security_invoker view, read inlined

    def embed(self, key: str) -> OutEmbed | None:
        for item in self.items:
            if isinstance(item, OutEmbed) and item.key == key:
                return item
        return None


@dataclass(slots=True)
class ReadPlan:
    root: ReadNode
    count: bool


@dataclass(slots=True)
class WritePlan:
    method: Literal["insert", "update", "delete", "upsert"]
    table: TableInfo
    columns: tuple[ColumnInfo, ...]
    rows: list[list[object]]  # coerced values, in `columns` order
    missing: list[list[bool]]  # per row and column: key absent from the body
    conflict: tuple[str, ...] | None
    merge: bool
    target: ReadNode  # alias = table name; filters/order/limit select the rows
    write_policy: Sql | None  # `using` of the command (update/delete)
    check_policy: Sql | None  # `with check` (insert/update)
    representation: ReadNode | None  # what to return, read back with select policy
    use_defaults: bool = False


# ---------------------------------------------------------------- planning


class _Planner:
    def __init__(
        self,
        schema: SchemaCache,
        catalog: PolicyCatalog,
        auth: Auth,
        slots: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self.schema = schema
        self.page_size = page_size
        self.catalog = catalog
        self.auth = auth
        # Only a prepared (masked) request may carry slot markers; in any other
        # request the same text is an ordinary value.
        self.slots = slots
        self._aliases = 0

    def next_alias(self) -> str:
        alias = f"t{self._aliases}"
        self._aliases += 1
        return alias

    def table(self, name: str) -> TableInfo:
        table = self.schema.table(name)
        if table is None:
            raise TableNotFound(name)
        return table

    def policy(
        self, table: str, command: Command, alias: str, kind: str = "using"
    ) -> Sql | None:
        if self.auth.bypasses_rls:
            return None
        return self.catalog.predicate(table, command, self.auth.role, alias, kind)

    def inline_view(self, table: TableInfo) -> InlinedView | None:
        """A security_invoker view, to read under the caller's own policies."""
        if not table.security_invoker or self.auth.bypasses_rls:
            return None
        return plan_view(
            table,
            self.schema,
            lambda name, alias: self.policy(name, "select", alias),
            self.next_alias,
        )

    # ------------------------------------------------------------ fields

    def field(
        self, table: TableInfo, column: str, json_path=(), cast=None
    ) -> FieldPlan:
        info = table.column(column)
        if info is None:
            raise ColumnNotFound(table.name, column)
        if cast is not None:
            cast = " ".join(cast.lower().split())
            if cast not in CASTS:
                raise TypeNotFound(
                    f'type "{cast}" does not exist',
                    hint="Supported casts: " + ", ".join(sorted(CASTS)),
                )
        if json_path and info.kind not in ("json", "array"):
            # Postgres says operator does not exist: text -> unknown.
            raise InvalidValue(
                f"column '{column}' of '{table.name}' is not json; '->' needs a json column",
            )
        _check_json_path(json_path)
        return FieldPlan(info, tuple(json_path), cast)

    # ------------------------------------------------------------ select

    def read_node(
        self,
        table: TableInfo,
        select: tuple[SelectItem, ...],
        shape: Shape,
        path: EmbedPath,
        alias: str | None = None,
        command: Command = "select",
        renders: bool = True,
    ) -> ReadNode:
        """A table node; with `renders` off its own columns are never read,
        so an empty select stays empty."""
        node = ReadNode(table, alias or self.next_alias())
        node.policy = self.policy(table.name, command, node.alias)
        node.view = self.inline_view(table)
        # An empty root select is every column; an empty embed `rel()` is
        # joined but renders nothing.
        every_column = renders and not path
        for item in select or ((Column(FieldRef("*")),) if every_column else ()):
            self.add_item(node, item, shape, path)
        self.add_conditions(node, shape.filters.get(path, ()), path)
        self.add_order(node, shape.order.get(path, ()))
        node.limit = shape.limit.get(path)
        node.offset = shape.offset.get(path)
        return node

    def add_item(
        self, node: ReadNode, item: SelectItem, shape: Shape, path: EmbedPath
    ) -> None:
        if isinstance(item, Column):
            if item.field.column == "*" and not item.field.json_path:
                for column in node.table.columns.values():
                    node.items.append(OutColumn(column.name, FieldPlan(column)))
                return
            plan = self.field(
                node.table, item.field.column, item.field.json_path, item.cast
            )
            node.items.append(OutColumn(item.alias or item.field.default_name, plan))
        elif isinstance(item, Count):
            node.items.append(OutCount(item.alias or "count"))
        elif isinstance(item, Constant):
            node.items.append(OutConstant(item.alias, item.value))
        elif isinstance(item, NodeId):
            if not node.table.primary_key:
                raise NotImplementedFeature(
                    f"table '{node.table.name}' has no primary key, so its rows have no node id"
                )
            node.items.append(OutNodeId(item.alias))
        elif isinstance(item, Connection):
            node.items.append(self.connection(node, item))
        else:
            node.items.append(self.embed(node, item, shape, path))

    def embed(
        self, parent: ReadNode, item: Embed, shape: Shape, path: EmbedPath
    ) -> OutEmbed:
        relationship, child = self.relationship(parent, item)
        child_path = path + (item.name,)
        alias = self.next_alias()
        if relationship.junction is not None:
            relationship = replace(
                relationship,
                junction_policy=self.policy(
                    relationship.junction.name, "select", alias + "j"
                ),
                junction_view=self.inline_view(relationship.junction),
            )
        node = self.read_node(child, item.select, shape, child_path, alias)
        embed = OutEmbed(
            item.name,
            node,
            relationship,
            inner=item.join == "inner",
            spread=item.spread,
        )
        # An empty spread renders nothing, whatever the cardinality.
        if item.spread and not relationship.to_one and not embed.is_empty:
            raise NotImplementedFeature(
                f"A spread operation on '{item.relation}' is only supported on to-one relationships",
            )
        return embed

    def relationship(
        self, parent: ReadNode, item: Embed | Connection
    ) -> tuple[Relationship, TableInfo]:
        """The relationship an embed or a nested collection reaches its rows by."""
        if item.foreign_key is not None:
            return find_by_foreign_key(
                self.schema, parent.table, item.relation, item.foreign_key
            )
        hint = item.hint if isinstance(item, Embed) else None
        return find_relationship(self.schema, parent.table, item.relation, hint)

    def connection(self, parent: ReadNode | None, item: Connection) -> OutConnection:
        """A GraphQL collection: the rows of `item.relation` (reached from
        `parent` through `item.foreign_key`), in a total order."""
        relationship = None
        if parent is None:
            table = self.table(item.relation)
        else:
            relationship, table = self.relationship(parent, item)
        if not table.primary_key:
            raise NotImplementedFeature(
                f"table '{table.name}' has no primary key; a collection needs one to page"
            )
        base = ReadNode(table, self.next_alias())
        base.policy = self.policy(table.name, "select", base.alias)
        base.view = self.inline_view(table)
        self.add_conditions(base, item.filters, ())
        # The primary key last makes the order total, so cursors are exact.
        keys = tuple(
            OrderTerm(FieldRef(key), False, False) for key in table.primary_key
        )
        self.add_order(base, item.order + keys)
        cursor = None
        if item.cursor is not None:
            if len(item.cursor) != len(base.order):
                raise InvalidValue("orderBy clause incompatible with pagination cursor")
            cursor = tuple(
                None
                if value is None
                else coerce.filter_value(term.field.column, _text(value))
                for term, value in zip(base.order, item.cursor)
            )
        asked = item.first if item.first is not None else item.last
        limit = self.page_size if asked is None else min(asked, self.page_size)
        parts = []
        for part in item.parts:
            plan = PartPlan(part.kind, part.alias, part.value, part.fields)
            for edge in part.edge:
                node = None
                if edge.kind == "node":
                    node = ReadNode(
                        table,
                        base.alias,
                        conditions=base.conditions,
                        order=base.order,
                        policy=base.policy,
                        view=base.view,
                    )
                    for selected in edge.select:
                        self.add_item(node, selected, Shape(), (base.alias,))
                plan.edge.append(EdgePlan(edge.kind, edge.alias, edge.value, node))
            for aggregate in part.aggregate:
                # `__typename` inside sum/avg/min/max has no column: None.
                columns = [
                    (key, None if name == "__typename" else self.field(table, name))
                    for key, name in aggregate.columns
                ]
                plan.aggregate.append(
                    AggregatePlan(
                        aggregate.kind, aggregate.alias, aggregate.value, columns
                    )
                )
            parts.append(plan)
        return OutConnection(
            item.alias,
            base,
            relationship,
            parts,
            limit,
            item.offset or 0,
            item.backward,
            cursor,
        )

    # ------------------------------------------------------------ filters

    def add_conditions(
        self, node: ReadNode, conditions: tuple[Condition, ...], path: EmbedPath
    ) -> None:
        for condition in conditions:
            node.conditions.append(self.condition(node, condition))

    def condition(self, node: ReadNode, condition: Condition) -> ConditionPlan:
        if isinstance(condition, Logic):
            return LogicPlan(
                condition.op,
                [self.condition(node, child) for child in condition.children],
                condition.negated,
            )
        if isinstance(condition, EmbedNullFilter):
            return self.embed_null(
                node, condition.embed, condition.is_null, negated=False
            )
        column = condition.field.column
        if node.table.column(column) is None and not condition.field.json_path:
            embed = node.embed(column)
            if embed is not None:
                if condition.op != "is" or condition.value not in ("null", "not_null"):
                    raise InvalidEmbedFilter(
                        "Only is null or not is null filters are allowed on embedded resources",
                    )
                is_null = (condition.value == "null") != condition.negated
                return EmbedNullPlan(embed, is_null)
        plan = self.field(node.table, column, condition.field.json_path)
        return FilterPlan(
            plan,
            condition.op,
            self.filter_values(plan, condition),
            condition.negated,
            condition.quantifier,
        )

    def embed_null(
        self, node: ReadNode, key: str, is_null: bool, negated: bool
    ) -> EmbedNullPlan:
        embed = node.embed(key)
        if embed is None:
            raise EmbedFilterNotSelected(
                f"'{key}' is not an embedded resource in this request"
            )
        return EmbedNullPlan(embed, is_null != negated)

    def filter_values(self, plan: FieldPlan, condition: Filter) -> tuple[object, ...]:
        op, value = condition.op, condition.value
        column = plan.column
        if op in ("fts", "plfts", "phfts", "wfts"):
            raise NotImplementedFeature(
                f"full-text search operator '{op}' is not available on SQLite tables yet",
                hint="Use like/ilike, or the search API.",
            )
        if op == "is":
            return (value,)
        if op in ("like", "ilike", "match", "imatch"):
            if condition.quantifier:
                return tuple(str(v) for v in coerce.parse_array_literal(str(value)))
            return (value,)
        if op in ("cs", "cd", "ov"):
            return (self.containment_value(column, str(value)),)
        # The type a value takes: the column's, the cast's, a JSON document's
        # (compared as jsonb), or None for what a JSON path yields, where
        # numbers compare as numbers when the value looks like one.
        target: ColumnInfo | None = None
        if plan.cast is not None:
            target = _cast_column(plan.cast)
        elif compares_json(plan, op):
            target = plan.column if not plan.json_path else JSON_DOCUMENT
        elif not plan.json_path:
            target = plan.column
        if op == "in":
            items = value if isinstance(value, tuple) else (value,)
        elif condition.quantifier:
            items = tuple(str(v) for v in coerce.parse_array_literal(str(value)))
        else:
            items = (str(value),)
        return tuple(self.one_value(target, str(item)) for item in items)

    def one_value(self, target: ColumnInfo | None, text: str) -> object:
        if self.slots and text.startswith(SLOT_MARK):
            return Slot(int(text[len(SLOT_MARK) :]), target)
        if target is None:
            return coerce.json_path_value(text)
        return coerce.filter_value(target, text)

    def containment_value(self, column: ColumnInfo, text: str) -> str:
        import orjson

        if column.kind == "array":
            items = coerce.parse_array_literal(text)
            return orjson.dumps(coerce.array_value(column, items)).decode()
        if column.kind == "json":
            try:
                return orjson.dumps(orjson.loads(text)).decode()
            except orjson.JSONDecodeError:
                raise InvalidValue(
                    f'invalid input syntax for type json: "{text}"'
                ) from None
        raise InvalidValue(
            f"operator cs/cd/ov needs an array or json column; '{column.name}' is {column.declared_type or 'untyped'}",
        )

    # ------------------------------------------------------------ order

    def add_order(self, node: ReadNode, terms: tuple[OrderTerm, ...]) -> None:
        for term in terms:
            embed = None
            table = node.table
            if term.relation is not None:
                embed = node.embed(term.relation)
                if embed is None:
                    raise EmbedFilterNotSelected(
                        f"'{term.relation}' is not an embedded resource in this request",
                        hint=f"Verify that '{term.relation}' is included in the 'select' query parameter.",
                    )
                if not embed.relationship.to_one:
                    raise OrderByToMany(
                        f"A related order on '{term.relation}' is not possible",
                        details=f"'{node.table.name}' and '{embed.node.table.name}' do not form a many-to-one or one-to-one relationship",
                    )
                table = embed.node.table
            plan = self.field(table, term.field.column, term.field.json_path)
            nulls_first = (
                term.descending if term.nulls_first is None else term.nulls_first
            )
            node.order.append(OrderPlan(plan, term.descending, nulls_first, embed))


def compares_json(field: FieldPlan, op: str) -> bool:
    """Whether `op` compares JSON documents, as jsonb's `=` does: a json
    column or a path ending in `->`, under eq, neq or in."""
    if op not in ("eq", "neq", "in") or field.cast is not None:
        return False
    if field.json_path:
        return field.json_path[-1].arrow == "->"
    return field.column.kind == "json"


def _check_json_path(path: tuple[JsonStep, ...]) -> None:
    for before, step in zip(path, path[1:]):
        if before.arrow == "->>":
            operand = "integer" if isinstance(step.key, int) else "unknown"
            raise OperatorNotFound(
                f"operator does not exist: text {step.arrow} {operand}",
                details="No operator of that name accepts the given argument types.",
                hint="You might need to add explicit type casts.",
            )
    for step in path:
        if isinstance(step.key, str) and '"' in step.key:
            raise InvalidValue(
                f"JSON key {step.key!r} holds a '\"', which SQLite's JSON paths cannot name"
            )


def _text(value: object) -> str:
    """A JSON scalar (from a cursor) as the text a filter value is coerced from."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    import orjson

    return orjson.dumps(value).decode()


def _cast_column(cast: str) -> ColumnInfo:
    """A column of the cast's type, for coercing the values compared with it."""
    kind = CASTS[cast]
    return ColumnInfo(cast, cast, kind, None, True, None, 0, False)  # type: ignore[arg-type]


# ---------------------------------------------------------------- entry points


def plan_read(
    request: ReadRequest,
    schema: SchemaCache,
    catalog: PolicyCatalog,
    auth: Auth,
    slots: bool = False,
) -> ReadPlan:
    planner = _Planner(schema, catalog, auth, slots)
    table = planner.table(request.table)
    root = planner.read_node(table, request.select, request.shape, ())
    _check_paths(root, request.shape)
    return ReadPlan(root, request.count is not None)


def plan_connection(
    request: Connection,
    schema: SchemaCache,
    catalog: PolicyCatalog,
    auth: Auth,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> OutConnection:
    """A top-level GraphQL collection."""
    planner = _Planner(schema, catalog, auth, page_size=page_size)
    return planner.connection(None, request)


def plan_record(
    table_name: str,
    select: tuple[SelectItem, ...],
    filters: tuple[Condition, ...],
    schema: SchemaCache,
    catalog: PolicyCatalog,
    auth: Auth,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> ReadNode:
    """One row of a table, found by `filters` (GraphQL's `node(nodeId:)`)."""
    planner = _Planner(schema, catalog, auth, page_size=page_size)
    table = planner.table(table_name)
    node = ReadNode(table, planner.next_alias())
    node.policy = planner.policy(table.name, "select", node.alias)
    node.view = planner.inline_view(table)
    for item in select:
        planner.add_item(node, item, Shape(), (node.alias,))
    planner.add_conditions(node, filters, ())
    return node


def _check_paths(root: ReadNode, shape: Shape) -> None:
    """Filters/order/limit on an embed path that was not selected are PGRST108."""
    for mapping in (shape.filters, shape.order, shape.limit, shape.offset):
        for path in mapping:
            node = root
            for key in path:
                embed = node.embed(key)
                if embed is None:
                    raise EmbedFilterNotSelected(
                        f"'{'.'.join(path)}' is not an embedded resource in this request",
                        hint=f"Verify that '{key}' is included in the 'select' query parameter.",
                    )
                node = embed.node


def plan_write(
    request: WriteRequest,
    schema: SchemaCache,
    catalog: PolicyCatalog,
    auth: Auth,
    safe_updates: bool = True,
    page_size: int = DEFAULT_PAGE_SIZE,
) -> WritePlan:
    """Plan a write; with `safe_updates`, PATCH and DELETE need a filter."""
    planner = _Planner(schema, catalog, auth, page_size=page_size)
    table = planner.table(request.table)
    representation = _representation(planner, table, request)
    alias = table.name  # RETURNING can only name the table itself
    command: Command = (
        "insert" if request.method in ("insert", "upsert") else request.method
    )  # type: ignore[assignment]
    check_writable(table, auth.bypasses_rls)
    columns, rows, missing = _body(table, request)
    target = ReadNode(table, alias)
    shape = request.shape
    planner.add_conditions(target, shape.filters.get((), ()), ())
    planner.add_order(target, shape.order.get((), ()))
    target.limit = shape.limit.get(())
    target.offset = shape.offset.get(())

    conflict: tuple[str, ...] | None = None
    if request.method == "upsert":
        conflict = table.primary_key
        chosen = _check_put(table, columns, rows, target)
        # PostgREST puts the row the URL names and drops the rest of an
        # array body (UpsertSpec: "it only puts the first element").
        rows, missing = [rows[chosen]], [missing[chosen]]
    elif request.on_conflict is not None and request.method == "insert":
        for name in request.on_conflict:
            if table.column(name) is None:
                raise ColumnNotFound(table.name, name)
        conflict = request.on_conflict
    elif request.resolution is not None and request.method == "insert":
        # Without a key there is nothing to conflict on: a plain insert.
        conflict = table.primary_key or None
    merge = request.method == "upsert" or request.resolution == "merge-duplicates"
    if (
        conflict is not None
        and request.method == "insert"
        and request.resolution is None
    ):
        # `on_conflict` alone (without a resolution) makes a plain insert in PostgREST.
        conflict = None
    if conflict is not None and table.is_view:
        # A view's primary key is its base table's, but SQLite writes a view
        # only through its `instead of` triggers, which cannot upsert.
        raise NotImplementedFeature(
            f"cannot upsert through view '{table.name}'",
            hint="Upsert into the view's base table.",
        )

    write_policy = None
    check_policy = None
    if not auth.bypasses_rls:
        if command in ("update", "delete"):
            write_policy = _and(
                catalog.predicate(table.name, command, auth.role, alias, "using"),
                catalog.predicate(table.name, "select", auth.role, alias, "using"),
            )
        if command in ("insert", "update"):
            check_policy = catalog.predicate(
                table.name, command, auth.role, alias, "check"
            )
        if conflict is not None and merge:
            # An upsert may update: the existing row must be one the caller may
            # update, and the new row must pass the update check too.
            write_policy = _and(
                catalog.predicate(table.name, "update", auth.role, alias, "using"),
                catalog.predicate(table.name, "select", auth.role, alias, "using"),
            )
            check_policy = _and(
                check_policy,
                catalog.predicate(table.name, "update", auth.role, alias, "check"),
            )

    # An empty PATCH body (`{}`, `[]`, `[{}]`) sets nothing and runs no
    # UPDATE, so it needs no filter, as in PostgREST.
    sets_nothing = request.method == "update" and not (columns and rows)
    if request.method in ("update", "delete") and safe_updates and not sets_nothing:
        _check_filtered(request)
    return WritePlan(
        method=request.method,
        table=table,
        columns=columns,
        rows=rows,
        missing=missing,
        conflict=conflict,
        merge=merge,
        target=target,
        write_policy=write_policy,
        check_policy=check_policy,
        representation=(
            representation if request.returning == "representation" else None
        ),
        use_defaults=request.missing_default,
    )


def _representation(
    planner: _Planner, table: TableInfo, request: WriteRequest
) -> ReadNode:
    """The rows a write returns, planned for every write.

    PostgREST plans the representation of every mutation, whatever it returns,
    so a parameter naming an embed, column or relation the request cannot use
    is refused before anything is written. Root filters and range select the
    written rows (`plan.target`) and root order also sorts the rows returned;
    the rest belong to embeds. With nothing to return, the select's own
    columns are never read and are not checked, as in PostgREST.
    """
    shape = request.shape
    returns_rows = request.returning == "representation"
    embed_shape = Shape(
        filters={path: value for path, value in shape.filters.items() if path},
        order={
            path: value for path, value in shape.order.items() if path or returns_rows
        },
        limit={path: value for path, value in shape.limit.items() if path},
        offset={path: value for path, value in shape.offset.items() if path},
    )
    select = request.select if returns_rows else _embeds_only(request.select)
    node = planner.read_node(table, select, embed_shape, (), renders=returns_rows)
    _check_paths(node, shape)
    return node


def _check_filtered(request: WriteRequest) -> None:
    """Refuse an UPDATE or DELETE of every row, as pg-safeupdate does.

    A root filter or a root `limit`/`offset` (which PostgREST turns into a
    WHERE on the row ids) makes the statement filtered; policies do not.
    """
    shape = request.shape
    if shape.filters.get(()) or () in shape.limit or () in shape.offset:
        return
    raise WhereClauseRequired(request.method.upper())


def _embeds_only(select: tuple[SelectItem, ...]) -> tuple[SelectItem, ...]:
    """The embeds of a select list, each keeping only its own embeds."""
    return tuple(
        replace(item, select=_embeds_only(item.select))
        for item in select
        if isinstance(item, Embed)
    )


def _and(left: Sql | None, right: Sql | None) -> Sql | None:
    if left is None:
        return right
    if right is None:
        return left
    return left.wrap("(", ") AND (") + right.wrap("", ")")


def _body(table: TableInfo, request: WriteRequest):
    if request.rows is None:
        return (), [], []
    names = request.columns
    if names is None:
        names = tuple(request.rows[0].keys()) if request.rows else ()
    columns = []
    for name in names:
        info = table.column(name)
        if info is None:
            raise BodyColumnNotFound(table.name, name)
        if info.generated:
            raise InvalidValue(
                f'cannot insert a non-DEFAULT value into column "{name}"',
                details=f'Column "{name}" is a generated column.',
            )
        columns.append(info)
    rows: list[list[object]] = []
    missing: list[list[bool]] = []
    for row in request.rows:
        values, absent = [], []
        for info in columns:
            present = info.name in row
            absent.append(not present)
            values.append(
                coerce.body_value(info, row.get(info.name)) if present else None
            )
        rows.append(values)
        missing.append(absent)
    return tuple(columns), rows, missing


def _check_put(
    table: TableInfo, columns, rows: list[list[object]], target: ReadNode
) -> int:
    """Check PUT's filters; return the index of the body row the URL names."""
    if not table.primary_key:
        raise InvalidPutFilters(
            f"table '{table.name}' has no primary key; PUT needs one"
        )
    eq = {}
    for condition in target.conditions:
        if (
            isinstance(condition, FilterPlan)
            and condition.op == "eq"
            and not condition.negated
            and not condition.field.json_path
        ):
            eq[condition.field.column.name] = condition.values[0]
    if set(eq) != set(table.primary_key) or len(target.conditions) != len(
        table.primary_key
    ):
        raise InvalidPutFilters(
            "Filters must include all and only primary key columns with 'eq' operators",
        )
    names = [column.name for column in columns]
    for index, row in enumerate(rows):
        body = dict(zip(names, row))
        if all(key in body and body[key] == value for key, value in eq.items()):
            return index
    raise PutPrimaryKeyMismatch(
        "Payload values do not match URL in primary key column(s)"
    )
