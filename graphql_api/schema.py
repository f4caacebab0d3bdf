"""The GraphQL schema pg_graphql would reflect from the user tables.

Built with graphene from the schema cache, named as pg_graphql names things
with inflection off (Supabase's default), and cached per schema version.
Beside the graphene schema, `SchemaInfo` says what each GraphQL field is in
SQL terms (a column, a foreign key, a table), for `translate`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

import graphene
from graphql import GraphQLSchema

from database.relationships import relationships_of
from database.schema import ColumnInfo, SchemaCache, TableInfo
from database.types import ForeignKeyRef
from rls.catalog import PolicyCatalog

_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")
_RESERVED = {
    "Query", "Mutation", "Node", "PageInfo", "Cursor", "BigInt", "BigFloat",
    "UUID", "JSON", "Date", "Datetime", "Time", "Opaque", "FilterIs",
    "OrderByDirection", "Int", "Float", "String", "Boolean", "ID",
}  # fmt: skip


def _scalar(name: str, description: str) -> type[graphene.Scalar]:
    """A scalar passed as given: values are coerced by `database/coerce.py`."""

    def same(value):
        return value

    def literal(node, _variables=None):
        return getattr(node, "value", None)

    return type(
        name,
        (graphene.Scalar,),
        {
            "Meta": type("Meta", (), {"name": name, "description": description}),
            "serialize": staticmethod(same),
            "parse_value": staticmethod(same),
            "parse_literal": staticmethod(literal),
        },
    )


@dataclass(frozen=True, slots=True)
class FieldInfo:
    kind: str  # column, to_one, to_many
    column: ColumnInfo | None = None
    target: str = ""  # table a relationship reaches
    foreign_key: ForeignKeyRef | None = None  # the relationship, exactly
    required: bool = False  # a to-one field that is never null (non-null type)


@dataclass(slots=True)
class TableType:
    table: TableInfo
    fields: dict[str, FieldInfo] = field(default_factory=dict)


@dataclass(slots=True)
class SchemaInfo:
    graphql: GraphQLSchema
    tables: dict[str, TableType]  # by GraphQL type name (= table name)
    query_fields: dict[str, str]  # `<t>Collection` → type name
    by_primary_key: dict[str, str]  # `<t>ByPk` → type name
    mutation_fields: dict[str, tuple[str, str]]  # field → (kind, type name)


def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def scalar_name(column: ColumnInfo) -> str:
    """The GraphQL scalar of a column, as pg_graphql maps Postgres types."""
    kind = column.element_kind if column.kind == "array" else column.kind
    if kind == "integer":
        number = column.number_type
        if column.is_rowid_alias or number in ("smallint", "integer"):
            return "Int"
        return "BigInt"
    if kind == "numeric":
        return "BigFloat" if column.number_type.startswith("numeric") else "Float"
    return {
        "boolean": "Boolean",
        "uuid": "UUID",
        "date": "Date",
        "time": "Time",
        "timestamp": "Datetime",
        "timestamptz": "Datetime",
        "json": "JSON",
        "blob": "Opaque",
    }.get(kind or "text", "String")


# pg_graphql's `SupportedPrimaryKeyType`: `<table>ByPk` needs keys of these.
_KEY_KINDS = {"integer", "text", "uuid"}

AGGREGATES = ("sum", "avg", "min", "max")
_TYPE_PART = {"sum": "Sum", "avg": "Avg", "min": "Min", "max": "Max"}
_DESCRIBED = {"sum": "Sum", "avg": "Average", "min": "Minimum", "max": "Maximum"}
_OPERATION_DESCRIPTIONS = {
    "sum": "Summation aggregates for numeric fields",
    "avg": "Average aggregates for numeric fields",
    "min": "Minimum aggregates for comparable fields",
    "max": "Maximum aggregates for comparable fields",
}

_COMPARABLE = {"integer", "numeric", "text", "boolean", "date", "time", "timestamp"} | {
    "timestamptz"
}


def aggregate_type_name(table: str, operation: str) -> str:
    return f"{table}{_TYPE_PART[operation]}AggregateResult"


def aggregate_scalar(column: ColumnInfo, operation: str) -> str | None:
    """The scalar `operation` gives over `column` (pg_graphql's
    `aggregate_result_type`), None when pg_graphql does not offer it: sum and
    avg over numbers, min and max over numbers, text, booleans and times."""
    kind = column.kind
    if operation in ("sum", "avg"):
        if kind not in ("integer", "numeric"):
            return None
        return "BigInt" if operation == "sum" and kind == "integer" else "BigFloat"
    if kind not in _COMPARABLE:
        return None
    return "BigFloat" if kind == "numeric" else scalar_name(column)


def is_exposed(table: TableInfo) -> bool:
    """pg_graphql exposes tables with a primary key and a valid name."""
    return (
        bool(table.primary_key)
        and bool(_NAME.match(table.name))
        and not table.name.startswith("__")
        and table.name not in _RESERVED
    )


def _column_names(table: TableInfo) -> list[ColumnInfo]:
    return [
        c for c in table.columns.values() if _NAME.match(c.name) and c.name != "nodeId"
    ]


def relationship_fields(
    schema: SchemaCache,
    table: TableInfo,
    exposed: set[str],
    rls_tables: frozenset[str] = frozenset(),
) -> dict[str, FieldInfo]:
    """Foreign keys as fields, named as pg_graphql's
    `graphql_foreign_key_field_name` does with inflection off: a to-one field
    after this side's one column less its `Id` (`parentId` → `parent`), else
    after the other table; a to-many one `<table>Collection`. A table
    referencing itself gets both: the row it points at and those pointing
    at it. As pg_graphql's `foreign_key_type`, a to-one field on the side
    holding the key is non-null when a key column is `not null` and the
    other table has no row-level security (which could hide the row)."""
    fields: dict[str, FieldInfo] = {}
    taken = {c.name for c in table.columns.values()}
    for rel in relationships_of(schema, table):
        if rel.junction is not None or rel.child not in exposed:
            continue
        key = ForeignKeyRef(rel.name, rel.holds_key)
        if rel.to_one:
            columns = rel.parent_columns
            if len(columns) == 1 and columns[0].endswith("Id"):
                name = lower_first(columns[0][:-2])
            else:
                name = lower_first(rel.child)
            required = (
                rel.holds_key
                and rel.child not in rls_tables
                and any(not table.columns[c].nullable for c in columns)
            )
            info = FieldInfo(
                "to_one", target=rel.child, foreign_key=key, required=required
            )
        else:
            name = lower_first(rel.child) + "Collection"
            info = FieldInfo("to_many", target=rel.child, foreign_key=key)
        if name in taken or name in fields or not _NAME.match(name):
            continue  # pg_graphql drops a relationship whose name collides
        fields[name] = info
    return fields


def build(schema: SchemaCache, rls_tables: frozenset[str] = frozenset()) -> SchemaInfo:
    scalars = {
        name: _scalar(name, description)
        for name, description in (
            ("BigInt", "An arbitrary size integer represented as a string"),
            (
                "BigFloat",
                "A high precision floating point value represented as a string",
            ),
            ("UUID", "A universally unique identifier"),
            ("JSON", "A Javascript Object Notation value serialized as a string"),
            ("Date", "A date without time information"),
            ("Datetime", "A date and time"),
            ("Time", "A time without date information"),
            (
                "Cursor",
                "An opaque string using for tracking a position in results during pagination",
            ),
            ("Opaque", "Any type not handled by the type system"),
        )
    }
    builtin = {
        "Int": graphene.Int,
        "Float": graphene.Float,
        "String": graphene.String,
        "Boolean": graphene.Boolean,
        "ID": graphene.ID,
    }

    def scalar(name: str):
        return scalars.get(name) or builtin[name]

    filter_is = graphene.Enum("FilterIs", [("NULL", "NULL"), ("NOT_NULL", "NOT_NULL")])
    direction = graphene.Enum(
        "OrderByDirection",
        [
            (name, name)
            for name in (
                "AscNullsFirst",
                "AscNullsLast",
                "DescNullsFirst",
                "DescNullsLast",
            )
        ],
    )

    def input_type(name: str, fields: dict) -> type:
        return type(
            name,
            (graphene.InputObjectType,),
            {"Meta": type("Meta", (), {"name": name}), **fields},
        )

    def object_type(name: str, fields: dict, interfaces=()) -> type:
        meta = type("Meta", (), {"name": name, "interfaces": interfaces})
        return type(name, (graphene.ObjectType,), {"Meta": meta, **fields})

    ordered = ("eq", "gt", "gte", "in", "lt", "lte", "neq", "is")
    filters: dict[str, type] = {}

    def filter_type(scalar_name_: str, is_list: bool) -> type:
        name = f"{scalar_name_}{'List' if is_list else ''}Filter"
        if name in filters:
            return filters[name]
        kind = scalar(scalar_name_)
        if is_list:
            ops = {
                "contains": graphene.List(graphene.NonNull(kind)),
                "containedBy": graphene.List(graphene.NonNull(kind)),
                "eq": graphene.List(graphene.NonNull(kind)),
                "overlaps": graphene.List(graphene.NonNull(kind)),
                "is": filter_is(),
            }
        elif scalar_name_ in ("Boolean", "JSON", "Opaque"):
            ops = {"eq": kind(), "is": filter_is()}
        elif scalar_name_ in ("UUID", "ID"):
            ops = {
                "eq": kind(),
                "in": graphene.List(graphene.NonNull(kind)),
                "neq": kind(),
                "is": filter_is(),
            }
            if scalar_name_ == "ID":
                ops = {"eq": kind()}
        else:
            ops = {
                op: graphene.List(graphene.NonNull(kind))
                if op == "in"
                else (filter_is() if op == "is" else kind())
                for op in ordered
            }
            if scalar_name_ == "String":
                for op in ("startsWith", "like", "ilike", "regex", "iregex"):
                    ops[op] = kind()
        filters[name] = input_type(name, ops)
        return filters[name]

    tables = {n: t for n, t in schema.tables.items() if is_exposed(t)}
    exposed = set(tables)
    infos: dict[str, TableType] = {}
    types: dict[str, dict[str, type]] = {}

    node_interface = type(
        "Node",
        (graphene.Interface,),
        {
            "Meta": type("Meta", (), {"name": "Node"}),
            "nodeId": graphene.ID(
                required=True, description="Retrieves a record by `ID`"
            ),
        },
    )
    page_info = object_type(
        "PageInfo",
        {
            "endCursor": graphene.String(),
            "hasNextPage": graphene.Boolean(required=True),
            "hasPreviousPage": graphene.Boolean(required=True),
            "startCursor": graphene.String(),
        },
    )

    def collection_args(name: str) -> dict:
        return {
            "first": graphene.Int(
                description="Query the first `n` records in the collection"
            ),
            "last": graphene.Int(
                description="Query the last `n` records in the collection"
            ),
            "before": scalars["Cursor"](
                description="Query values in the collection before the provided cursor"
            ),
            "after": scalars["Cursor"](
                description="Query values in the collection after the provided cursor"
            ),
            "offset": graphene.Int(
                description="Skip n values from the after cursor. Alternative to cursor pagination. Backward pagination not supported."
            ),
            "filter": graphene.Argument(
                lambda: types[name]["filter"],
                description="Filters to apply to the results set when querying from the collection",
            ),
            "orderBy": graphene.List(
                lambda: graphene.NonNull(types[name]["order"]),
                description="Sort order to apply to the collection",
            ),
        }

    for name, table in tables.items():
        info = TableType(table)
        columns = _column_names(table)
        record: dict = {}
        filter_fields: dict = {
            "nodeId": graphene.Field(lambda: filter_type("ID", False))
        }
        order_fields: dict = {}
        insert_fields: dict = {}
        for column in columns:
            info.fields[column.name] = FieldInfo("column", column)
            kind = scalar(scalar_name(column))
            if column.kind == "array":
                record[column.name] = graphene.List(kind, required=not column.nullable)
            else:
                record[column.name] = graphene.Field(kind, required=not column.nullable)
            filter_fields[column.name] = graphene.Field(
                filter_type(scalar_name(column), column.kind == "array")
            )
            if column.kind not in ("json", "array", "blob"):
                order_fields[column.name] = direction()
            if not column.generated:
                insert_fields[column.name] = (
                    graphene.List(kind) if column.kind == "array" else kind()
                )
        relationships = relationship_fields(schema, table, exposed, rls_tables)
        for field_name, rel in relationships.items():
            info.fields[field_name] = rel
            target = rel.target
            if rel.kind == "to_one":
                record[field_name] = graphene.Field(
                    lambda target=target, required=rel.required: (
                        graphene.NonNull(types[target]["record"])
                        if required
                        else types[target]["record"]
                    )
                )
            else:
                record[field_name] = graphene.Field(
                    lambda target=target: graphene.NonNull(types[target]["connection"]),
                    **collection_args(target),
                )
        infos[name] = info
        aggregate_fields: dict = {
            "count": graphene.Int(
                required=True, description="The number of records matching the query"
            )
        }
        for operation in AGGREGATES:
            results = {
                column.name: scalar(found)(
                    description=f"{_DESCRIBED[operation]} of {column.name} across all matching records"
                )
                for column in columns
                if (found := aggregate_scalar(column, operation)) is not None
            }
            if results:
                aggregate_fields[operation] = graphene.Field(
                    object_type(aggregate_type_name(name, operation), results),
                    description=_OPERATION_DESCRIPTIONS[operation],
                )
        record_type = object_type(name, record, (node_interface,))
        edge = object_type(
            f"{name}Edge",
            {
                "cursor": graphene.String(required=True),
                "node": graphene.Field(record_type, required=True),
            },
        )
        connection = object_type(
            f"{name}Connection",
            {
                "edges": graphene.List(graphene.NonNull(edge), required=True),
                "pageInfo": graphene.Field(page_info, required=True),
                "totalCount": graphene.Int(
                    required=True,
                    description="The total number of records matching the `filter` criteria",
                ),
                "aggregate": graphene.Field(
                    object_type(f"{name}Aggregate", aggregate_fields),
                    description=f"Aggregate functions calculated on the collection of `{name}`",
                ),
            },
        )
        filter_fields["and"] = graphene.List(
            lambda name=name: graphene.NonNull(types[name]["filter"])
        )
        filter_fields["or"] = graphene.List(
            lambda name=name: graphene.NonNull(types[name]["filter"])
        )
        filter_fields["not"] = graphene.Field(lambda name=name: types[name]["filter"])
        types[name] = {
            "record": record_type,
            "connection": connection,
            "filter": input_type(f"{name}Filter", filter_fields),
            "order": input_type(
                f"{name}OrderBy", order_fields or {"nodeId": direction()}
            ),
            "insert": input_type(f"{name}InsertInput", insert_fields),
            "update": input_type(f"{name}UpdateInput", insert_fields),
        }
        for response in ("Insert", "Update", "Delete"):
            types[name][response] = object_type(
                f"{name}{response}Response",
                {
                    "affectedCount": graphene.Int(
                        required=True,
                        description="Count of the records impacted by the mutation",
                    ),
                    "records": graphene.List(
                        graphene.NonNull(record_type),
                        required=True,
                        description="Array of records impacted by the mutation",
                    ),
                },
            )

    query_fields: dict = {
        "node": graphene.Field(
            node_interface,
            nodeId=graphene.ID(required=True),
            description="Retrieve a record by its `ID`",
        ),
    }
    query_map: dict[str, str] = {}
    by_pk_map: dict[str, str] = {}
    mutation_fields: dict = {}
    mutation_map: dict[str, tuple[str, str]] = {}
    for name in tables:
        field_name = lower_first(name) + "Collection"
        query_fields[field_name] = graphene.Field(
            graphene.NonNull(types[name]["connection"]),
            **collection_args(name),
            description=f"A pagable collection of type `{name}`",
        )
        query_map[field_name] = name
        table = tables[name]
        if all(
            table.columns[key].kind in _KEY_KINDS and _NAME.match(key)
            for key in table.primary_key
        ):
            by_pk_name = lower_first(name) + "ByPk"
            query_fields[by_pk_name] = graphene.Field(
                types[name]["record"],
                description=f"Retrieve a record of type `{name}` by its primary key",
                # `args`, not keywords: a key column may be named `description`.
                args={
                    key: graphene.Argument(
                        graphene.NonNull(scalar(scalar_name(table.columns[key]))),
                        description=f"The record's `{key}` value",
                    )
                    for key in table.primary_key
                },
            )
            by_pk_map[by_pk_name] = name
        t = types[name]
        if t["insert"]._meta.fields:
            mutation_fields[f"insertInto{name}Collection"] = graphene.Field(
                t["Insert"],
                objects=graphene.List(graphene.NonNull(t["insert"]), required=True),
            )
            mutation_map[f"insertInto{name}Collection"] = ("insert", name)
            mutation_fields[f"update{name}Collection"] = graphene.Field(
                graphene.NonNull(t["Update"]),
                set=graphene.Argument(t["update"], required=True),
                filter=graphene.Argument(t["filter"]),
                atMost=graphene.Argument(
                    graphene.NonNull(graphene.Int), default_value=1
                ),
            )
            mutation_map[f"update{name}Collection"] = ("update", name)
        mutation_fields[f"deleteFrom{name}Collection"] = graphene.Field(
            graphene.NonNull(t["Delete"]),
            filter=graphene.Argument(t["filter"]),
            atMost=graphene.Argument(graphene.NonNull(graphene.Int), default_value=1),
        )
        mutation_map[f"deleteFrom{name}Collection"] = ("delete", name)

    query = object_type("Query", query_fields)
    mutation = object_type("Mutation", mutation_fields) if mutation_fields else None
    extra = [t["record"] for t in types.values()]
    built = graphene.Schema(
        query=query, mutation=mutation, types=extra, auto_camelcase=False
    )
    return SchemaInfo(built.graphql_schema, infos, query_map, by_pk_map, mutation_map)


_lock = threading.Lock()
_cached: list[tuple[SchemaCache, PolicyCatalog, frozenset[str], SchemaInfo]] = []


def _rls_tables(schema: SchemaCache, policies: PolicyCatalog) -> frozenset[str]:
    return frozenset(name for name in schema.tables if policies.is_enabled(name))


def schema_for(schema: SchemaCache, policies: PolicyCatalog) -> SchemaInfo:
    """The GraphQL schema of this schema cache, built once per version (the
    executor hands out one SchemaCache object per `PRAGMA schema_version`)
    and again when the tables with row-level security change (they decide
    which to-one fields are non-null); new policies alone keep it."""
    with _lock:
        if _cached:
            cached_schema, cached_policies, rls_tables, info = _cached[0]
            if cached_schema is schema:
                if cached_policies is policies:
                    return info
                if _rls_tables(schema, policies) == rls_tables:
                    _cached[0] = (schema, policies, rls_tables, info)
                    return info
        rls_tables = _rls_tables(schema, policies)
        info = build(schema, rls_tables)
        _cached[:] = [(schema, policies, rls_tables, info)]
        return info
