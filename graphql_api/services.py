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
from database.schema import SchemaCache
from database.sql import Sql
from database.timelimit import time_limit
from database.types import Shape, WriteRequest
from graphql_api import limits, translate
from graphql_api.errors import GraphQLRequestError
from graphql_api.schema import SchemaInfo, schema_for
from koyalite.errors import KoyaError
from rls.services import PolicyCatalog

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


class _Cache:
    """A bounded LRU of work done for one schema and one set of policies.

    Meeting another schema or policy catalog (the executor hands out one
    object per version) empties it: nothing worked out for an old version is
    served, and keys need not name the version.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._owners: tuple[object, ...] = ()
        self._lock = threading.Lock()

    def _same(self, owners: tuple[object, ...]) -> bool:
        return len(owners) == len(self._owners) and all(
            a is b for a, b in zip(owners, self._owners, strict=True)
        )

    def get(self, owners: tuple[object, ...], key: tuple) -> object | None:
        with self._lock:
            if not self._same(owners):
                return None
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, owners: tuple[object, ...], key: tuple, value: object) -> None:
        with self._lock:
            if not self._same(owners):
                self._items.clear()
                self._owners = owners
            self._items[key] = value
            if len(self._items) > self._size:
                self._items.popitem(last=False)


# Parsed and validated documents by query text: apps send the same few
# queries again and again, and validating one costs more than running it.
_documents = _Cache(256)


def _document(info: SchemaInfo, query: str) -> DocumentNode | bytes:
    """The document, or the error body it earns."""
    found = _documents.get((info,), (query,))
    if found is None:
        found = _check(info, query)
        _documents.put((info,), (query,), found)
    return found  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class _Field:
    """A root field compiled: its statement, or its value when it needs none."""

    key: str
    nodes: list[FieldNode]
    value: Sql | bytes


# Queries compiled whole, by role, document, operation and variables. A query
# whose root fields are all collections runs from here as one bound statement
# per field, with no GraphQL work; auth values are parameters bound per run,
# so one entry serves every user of a role.
_prepared = _Cache(512)


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
    schema, policies = catalog()
    owners = (schema, policies)
    key = (
        auth.role,
        request.query,
        request.operation_name,
        orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS),
    )
    prepared = _prepared.get(owners, key)
    if prepared is None:
        body, prepared = _run(request, auth, allow_mutations, schema, policies)
        if prepared is not None:
            _prepared.put(owners, key, prepared)
        return body
    return _run_prepared(prepared, auth)  # type: ignore[arg-type]


def _run_prepared(fields: tuple[_Field, ...], auth: Auth) -> bytes:
    parts: list[bytes] = []
    for field in fields:
        value = field.value
        if isinstance(value, Sql):
            try:
                with time_limit(settings.GRAPHQL_TIME_LIMIT_MS):
                    value = str(data.run_json(value, auth)).encode()
            except KoyaError as error:
                return _errors([_error(_message(error), field.nodes, [field.key])])
        parts.append(orjson.dumps(field.key) + b":" + value)
    return b'{"data":{' + b",".join(parts) + b"}}"


def _run(
    request: GraphQLRequest,
    auth: Auth,
    allow_mutations: bool,
    schema: SchemaCache,
    policies: PolicyCatalog,
) -> tuple[bytes, tuple[_Field, ...] | None]:
    """The response body, and the query compiled whole when it can run again
    from `_prepared` (root fields all collections or `__typename`)."""
    info = schema_for(schema, policies)
    document = _document(info, request.query)
    if isinstance(document, bytes):
        return document, None
    operation = _operation(document, request.operation_name)
    if isinstance(operation, str):
        return _errors([{"message": operation}]), None
    if operation.operation == OperationType.SUBSCRIPTION:
        return _errors([{"message": "Subscriptions are not supported"}]), None
    if operation.operation == OperationType.MUTATION and not allow_mutations:
        return _errors([{"message": "Mutations are not allowed over GET"}]), None
    variables = get_variable_values(
        info.graphql, operation.variable_definitions or (), request.variables or {}
    )
    if isinstance(variables, list):
        return _errors([problem.formatted for problem in variables]), None
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
    if not is_mutation and all(
        nodes[0].name.value == "__typename" or nodes[0].name.value in info.query_fields
        for nodes in fields.values()
    ):
        prepared = []
        for key, nodes in fields.items():
            try:
                value = _compile(ctx, root.name, key, nodes, auth, schema, policies)
            except KoyaError as error:
                return _errors([_error(_message(error), nodes, [key])]), None
            prepared.append(_Field(key, nodes, value))
        return _run_prepared(tuple(prepared), auth), tuple(prepared)
    parts: list[bytes] = []
    for key, nodes in fields.items():
        try:
            value = _root_field(ctx, root.name, key, nodes, auth, document, operation)
        except KoyaError as error:
            return _errors([_error(_message(error), nodes, [key])]), None
        parts.append(orjson.dumps(key) + b":" + value)
    return b'{"data":{' + b",".join(parts) + b"}}", None


def _compile(
    ctx: translate.Context,
    root: str,
    key: str,
    nodes: list[FieldNode],
    auth: Auth,
    schema: SchemaCache,
    policies: PolicyCatalog,
) -> Sql | bytes:
    """A collection root field's statement, or `__typename`'s value."""
    name = nodes[0].name.value
    if name == "__typename":
        return orjson.dumps(root)
    args = ctx.arguments(root, nodes)
    connection = translate.connection(
        ctx, ctx.info.query_fields[name], key, nodes, args
    )
    return data.prepare_connection(connection, auth, schema, policies)


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
    operation: OperationDefinitionNode,
) -> bytes:
    name = nodes[0].name.value
    info = ctx.info
    if name == "__typename":
        return orjson.dumps(root)
    if name in ("__schema", "__type"):
        return _introspect(info, key, nodes, document, operation, ctx.variables)
    args = ctx.arguments(root, nodes)
    with time_limit(settings.GRAPHQL_TIME_LIMIT_MS):
        if name == "node":
            return _node(ctx, nodes, str(args["nodeId"]), auth)
        if name in info.by_primary_key:
            type_name = info.by_primary_key[name]
            keys = translate.primary_key_filters(info.tables[type_name], args)
            return _record(ctx, type_name, nodes, keys, auth)
        if name in info.query_fields:
            connection = translate.connection(
                ctx, info.query_fields[name], key, nodes, args
            )
            return str(data.read_connection(connection, auth)).encode()
    kind, type_name = info.mutation_fields[name]
    return _mutate(ctx, kind, type_name, nodes, args, auth)


def _node(
    ctx: translate.Context, nodes: list[FieldNode], node_id: str, auth: Auth
) -> bytes:
    parts = translate.decode_id(node_id)
    if len(parts) < 3 or parts[0] != "public" or not isinstance(parts[1], str):
        raise GraphQLRequestError("Invalid value passed to nodeId argument")
    table = ctx.info.tables.get(parts[1])
    if table is None:
        return b"null"
    return _record(ctx, parts[1], nodes, translate.node_filters(table, node_id), auth)


def _record(
    ctx: translate.Context,
    type_name: str,
    nodes: list[FieldNode],
    filters: tuple[translate.Condition, ...],
    auth: Auth,
) -> bytes:
    """The one row of `type_name` that `filters` find, or null."""
    select = translate.record(ctx, type_name, nodes)
    table = ctx.info.tables[type_name].table.name
    found = data.read_record(table, select, filters, auth)
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
    query: OperationDefinitionNode,
    variables: dict[str, object],
) -> bytes:
    """One introspection field, run by graphql-core on the graphene schema."""
    fragments = [
        d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    ]
    operation = OperationDefinitionNode(
        operation=OperationType.QUERY,
        selection_set=SelectionSetNode(selections=tuple(nodes[:1])),
        # The field may use the query's variables (`__type(name: $t)`).
        variable_definitions=query.variable_definitions,
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
