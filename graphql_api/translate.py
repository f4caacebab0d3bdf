"""Turn a validated GraphQL selection into the requests `/rest/v1` builds.

Each collection becomes a `Connection`, each record selection a tuple of
`SelectItem`s (columns, to-one `Embed`s, nested `Connection`s, `NodeId`,
`__typename` as `Constant`), each filter `Filter`/`Logic` conditions with the
raw text a PostgREST filter carries, so `database/plan.py` resolves and
coerces them exactly as it does for REST.
"""

from __future__ import annotations

import base64
import binascii
import enum
from dataclasses import dataclass

import orjson
from graphql import FieldNode, FragmentDefinitionNode, GraphQLSchema
from graphql.execution.collect_fields import collect_sub_fields
from graphql.execution.values import get_argument_values
from graphql.type import GraphQLObjectType

from database.types import (
    AggregateField,
    Column,
    Condition,
    Connection,
    ConnectionPart,
    Constant,
    EdgePart,
    Embed,
    FieldRef,
    Filter,
    ForeignKeyRef,
    Logic,
    NodeId,
    OrderTerm,
    SelectItem,
)
from graphql_api.errors import GraphQLRequestError
from graphql_api.schema import SchemaInfo, TableType, aggregate_type_name

FALSE = Logic("or", ())

_ORDER = {
    "AscNullsFirst": (False, True),
    "AscNullsLast": (False, False),
    "DescNullsFirst": (True, True),
    "DescNullsLast": (True, False),
}
_COMPARE = {"eq", "neq", "gt", "gte", "lt", "lte"}


@dataclass(slots=True)
class Context:
    info: SchemaInfo
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, object]

    @property
    def schema(self) -> GraphQLSchema:
        return self.info.graphql

    def object_type(self, name: str) -> GraphQLObjectType:
        found = self.schema.get_type(name)
        assert isinstance(found, GraphQLObjectType)
        return found

    def subfields(
        self, type_name: str, nodes: list[FieldNode]
    ) -> dict[str, list[FieldNode]]:
        return collect_sub_fields(
            self.schema,
            self.fragments,
            self.variables,
            self.object_type(type_name),
            nodes,
        )

    def arguments(self, parent_type: str, nodes: list[FieldNode]) -> dict[str, object]:
        definition = self.object_type(parent_type).fields[nodes[0].name.value]
        return get_argument_values(definition, nodes[0], self.variables)


# ---------------------------------------------------------------- values


def text(value: object) -> str:
    """A GraphQL input value as the text a PostgREST filter carries."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _array_literal(values: object) -> str:
    items = values if isinstance(values, list) else [values]
    quoted = (
        '"' + text(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in items
    )
    return "{" + ",".join(quoted) + "}"


def _escape_like(prefix: str) -> str:
    return "".join("\\" + c if c in "\\%_*" else c for c in prefix)


def decode_id(value: str) -> list[object]:
    """A node id: a base64 JSON array."""
    try:
        decoded = orjson.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        decoded = None
    if not isinstance(decoded, list):
        raise GraphQLRequestError("Invalid value passed to nodeId argument")
    return decoded


def decode_cursor(value: str) -> tuple[object, ...]:
    """A cursor: a base64 JSON array, refused with pg_graphql's numbered
    messages (`Cursor::from_str`): 1 not base64, 2 not UTF-8, 3 not JSON,
    4 not an array."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise GraphQLRequestError("Failed to decode cursor, error 1") from None
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise GraphQLRequestError("Failed to decode cursor, error 2") from None
    try:
        decoded = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise GraphQLRequestError("Failed to decode cursor, error 3") from None
    if not isinstance(decoded, list):
        raise GraphQLRequestError("Failed to decode cursor, error 4")
    return tuple(decoded)


def node_filters(table: TableType, node_id: str) -> tuple[Condition, ...]:
    """The primary key filters `node_id` names, or a filter no row passes
    when it names another table."""
    parts = decode_id(node_id)
    keys = table.table.primary_key
    if len(parts) != len(keys) + 2 or parts[:2] != ["public", table.table.name]:
        return (FALSE,)
    return tuple(
        Filter(FieldRef(key), "eq", text(value)) for key, value in zip(keys, parts[2:])
    )


def primary_key_filters(
    table: TableType, args: dict[str, object]
) -> tuple[Condition, ...]:
    """`<table>ByPk`'s arguments as filters (the schema makes each required)."""
    return tuple(
        Filter(FieldRef(key), "eq", text(args[key])) for key in table.table.primary_key
    )


def filters(table: TableType, value: object) -> tuple[Condition, ...]:
    """`<Table>Filter` → conditions, all of which must hold; empty `and`,
    `or` and `not` are ignored, as in pg_graphql."""
    if not value:
        return ()
    conditions: list[Condition] = []
    for key, operand in dict(value).items():
        if operand is None:
            continue
        if key in ("and", "or"):
            children = [Logic("and", filters(table, item)) for item in operand]
            if children:
                conditions.append(Logic(key, tuple(children)))
        elif key == "not":
            inner = filters(table, operand)
            if inner:
                conditions.append(Logic("and", inner, negated=True))
        elif key == "nodeId":
            if operand.get("eq") is not None:
                conditions.append(Logic("and", node_filters(table, operand["eq"])))
        else:
            conditions.extend(_column_filters(key, dict(operand)))
    return tuple(conditions)


def _column_filters(column: str, ops: dict[str, object]) -> list[Condition]:
    field = FieldRef(column)
    out: list[Condition] = []
    for op, value in ops.items():
        if value is None:
            continue
        if op in _COMPARE and not isinstance(value, list):
            out.append(Filter(field, op, text(value)))  # type: ignore[arg-type]
        elif op == "eq":  # a list column equal to the list given
            literal = _array_literal(value)
            out.append(Filter(field, "cs", literal))
            out.append(Filter(field, "cd", literal))
        elif op == "in":
            out.append(Filter(field, "in", tuple(text(v) for v in value)))  # type: ignore[union-attr]
        elif op == "is":
            out.append(
                Filter(field, "is", "null" if text(value) == "NULL" else "not_null")
            )
        elif op == "like":
            out.append(Filter(field, "like", text(value).replace("*", "\\*")))
        elif op == "ilike":
            out.append(Filter(field, "ilike", text(value)))
        elif op == "startsWith":
            out.append(Filter(field, "like", _escape_like(text(value)) + "%"))
        elif op in ("regex", "iregex"):
            out.append(
                Filter(field, "match" if op == "regex" else "imatch", text(value))
            )
        else:
            kind = {"contains": "cs", "containedBy": "cd", "overlaps": "ov"}[op]
            out.append(Filter(field, kind, _array_literal(value)))  # type: ignore[arg-type]
    return out


def order(value: object) -> tuple[OrderTerm, ...]:
    terms = []
    for item in value or ():
        for column, direction in dict(item).items():
            if direction is None:
                continue
            descending, nulls_first = _ORDER[text(direction)]
            terms.append(OrderTerm(FieldRef(column), descending, nulls_first))
    return tuple(terms)


# ---------------------------------------------------------------- selections


def record(
    ctx: Context, type_name: str, nodes: list[FieldNode]
) -> tuple[SelectItem, ...]:
    """The select list of a record type's selection."""
    table = ctx.info.tables[type_name]
    items: list[SelectItem] = []
    for key, fields in ctx.subfields(type_name, nodes).items():
        name = fields[0].name.value
        if name == "__typename":
            items.append(Constant(key, type_name))
        elif name == "nodeId":
            items.append(NodeId(key))
        else:
            info = table.fields[name]
            if info.kind == "column":
                assert info.column is not None
                items.append(Column(FieldRef(name), key, _output_cast(info.column)))
            elif info.kind == "to_one":
                items.append(
                    Embed(
                        info.target,
                        record(ctx, info.target, fields),
                        alias=key,
                        foreign_key=info.foreign_key,
                    )
                )
            else:
                args = ctx.arguments(type_name, fields)
                items.append(
                    connection(ctx, info.target, key, fields, args, info.foreign_key)
                )
    return tuple(items)


def _output_cast(column) -> str | None:
    """BigInt, BigFloat and JSON travel as strings in pg_graphql."""
    from graphql_api.schema import scalar_name

    if column.kind == "array":
        return None
    return "text" if scalar_name(column) in ("BigInt", "BigFloat", "JSON") else None


def _aggregate(
    ctx: Context, type_name: str, nodes: list[FieldNode]
) -> tuple[AggregateField, ...]:
    """The fields of `<Table>Aggregate` selected in `nodes`."""
    found: list[AggregateField] = []
    aggregate_type = f"{type_name}Aggregate"
    for key, fields in ctx.subfields(aggregate_type, nodes).items():
        name = fields[0].name.value
        if name == "__typename":
            found.append(AggregateField("typename", key, aggregate_type))
        elif name == "count":
            found.append(AggregateField("count", key))
        else:
            result_type = aggregate_type_name(type_name, name)
            columns = tuple(
                (column_key, column_fields[0].name.value)
                for column_key, column_fields in ctx.subfields(
                    result_type, fields
                ).items()
            )
            found.append(AggregateField(name, key, result_type, columns))  # type: ignore[arg-type]
    return tuple(found)


def connection(
    ctx: Context,
    type_name: str,
    key: str,
    nodes: list[FieldNode],
    args: dict[str, object],
    foreign_key: ForeignKeyRef | None = None,
) -> Connection:
    table = ctx.info.tables[type_name]
    first, last = args.get("first"), args.get("last")
    before, after = args.get("before"), args.get("after")
    offset = args.get("offset")
    # pg_graphql's order of checks (`to_connection_builder`): signs, then
    # cursors, then the combinations.
    for name, value in (("first", first), ("last", last), ("offset", offset)):
        if value is not None and value < 0:  # type: ignore[operator]
            raise GraphQLRequestError(f"`{name}` must be an unsigned integer")
    before_cursor = None if before is None else decode_cursor(str(before))
    after_cursor = None if after is None else decode_cursor(str(after))
    if first is not None and last is not None:
        raise GraphQLRequestError('only one of "first" and "last" may be provided')
    if before is not None and after is not None:
        raise GraphQLRequestError('only one of "before" and "after" may be provided')
    if first is not None and before is not None:
        raise GraphQLRequestError('"first" may only be used with "after"')
    if last is not None and after is not None:
        raise GraphQLRequestError('"last" may only be used with "before"')
    if offset is not None and (last is not None or before is not None):
        raise GraphQLRequestError('"offset" may only be used with "first" and "after"')
    cursor = before_cursor if before_cursor is not None else after_cursor
    parts: list[ConnectionPart] = []
    connection_type = f"{type_name}Connection"
    for part_key, fields in ctx.subfields(connection_type, nodes).items():
        name = fields[0].name.value
        if name == "__typename":
            parts.append(ConnectionPart("typename", part_key, connection_type))
        elif name == "totalCount":
            parts.append(ConnectionPart("totalCount", part_key))
        elif name == "aggregate":
            aggregate = _aggregate(ctx, type_name, fields)
            parts.append(ConnectionPart("aggregate", part_key, aggregate=aggregate))
        elif name == "pageInfo":
            info = []
            for info_key, info_fields in ctx.subfields("PageInfo", fields).items():
                info_name = info_fields[0].name.value
                if info_name == "__typename":
                    info_name = "__typename:PageInfo"
                info.append((info_key, info_name))
            parts.append(ConnectionPart("pageInfo", part_key, fields=tuple(info)))
        else:
            edge = []
            edge_type = f"{type_name}Edge"
            for edge_key, edge_fields in ctx.subfields(edge_type, fields).items():
                edge_name = edge_fields[0].name.value
                if edge_name == "__typename":
                    edge.append(EdgePart("typename", edge_key, edge_type))
                elif edge_name == "cursor":
                    edge.append(EdgePart("cursor", edge_key))
                else:
                    select = record(ctx, type_name, edge_fields)
                    edge.append(EdgePart("node", edge_key, select=select))
            parts.append(ConnectionPart("edges", part_key, edge=tuple(edge)))
    return Connection(
        relation=table.table.name,
        alias=key,
        parts=tuple(parts),
        foreign_key=foreign_key,
        filters=filters(table, args.get("filter")),
        order=order(args.get("orderBy")),
        first=first,  # type: ignore[arg-type]
        last=last,  # type: ignore[arg-type]
        offset=offset,  # type: ignore[arg-type]
        cursor=cursor,
        backward=last is not None or before is not None,
    )
