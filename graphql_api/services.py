"""Run a GraphQL document: parse, bound, validate, then one SQL statement per
root query field and one transaction per mutation field.

The response is assembled from the JSON text SQLite builds; no Python object
is made per row. Introspection (`__schema`, `__type`) runs through
graphql-core's executor, on the graphene schema.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import orjson
from django.conf import settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.collect_fields import collect_fields
from graphql.execution.values import get_variable_values
from graphql.validation import NoSchemaIntrospectionCustomRule

from accounts.keys import Auth
from database import services as data
from database.errors import MaxAffectedExceeded
from database.executor import catalog
from database.sql import Sql
from database.timelimit import time_limit
from database.types import Shape, WriteRequest
from graphql_api import limits, translate
from graphql_api.errors import GraphQLRequestError
from graphql_api.schema import SchemaInfo, schema_for
from koyalite.errors import KoyaError

# pg_graphql parses documents of any size; a bound keeps parsing cheap.
MAX_TOKENS = 20_000


@dataclass(frozen=True, slots=True)
class GraphQLRequest:
    query: str
    variables: dict[str, object] | None = None
    operation_name: str | None = None


def _error(message: str, nodes=None, path=None) -> dict:
    error: dict = {"message": message}
    if nodes:
        error["locations"] = [
            {"line": loc.line, "column": loc.column}
            for loc in (GraphQLError(message, nodes).locations or [])
        ]
    if path:
        error["path"] = path
    return error


def _errors(errors: list[dict]) -> bytes:
    return orjson.dumps({"data": None, "errors": errors})


class _Documents:
    """Parsed and validated documents by query text, per schema: apps send
    the same few queries again and again, and validating one costs more than
    running it."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._items: OrderedDict[tuple[int, str], DocumentNode | bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, info: SchemaInfo, query: str) -> DocumentNode | bytes:
        """The document, or the error body it earns."""
        key = (id(info), query)
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        found = _check(info, query)
        with self._lock:
            self._items[key] = found
            if len(self._items) > self._size:
                self._items.popitem(last=False)
        return found


_documents = _Documents()


class _Statements:
    """Compiled collection statements by everything they depend on: schema,
    policies, role, document, operation, field and variables. Auth values
    are parameters bound per run, so one statement serves every user of a
    role."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: OrderedDict[tuple, Sql] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Sql | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple, sql: Sql) -> None:
        with self._lock:
            self._items[key] = sql
            if len(self._items) > self._size:
                self._items.popitem(last=False)


_statements = _Statements()


def _check(info: SchemaInfo, query: str) -> DocumentNode | bytes:
    try:
        document = parse(query, max_tokens=MAX_TOKENS)
    except GraphQLError as error:
        return _errors([error.formatted])
    try:
        limits.check(document)
    except GraphQLRequestError as error:
        return _errors([{"message": str(error)}])
    rules = list(specified_rules)
    if not settings.GRAPHQL_INTROSPECTION:
        rules.append(NoSchemaIntrospectionCustomRule)
    problems = validate(info.graphql, document, rules, max_errors=20)
    if problems:
        return _errors([problem.formatted for problem in problems])
    return document


def run(request: GraphQLRequest, auth: Auth, allow_mutations: bool = True) -> bytes:
    """The response body of a GraphQL request; errors are in the body."""
    schema, _ = catalog()
    info = schema_for(schema)
    document = _documents.get(info, request.query)
    if isinstance(document, bytes):
        return document
    operation = _operation(document, request.operation_name)
    if isinstance(operation, str):
        return _errors([{"message": operation}])
    if operation.operation == OperationType.SUBSCRIPTION:
        return _errors([{"message": "Subscriptions are not supported"}])
    if operation.operation == OperationType.MUTATION and not allow_mutations:
        return _errors([{"message": "Mutations are not allowed over GET"}])
    variables = get_variable_values(
        info.graphql, operation.variable_definitions or (), request.variables or {}
    )
    if isinstance(variables, list):
        return _errors([problem.formatted for problem in variables])
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    ctx = translate.Context(info, fragments, variables)
    is_mutation = operation.operation == OperationType.MUTATION
    root = info.graphql.mutation_type if is_mutation else info.graphql.query_type
    assert root is not None
    fields = collect_fields(
        info.graphql, fragments, variables, root, operation.selection_set
    )
    parts: list[bytes] = []
    for key, nodes in fields.items():
        try:
            value = _root_field(ctx, root.name, key, nodes, auth, document, request)
        except KoyaError as error:
            return _errors([_error(_message(error), nodes, [key])])
        parts.append(orjson.dumps(key) + b":" + value)
    return b'{"data":{' + b",".join(parts) + b"}}"


def _message(error: KoyaError) -> str:
    return error.message if hasattr(error, "message") else str(error)  # type: ignore[attr-defined]


def _operation(
    document: DocumentNode, name: str | None
) -> OperationDefinitionNode | str:
    operations = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    if name:
        for operation in operations:
            if operation.name is not None and operation.name.value == name:
                return operation
        return "Operation name not found"
    if len(operations) != 1:
        return (
            "Operation name must be provided when the document holds several operations"
        )
    return operations[0]


def _root_field(
    ctx: translate.Context,
    root: str,
    key: str,
    nodes: list[FieldNode],
    auth: Auth,
    document: DocumentNode,
    request: GraphQLRequest,
) -> bytes:
    name = nodes[0].name.value
    info = ctx.info
    if name == "__typename":
        return orjson.dumps(root)
    if name in ("__schema", "__type"):
        return _introspect(info, key, nodes, document, ctx.variables)
    args = ctx.arguments(root, nodes)
    with time_limit(settings.GRAPHQL_TIME_LIMIT_MS):
        if name == "node":
            return _node(ctx, nodes, str(args["nodeId"]), auth)
        if name in info.query_fields:
            return _collection(
                ctx, info.query_fields[name], key, nodes, args, auth, request
            )
    kind, type_name = info.mutation_fields[name]
    return _mutate(ctx, kind, type_name, nodes, args, auth)


def _collection(
    ctx: translate.Context,
    type_name: str,
    key: str,
    nodes: list[FieldNode],
    args: dict[str, object],
    auth: Auth,
    request: GraphQLRequest,
) -> bytes:
    schema, policies = catalog()
    variables = orjson.dumps(ctx.variables, option=orjson.OPT_SORT_KEYS, default=str)
    cache_key = (
        id(schema),
        id(policies),
        auth.role,
        request.query,
        request.operation_name,
        key,
        variables,
    )
    sql = _statements.get(cache_key)
    if sql is None:
        connection = translate.connection(ctx, type_name, key, nodes, args)
        sql = data.prepare_connection(connection, auth, schema, policies)
        _statements.put(cache_key, sql)
    return str(data.run_json(sql, auth)).encode()


def _node(
    ctx: translate.Context, nodes: list[FieldNode], node_id: str, auth: Auth
) -> bytes:
    parts = translate.decode_id(node_id)
    if len(parts) < 3 or parts[0] != "public" or not isinstance(parts[1], str):
        raise GraphQLRequestError("Invalid value passed to nodeId argument")
    table = ctx.info.tables.get(parts[1])
    if table is None:
        return b"null"
    select = translate.record(ctx, parts[1], nodes)
    found = data.read_record(
        table.table.name, select, translate.node_filters(table, node_id), auth
    )
    return b"null" if found is None else found.encode()


def _input_row(table: translate.TableType, value: object) -> dict[str, object]:
    row: dict[str, object] = {}
    for column, item in dict(value).items():
        info = table.fields[column].column
        if info is not None and info.kind == "json" and isinstance(item, str):
            try:
                item = orjson.loads(item)
            except orjson.JSONDecodeError:
                raise GraphQLRequestError(
                    f"Invalid JSON for column '{column}'"
                ) from None
        row[column] = translate.text(item) if hasattr(item, "value") else item
    return row


def _mutate(
    ctx: translate.Context,
    kind: str,
    type_name: str,
    nodes: list[FieldNode],
    args: dict[str, object],
    auth: Auth,
) -> bytes:
    table = ctx.info.tables[type_name]
    response_type = f"{type_name}{kind.capitalize()}Response"
    fields = ctx.subfields(response_type, nodes)
    select: tuple = ()
    wants_records = False
    for _, selected in fields.items():
        if selected[0].name.value == "records":
            select = select + translate.record(ctx, type_name, selected)
            wants_records = True
    shape = Shape()
    rows = None
    at_most = None
    if kind == "insert":
        objects = list(args.get("objects") or ())
        if not objects:
            raise GraphQLRequestError("At least one record must be provided to objects")
        rows = tuple(_input_row(table, item) for item in objects)
    else:
        at_most = int(args.get("atMost", 1))  # type: ignore[call-overload]
        shape = Shape(filters={(): translate.filters(table, args.get("filter"))})
        if kind == "update":
            values = _input_row(table, args.get("set") or {})
            if not values:
                raise GraphQLRequestError(
                    "At least one mapping must be provided to set argument"
                )
            rows = (values,)
    write = WriteRequest(
        table=table.table.name,
        method=kind,  # type: ignore[arg-type]
        rows=rows,
        shape=shape,
        select=select,
        returning="representation" if wants_records else "minimal",
        max_affected=at_most,
    )
    try:
        result = data.write(write, auth, safe_updates=False)
    except MaxAffectedExceeded:
        raise GraphQLRequestError(f"{kind} impacts too many records") from None
    out: list[bytes] = []
    for key, selected in fields.items():
        name = selected[0].name.value
        if name == "affectedCount":
            value = str(result.affected).encode()
        elif name == "__typename":
            value = orjson.dumps(response_type)
        else:
            value = result.body or b"[]"
        out.append(orjson.dumps(key) + b":" + value)
    return b"{" + b",".join(out) + b"}"


def _introspect(
    info: SchemaInfo,
    key: str,
    nodes: list[FieldNode],
    document: DocumentNode,
    variables: dict[str, object],
) -> bytes:
    """One introspection field, run by graphql-core on the graphene schema."""
    fragments = [
        d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    ]
    operation = OperationDefinitionNode(
        operation=OperationType.QUERY,
        selection_set=SelectionSetNode(selections=tuple(nodes[:1])),
        variable_definitions=(),
        directives=(),
    )
    result = execute(
        info.graphql,
        DocumentNode(definitions=(operation, *fragments)),
        variable_values=variables,
    )
    if result.errors:
        raise GraphQLRequestError(result.errors[0].message)
    assert result.data is not None
    return orjson.dumps(next(iter(result.data.values())))
