"""Turn a plan into the one SQL statement a request runs.

The only module that writes a request's SQL, and so the only place row-level
security predicates are placed into queries: every table node (top level,
embeds, junction tables, counts, `!inner` and related-order subqueries, write
targets) gets its policy here. Reads build their JSON inside SQLite —
`json_object` per row, concatenated into the response body — so no Python
object is made per row. Values only travel as parameters; names only through
`quote_ident`; JSON keys are parameters too, since aliases are user text.

A raise in this module is a bug: every user mistake is caught by `plan`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import orjson

from database.plan import (
    CASTS,
    EmbedNullPlan,
    FieldPlan,
    FilterPlan,
    LogicPlan,
    OrderPlan,
    OutColumn,
    OutConnection,
    OutConstant,
    OutCount,
    OutEmbed,
    OutNodeId,
    PartPlan,
    ReadNode,
    ReadPlan,
    WritePlan,
    compares_json,
)
from database.relationships import Relationship
from database.sql import Sql, param, quote_ident
from database.types import JsonStep
from database.views import InlinedView

TRUE = Sql("1")
FALSE = Sql("0")
# SQLite's default limit on function arguments is 127 (100 on old builds); keep
# every json_object call well under it and extend larger objects in steps.
_PAIRS_PER_CALL = 40


def q(name: str) -> str:
    return quote_ident(name)


def col(alias: str, name: str) -> str:
    return f"{q(alias)}.{q(name)}"


# ---------------------------------------------------------------- values


def json_path_text(steps: tuple[JsonStep, ...]) -> str:
    """A JSON path in SQLite's syntax: `data->0->a->>-1` is `$[0]."a"[#-1]`.

    One path string rather than a chain of `->`: SQLite reads a bare label
    that starts with a digit (`0xy1`) as an array index.
    """
    parts = ["$"]
    for step in steps:
        key = step.key
        if isinstance(key, int):
            parts.append(f"[{key}]" if key >= 0 else f"[#{key}]")
        else:
            parts.append(f'."{key}"')  # plan refuses keys holding '"'
    return "".join(parts)


def field_value(field: FieldPlan, alias: str, scalar: bool = False) -> Sql:
    """The SQL value of a field, as filters and order compare it.

    The last step of a JSON path decides the type: `->>` is a SQL value, `->`
    JSON text, or with `scalar` the SQL value too (a number compares as a
    number, as jsonb's do).
    """
    if not field.json_path:
        return Sql(col(alias, field.column.name))
    arrow = "->>" if scalar else field.json_path[-1].arrow
    return _path_value(field, alias, arrow)


def _path_value(field: FieldPlan, alias: str, arrow: str) -> Sql:
    return Sql(
        f"({col(alias, field.column.name)} {arrow} ?)",
        (json_path_text(field.json_path),),
    )


def _boolean(value: Sql, true: str, false: str) -> Sql:
    """`value` as a Postgres boolean spelt `true`/`false`; NULL stays NULL."""
    return Sql(
        f"CASE WHEN {value.text} IS NULL THEN NULL WHEN {value.text} THEN {true} ELSE {false} END",
        value.params * 2,
    )


def _real(value: Sql) -> Sql:
    """`value` as JSON; a REAL in the fewest digits that read back as itself
    (`koyalite_real`, see `database/sqlite/base.py`), not SQLite's 15."""
    text = value.text
    return Sql(
        f"CASE WHEN typeof({text}) = 'real' THEN json(koyalite_real({text})) ELSE {text} END",
        value.params * 3,
    )


def _path_text(field: FieldPlan, alias: str) -> Sql:
    """What `->>` yields in Postgres: text, for numbers and booleans too (as
    the document writes them); SQLite's `->>` yields those as SQL values."""
    path = json_path_text(field.json_path)
    kind = Sql(f"json_type({col(alias, field.column.name)}, ?)", (path,))
    # Concatenation drops the JSON subtype `->` gives (CAST keeps it), so
    # json_object writes a string.
    written = _path_value(field, alias, "->").wrap("(", " || '')")
    return (
        Sql("CASE WHEN ")
        + kind
        + Sql(" IN ('integer', 'real', 'true', 'false') THEN ")
        + written
        + Sql(" ELSE ")
        + _path_value(field, alias, "->>")
        + Sql(" END")
    )


def output_value(field: FieldPlan, alias: str) -> Sql:
    """The field as a JSON-typed value for json_object."""
    value = field_value(field, alias)
    kind = field.column.kind
    if field.cast is not None:
        target = CASTS[field.cast]
        if target == "text":
            if kind == "boolean" and not field.json_path:
                return _boolean(value, "'true'", "'false'")
            return value.wrap("CAST(", " AS TEXT)")
        # Checked: 'baz'::integer is 22P02, not SQLite's 0.
        cast = value.wrap("koyalite_cast(", "") + Sql(", ?)", (field.cast,))
        if target == "integer":
            return cast
        if target == "numeric":
            return _real(cast)
        if target == "boolean":
            return _boolean(cast, "json('true')", "json('false')")
        return cast.wrap("json(", ")")
    if field.json_path:
        if field.json_path[-1].arrow == "->":
            return value
        return _path_text(field, alias)
    if kind in ("boolean", "numeric"):
        return json_number_or_boolean(value, kind)
    if kind in ("json", "array"):
        return Sql(f"iif(json_valid({value.text}), json({value.text}), {value.text})")
    if kind == "blob":
        return Sql(
            f"iif({value.text} IS NULL, NULL, '\\x' || lower(hex({value.text})))"
        )
    return value


def json_number_or_boolean(value: Sql, kind: str) -> Sql:
    """A boolean or numeric SQL value as JSON writes it: `true`/`false`, or
    a REAL in its fewest digits."""
    if kind == "boolean":
        return _boolean(value, "json('true')", "json('false')")
    return _real(value)


def json_object(pairs: list[tuple[str, Sql]], key: Callable[[str], Sql] = param) -> Sql:
    """A JSON object of `pairs`; keys are bound parameters unless `key` says
    otherwise (`literal` in a trigger's body, which cannot take parameters)."""
    if not pairs:
        return Sql("json_object()")
    head, rest = pairs[:_PAIRS_PER_CALL], pairs[_PAIRS_PER_CALL:]
    result = (
        Sql("json_object(")
        + Sql.join((key(k) + Sql(", ") + v for k, v in head), ", ")
        + Sql(")")
    )
    while rest:
        chunk, rest = rest[:_PAIRS_PER_CALL], rest[_PAIRS_PER_CALL:]
        # json_insert paths are `$."key"`: quote the key for the path language.
        parts = [
            key('$."' + k.replace('"', '\\"') + '"') + Sql(", ") + v for k, v in chunk
        ]
        result = (
            Sql("json_insert(") + result + Sql(", ") + Sql.join(parts, ", ") + Sql(")")
        )
    return result


def text_object(pairs: list[tuple[str, Sql]], texts: set[str]) -> Sql:
    """A JSON object of `pairs` concatenated as text; the values named in
    `texts` are JSON text already, the others are quoted as `json_object`
    would. GraphQL's connections are built this way: in `json_object` a page
    of rows held as text would go through `json()`, which parses it again at
    every level it is nested in."""
    if not pairs:
        return Sql("'{}'")
    parts = [
        param(("{" if i == 0 else ",") + orjson.dumps(key).decode() + ":")
        + Sql(" || ")
        + (value if key in texts else value.wrap("json_quote(", ")"))
        for i, (key, value) in enumerate(pairs)
    ]
    return _concat([*parts, Sql("'}'")])


def _concat(parts: list[Sql]) -> Sql:
    """`a || b || …`, in parenthesised halves past 64 terms: a flat chain of
    hundreds would pass SQLite's limit on the depth of an expression, and
    each parenthesis takes room on its parser's stack, which nested
    collections fill."""
    if len(parts) <= 64:
        return Sql.join(parts, " || ")
    half = len(parts) // 2
    return (
        _concat(parts[:half]).wrap("(", ")")
        + Sql(" || ")
        + _concat(parts[half:]).wrap("(", ")")
    )


# ---------------------------------------------------------------- conditions


def _glob_pattern(pattern: str) -> str:
    """Translate a Postgres LIKE pattern (`*` allowed for `%`) to a GLOB pattern,
    since SQLite's LIKE ignores case and Postgres' does not."""
    out: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(f"[{char}]" if char in "*?[" else char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "%*":
            out.append("*")
        elif char == "_":
            out.append("?")
        elif char in "?[":
            out.append(f"[{char}]")
        else:
            out.append(char)
    return "".join(out)


def _like_pattern(pattern: str) -> str:
    return pattern.replace("*", "%")


_COMPARISONS = {"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _one(op: str, value: Sql, operand: object) -> Sql:
    if op in _COMPARISONS:
        return value + Sql(f" {_COMPARISONS[op]} ?", (operand,))
    if op == "like":
        return value + Sql(" GLOB ?", (_glob_pattern(str(operand)),))
    if op == "ilike":
        return value + Sql(" LIKE ? ESCAPE '\\'", (_like_pattern(str(operand)),))
    if op == "match":
        return value + Sql(" REGEXP ?", (str(operand),))
    if op == "imatch":
        return value + Sql(" REGEXP ?", ("(?i)" + str(operand),))
    raise AssertionError(op)


# Operators that compare what a `->` path holds as a SQL value.
_SCALAR_OPS = frozenset({"gt", "gte", "lt", "lte", "like", "ilike", "match", "imatch"})


def filter_sql(condition: FilterPlan, alias: str) -> Sql:
    op = condition.op
    value = field_value(condition.field, alias, scalar=op in _SCALAR_OPS)
    if compares_json(condition.field, op):
        value = value.wrap("koyalite_jsonb(", ")")
    values = condition.values
    if op == "is":
        keyword = {
            "null": "IS NULL",
            "not_null": "IS NOT NULL",
            "true": "IS TRUE",
            "false": "IS FALSE",
            "unknown": "IS NULL",
        }[str(values[0])]
        sql = value + Sql(" " + keyword)
    elif op == "isdistinct":
        sql = value + Sql(" IS NOT ?", (values[0],))
    elif op == "in":
        if not values:
            sql = FALSE
        else:
            sql = value + Sql(
                " IN (" + ", ".join("?" * len(values)) + ")", tuple(values)
            )
    elif op in ("cs", "cd", "ov"):
        sql = _containment(op, value, values[0], condition.field.column.kind == "json")
    elif condition.quantifier is not None:
        joiner = " OR " if condition.quantifier == "any" else " AND "
        parts = [_one(op, value, v) for v in values]
        sql = (
            Sql.join(parts, joiner).wrap("(", ")")
            if parts
            else (FALSE if condition.quantifier == "any" else TRUE)
        )
    else:
        sql = _one(op, value, values[0])
    if condition.negated:
        return sql.wrap("NOT (", ")")
    return sql


def _containment(op: str, value: Sql, operand: object, is_json: bool) -> Sql:
    if is_json:
        # Top-level containment for objects: every key/value of the operand is
        # in the column; arrays fall through to element containment below.
        obj = (
            Sql(
                "CASE WHEN json_type(?) = 'object' THEN NOT EXISTS (SELECT 1 FROM json_each(?) AS o "
                "WHERE json_extract(",
                (operand, operand),
            )
            + value
            + Sql(", '$.\"' || o.key || '\"') IS NOT o.value) ELSE ")
        )
        return obj + _array_containment(op, value, operand) + Sql(" END")
    return _array_containment(op, value, operand)


def _array_containment(op: str, value: Sql, operand: object) -> Sql:
    # NULL contains nothing and is contained by nothing, as in Postgres.
    test = (value + Sql(" IS NOT NULL AND ")) + _array_test(op, value, operand)
    return test.wrap("(", ")")


def _array_test(op: str, value: Sql, operand: object) -> Sql:
    if op == "cs":
        return (
            Sql(
                "NOT EXISTS (SELECT 1 FROM json_each(?) AS w WHERE w.value NOT IN (SELECT value FROM json_each(",
                (operand,),
            )
            + value
            + Sql(")))")
        )
    if op == "cd":
        return (
            Sql("NOT EXISTS (SELECT 1 FROM json_each(")
            + value
            + Sql(
                ") AS h WHERE h.value NOT IN (SELECT value FROM json_each(?)))",
                (operand,),
            )
        )
    return (
        Sql("EXISTS (SELECT 1 FROM json_each(")
        + value
        + Sql(") AS h WHERE h.value IN (SELECT value FROM json_each(?)))", (operand,))
    )


def condition_sql(condition, node: ReadNode) -> Sql:
    if isinstance(condition, FilterPlan):
        return filter_sql(condition, node.alias)
    if isinstance(condition, LogicPlan):
        joiner = " AND " if condition.op == "and" else " OR "
        parts = [condition_sql(child, node) for child in condition.children]
        if not parts:
            sql = TRUE if condition.op == "and" else FALSE
        else:
            sql = Sql.join(parts, joiner).wrap("(", ")")
        return sql.wrap("NOT ", "") if condition.negated else sql
    if isinstance(condition, EmbedNullPlan):
        exists = _exists(condition.embed, node.alias)
        return exists.wrap("NOT ", "") if condition.is_null else exists
    raise AssertionError(condition)


def where_parts(node: ReadNode) -> list[Sql]:
    parts: list[Sql] = []
    if node.policy is not None:
        parts.append(node.policy.wrap("(", ")"))
    for condition in node.conditions:
        parts.append(condition_sql(condition, node))
    for item in node.items:
        if isinstance(item, OutEmbed) and item.inner:
            parts.append(_exists(item, node.alias))
    return parts


def where_clause(node: ReadNode, extra: list[Sql] | None = None) -> Sql:
    parts = where_parts(node) + (extra or [])
    if not parts:
        return Sql("")
    return Sql(" WHERE ") + Sql.join(parts, " AND ")


# ---------------------------------------------------------------- embeds


def join_sql(relationship: Relationship, parent_alias: str, child_alias: str) -> Sql:
    if relationship.junction is None:
        pairs = zip(relationship.child_columns, relationship.parent_columns)
        return Sql(
            " AND ".join(
                f"{col(child_alias, c)} = {col(parent_alias, p)}" for c, p in pairs
            )
        )
    junction_alias = child_alias + "j"
    conditions = [
        f"{col(junction_alias, j)} = {col(child_alias, c)}"
        for j, c in zip(relationship.junction_child, relationship.child_columns)
    ] + [
        f"{col(junction_alias, j)} = {col(parent_alias, p)}"
        for j, p in zip(relationship.junction_parent, relationship.parent_columns)
    ]
    if relationship.junction_view is None:
        junction = Sql(q(relationship.junction.name))
    else:
        junction = view_sql(relationship.junction_view).wrap("(", ")")
    sql = (
        Sql("EXISTS (SELECT 1 FROM ")
        + junction
        + Sql(f" AS {q(junction_alias)} WHERE " + " AND ".join(conditions))
    )
    if relationship.junction_policy is not None:
        sql = sql + relationship.junction_policy.wrap(" AND (", ")")
    return sql + Sql(")")


def from_sql(node: ReadNode) -> Sql:
    """` FROM <table> AS <alias>`; a security_invoker view is inlined."""
    if node.view is None:
        return Sql(f" FROM {q(node.table.name)} AS {q(node.alias)}")
    return Sql(" FROM ") + view_sql(node.view).wrap("(", f") AS {q(node.alias)}")


def view_sql(view: InlinedView) -> Sql:
    """A security_invoker view's query with each table it reads replaced by
    that table filtered by the caller's select policy, as Postgres reads it.

    The query is the view's own text from the database, so it may be written
    out; a CTE gives the result the view's column names, in case the view
    renames them (`create view v (a, b) as …`).
    """
    text = view.query.text
    parts: list[Sql] = []
    position = 0
    for reference, source in view.sources:
        parts.append(Sql(text[position : reference.start]))
        if isinstance(source, InlinedView):
            inner = view_sql(source)
        else:
            inner = Sql(
                f"SELECT * FROM {q(source.table.name)} AS {q(source.alias)} WHERE "
            ) + source.policy.wrap("(", ")")
        parts.append(inner.wrap("(", ")"))
        if not reference.has_alias:
            parts.append(Sql(f" AS {q(reference.name)}"))
        position = reference.end
    parts.append(Sql(text[position:]))
    name = q(view.view.name)
    columns = ", ".join(q(column) for column in view.view.columns)
    # The newline ends a `--` comment the query may end with.
    return (
        Sql(f"WITH {name}({columns}) AS (")
        + Sql.join(parts, "")
        + Sql(f"\n) SELECT * FROM {name}")
    )


def _from_child(embed: OutEmbed, parent_alias: str) -> Sql:
    node = embed.node
    extra = [join_sql(embed.relationship, parent_alias, node.alias)]
    return from_sql(node) + where_clause(node, extra)


def _exists(embed: OutEmbed, parent_alias: str) -> Sql:
    return Sql("EXISTS (SELECT 1") + _from_child(embed, parent_alias) + Sql(")")


def _is_count_only(node: ReadNode) -> bool:
    return bool(node.items) and all(isinstance(item, OutCount) for item in node.items)


def embed_value(embed: OutEmbed, parent_alias: str) -> Sql:
    node = embed.node
    if _is_count_only(node):
        count = Sql("(SELECT count(*)") + _from_child(embed, parent_alias) + Sql(")")
        obj = json_object([(item.key, count) for item in node.items])
        return obj if embed.relationship.to_one else obj.wrap("json_array(", ")")
    if embed.relationship.to_one:
        inner = (
            Sql("SELECT ")
            + object_sql(node)
            + _from_child(embed, parent_alias)
            + Sql(" LIMIT 1")
        )
        return inner.wrap("json((", "))")
    rows = (
        Sql("SELECT ")
        + object_sql(node)
        + Sql(" AS j")
        + _from_child(embed, parent_alias)
    )
    rows = rows + order_sql(node) + limit_sql(node.limit, node.offset)
    return rows.wrap(
        "json((SELECT '[' || coalesce(group_concat(j, ','), '') || ']' FROM (", ")))"
    )


def _spread_pairs(embed: OutEmbed, parent_alias: str) -> list[tuple[str, Sql]]:
    pairs = []
    for key, value in object_pairs(embed.node):
        sub = (
            Sql("(SELECT ")
            + value
            + _from_child(embed, parent_alias)
            + Sql(" LIMIT 1)")
        )
        pairs.append((key, sub))
    return pairs


def object_pairs(node: ReadNode) -> list[tuple[str, Sql]]:
    pairs: list[tuple[str, Sql]] = []
    for item in node.items:
        if isinstance(item, OutColumn):
            pairs.append((item.key, output_value(item.field, node.alias)))
        elif isinstance(item, OutConstant):
            pairs.append((item.key, param(item.value)))
        elif isinstance(item, OutNodeId):
            pairs.append((item.key, node_id_value(node)))
        elif isinstance(item, OutConnection):
            pairs.append((item.key, connection_value(item, node.alias)))
        elif isinstance(item, OutEmbed) and not item.is_empty:
            if item.spread:
                pairs.extend(_spread_pairs(item, node.alias))
            else:
                pairs.append((item.key, embed_value(item, node.alias)))
    return pairs


def object_sql(node: ReadNode) -> Sql:
    """The row's object: JSON text when it holds a connection (see
    `text_object`), else a JSON value."""
    pairs = object_pairs(node)
    connections = {item.key for item in node.items if isinstance(item, OutConnection)}
    return text_object(pairs, connections) if connections else json_object(pairs)


# ---------------------------------------------------------------- connections
#
# A GraphQL collection renders as a Relay connection, built in SQLite like any
# other read: the page's rows are the node's rows (policy, filters, join to the
# parent) after the cursor, in the node's total order (reversed when paging
# backwards), limited; `row_number()` keeps the page's order for rendering.


def _json_bool(value: Sql) -> Sql:
    return Sql("iif(") + value + Sql(", json('true'), json('false'))")


def node_id_value(node: ReadNode) -> Sql:
    """pg_graphql's `nodeId`: base64 of `["public", table, *primary key]`."""
    keys = [
        output_value(FieldPlan(node.table.columns[key]), node.alias)
        for key in node.table.primary_key
    ]
    return (
        Sql("koyalite_b64json(json_array('public', ?, ", (node.table.name,))
        + Sql.join(keys, ", ")
        + Sql("))")
    )


def cursor_value(node: ReadNode) -> Sql:
    """A row's cursor: base64 of its values of the order's terms."""
    values = [output_value(term.field, node.alias) for term in node.order]
    return Sql("koyalite_b64json(json_array(") + Sql.join(values, ", ") + Sql("))")


def _after(order: list[OrderPlan], values: tuple[object, ...], alias: str) -> Sql:
    """Rows strictly after the cursor `values` in `order`, NULLs placed as
    each term says: after on the first term, or equal on it and after on
    the rest."""
    if not order:
        return FALSE
    term, value = order[0], values[0]
    column = field_value(term.field, alias)
    if value is None:
        strict = column + Sql(" IS NOT NULL") if term.nulls_first else FALSE
        equal = column + Sql(" IS NULL")
    else:
        strict = column + Sql(" < ?" if term.descending else " > ?", (value,))
        if not term.nulls_first:
            strict = (strict + Sql(" OR ") + column + Sql(" IS NULL")).wrap("(", ")")
        equal = column + Sql(" = ?", (value,))
    rest = _after(order[1:], values[1:], alias)
    return (strict + Sql(" OR (") + equal + Sql(" AND ") + rest + Sql("))")).wrap(
        "(", ""
    )


def _reversed(node: ReadNode) -> ReadNode:
    order = [
        replace(term, descending=not term.descending, nulls_first=not term.nulls_first)
        for term in node.order
    ]
    return replace(node, order=order)


def connection_value(conn: OutConnection, parent_alias: str | None) -> Sql:
    """The connection object of `conn` (under the parent row `parent_alias`)
    as JSON text."""
    node = conn.node
    fetch = _reversed(node) if conn.backward else node
    join = []
    if conn.relationship is not None and parent_alias is not None:
        join = [join_sql(conn.relationship, parent_alias, node.alias)]
    matching = from_sql(node) + where_clause(node, join)
    after = (
        [] if conn.cursor is None else [_after(fetch.order, conn.cursor, node.alias)]
    )
    paged = from_sql(node) + where_clause(node, join + after)
    window = limit_sql(conn.limit, conn.offset)
    shown = " ORDER BY rn DESC" if conn.backward else " ORDER BY rn"

    def page(columns: Sql, numbered: bool = True) -> Sql:
        # Numbered rows keep the page's order through an outer query.
        number = Sql("")
        if numbered:
            number = Sql(", row_number() OVER (") + order_sql(fetch) + Sql(") AS rn")
        return Sql("SELECT ") + columns + number + paged + order_sql(fetch) + window

    pairs: list[tuple[str, Sql]] = []
    texts: set[str] = set()
    for part in conn.parts:
        if part.kind == "typename":
            pairs.append((part.key, param(part.value)))
        elif part.kind == "totalCount":
            pairs.append((part.key, Sql("(SELECT count(*)") + matching + Sql(")")))
        elif part.kind == "aggregate":
            # Over every matching row, as totalCount: paging does not apply.
            aggregates = (
                Sql("(SELECT ") + _aggregate_object(part, node.alias) + matching
            )
            pairs.append((part.key, aggregates + Sql(")")))
        elif part.kind == "edges":
            # Forwards the fetch order is the order shown: no numbering needed.
            rows = page(_edge_object(part, node) + Sql(" AS j"), conn.backward)
            if conn.backward:
                rows = Sql("SELECT j FROM (") + rows + Sql(")" + shown)
            pairs.append(
                (
                    part.key,
                    Sql(
                        "(SELECT '[' || coalesce(group_concat(j, ','), '') || ']' FROM ("
                    )
                    + rows
                    + Sql("))"),
                )
            )
            texts.add(part.key)
        else:
            pairs.append(
                (part.key, _page_info(part, conn, fetch, matching, paged, page))
            )
    return text_object(pairs, texts)


def _aggregate_object(part: PartPlan, alias: str) -> Sql:
    """pg_graphql's `aggregate` object: count(*) and sum/avg/min/max of
    columns, as JSON numbers (BigInt and BigFloat included) or the column's
    own JSON value; avg always as a number."""
    pairs: list[tuple[str, Sql]] = []
    for aggregate in part.aggregate:
        if aggregate.kind == "count":
            pairs.append((aggregate.key, Sql("count(*)")))
        elif aggregate.kind == "typename":
            pairs.append((aggregate.key, param(aggregate.value)))
        else:
            columns: list[tuple[str, Sql]] = []
            for key, field in aggregate.columns:
                if field is None:
                    columns.append((key, param(aggregate.value)))
                    continue
                value = field_value(field, alias).wrap(f"{aggregate.kind}(", ")")
                kind = "numeric" if aggregate.kind == "avg" else field.column.kind
                if kind in ("boolean", "numeric"):
                    value = json_number_or_boolean(value, kind)
                columns.append((key, value))
            pairs.append((aggregate.key, json_object(columns)))
    return json_object(pairs)


def _edge_object(part: PartPlan, node: ReadNode) -> Sql:
    pairs: list[tuple[str, Sql]] = []
    texts: set[str] = set()
    for edge in part.edge:
        if edge.kind == "typename":
            pairs.append((edge.key, param(edge.value)))
        elif edge.kind == "cursor":
            pairs.append((edge.key, cursor_value(node)))
        else:
            assert edge.node is not None
            pairs.append((edge.key, object_sql(edge.node)))
            if any(isinstance(item, OutConnection) for item in edge.node.items):
                texts.add(edge.key)
    return text_object(pairs, texts) if texts else json_object(pairs)


def _page_info(
    part: PartPlan,
    conn: OutConnection,
    fetch: ReadNode,
    matching: Sql,
    paged: Sql,
    page: Callable[[Sql], Sql],
) -> Sql:
    node = conn.node
    pairs: list[tuple[str, Sql]] = []
    for key, name in part.fields:
        if name.startswith("__typename:"):
            pairs.append((key, param(name.split(":", 1)[1])))
        elif name in ("startCursor", "endCursor"):
            first_shown = name == "startCursor"
            # Rows are fetched in reverse when paging backwards.
            order = (
                " ORDER BY rn" if first_shown != conn.backward else " ORDER BY rn DESC"
            )
            rows = page(cursor_value(node) + Sql(" AS c"))
            pairs.append(
                (key, Sql("(SELECT c FROM (") + rows + Sql(")" + order + " LIMIT 1)"))
            )
        elif (name == "hasNextPage") != conn.backward:
            # Beyond the page, in fetch order: one row more than the page holds.
            more = (
                Sql("SELECT 1")
                + paged
                + order_sql(fetch)
                + Sql(" LIMIT ? OFFSET ?", (conn.limit + 1, conn.offset))
            )
            count = Sql("(SELECT count(*) > ? FROM (", (conn.limit,)) + more + Sql("))")
            pairs.append((key, _json_bool(count)))
        else:
            # Before the page, as pg_graphql tells: the first of all matching
            # rows in fetch order is not on the page.
            keys = ", ".join(col(node.alias, k) for k in node.table.primary_key)
            on_page = (
                Sql(f"SELECT {keys}")
                + paged
                + order_sql(fetch)
                + limit_sql(conn.limit, conn.offset)
            )
            first = (
                Sql(f"SELECT ({keys}) NOT IN (")
                + on_page
                + Sql(")")
                + matching
                + order_sql(fetch)
                + Sql(" LIMIT 1")
            )
            pairs.append((key, _json_bool(first.wrap("coalesce((", "), 0)"))))
    return json_object(pairs)


def compile_connection(conn: OutConnection) -> Sql:
    """One statement returning the connection's JSON text."""
    return Sql("SELECT ") + connection_value(conn, None)


def compile_record(node: ReadNode) -> Sql:
    """One statement returning the first matching row's object, or NULL."""
    return (
        Sql("SELECT (SELECT ")
        + object_sql(node)
        + from_sql(node)
        + where_clause(node)
        + Sql(" LIMIT 1)")
    )


# ---------------------------------------------------------------- order/limit


def order_sql(node: ReadNode) -> Sql:
    if not node.order:
        return Sql("")
    parts = []
    for term in node.order:
        if term.embed is not None:
            child = term.embed.node
            value = (
                Sql("(SELECT ")
                + field_value(term.field, child.alias, scalar=True)
                + _from_child(term.embed, node.alias)
                + Sql(" LIMIT 1)")
            )
        else:
            value = field_value(term.field, node.alias, scalar=True)
        direction = " DESC" if term.descending else " ASC"
        nulls = ""
        if term.embed is not None or term.field.json_path or term.field.column.nullable:
            nulls = " NULLS FIRST" if term.nulls_first else " NULLS LAST"
        # A column that cannot hold NULL needs no NULLS clause, and leaving it
        # out lets SQLite walk an index instead of sorting: its indexes order
        # NULLs opposite to Postgres' defaults.
        parts.append(value + Sql(direction + nulls))
    return Sql(" ORDER BY ") + Sql.join(parts, ", ")


def limit_sql(limit: int | None, offset: int | None) -> Sql:
    if limit is None and not offset:
        return Sql("")
    return Sql(" LIMIT ? OFFSET ?", (-1 if limit is None else limit, offset or 0))


# ---------------------------------------------------------------- reads


def compile_read(plan: ReadPlan, max_rows: int | None = None) -> Sql:
    """One statement returning (total or NULL, rows in page, JSON body text)."""
    node = plan.root
    limit = node.limit
    if max_rows is not None:
        limit = max_rows if limit is None else min(limit, max_rows)
    source = from_sql(node) + where_clause(node)
    rows = (
        Sql("SELECT ")
        + object_sql(node)
        + Sql(" AS j")
        + source
        + order_sql(node)
        + limit_sql(limit, node.offset)
    )
    total = (Sql("(SELECT count(*)") + source + Sql(")")) if plan.count else Sql("NULL")
    return (
        Sql("SELECT ")
        + total
        + Sql(", count(*), '[' || coalesce(group_concat(j, ','), '') || ']' FROM (")
        + rows
        + Sql(")")
    )


# ---------------------------------------------------------------- writes


def _check_column(plan: WritePlan) -> Sql:
    if plan.check_policy is None:
        return Sql("1")
    return plan.check_policy.wrap("(", ")")


def compile_insert(plan: WritePlan, columns: list[int], rows_json: str) -> Sql:
    """INSERT the rows of `rows_json` (a JSON array of value arrays in `columns`
    order) and return (rowid, passes check) per written row."""
    table = plan.table
    names = [plan.columns[i].name for i in columns]
    target = f"INSERT INTO {q(table.name)}"
    if not names:
        # Every column takes its default; SQLite inserts one row per statement.
        return Sql(f"{target} DEFAULT VALUES RETURNING rowid, ") + _check_column(plan)
    values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(names)))
    sql = Sql(
        f"{target} ({', '.join(q(n) for n in names)}) SELECT {values} FROM json_each(?) WHERE true",
        (rows_json,),
    )
    if plan.conflict is not None:
        sql = sql + Sql(f" ON CONFLICT ({', '.join(q(c) for c in plan.conflict)})")
        # With only key columns to set, setting them to themselves still
        # makes the existing row part of the result, as in PostgREST.
        updatable = [n for n in names if n not in plan.conflict] or names
        if plan.merge:
            sets = ", ".join(f"{q(n)} = excluded.{q(n)}" for n in updatable)
            sql = sql + Sql(f" DO UPDATE SET {sets}")
            if plan.write_policy is not None:
                # The existing row must be one the caller may update; otherwise
                # an upsert would overwrite another user's row.
                sql = sql + plan.write_policy.wrap(" WHERE ", "")
        else:
            sql = sql + Sql(" DO NOTHING")
    return sql + Sql(" RETURNING rowid, ") + _check_column(plan)


def compile_conflicting(
    plan: WritePlan, columns: list[int], rows_json: str
) -> Sql | None:
    """The rowids of stored rows an upsert of `rows_json` would update; None
    when the rows do not carry every conflict column (nothing can conflict)."""
    names = [plan.columns[i].name for i in columns]
    if not all(name in names for name in plan.conflict or ()):
        return None
    table = q(plan.table.name)
    matches = " AND ".join(
        f"{table}.{q(name)} = json_extract(w.value, '$[{names.index(name)}]')"
        for name in plan.conflict or ()
    )
    return Sql(
        f"SELECT {table}.rowid FROM json_each(?) AS w JOIN {table} ON {matches}",
        (rows_json,),
    )


def _target_filter(plan: WritePlan) -> Sql:
    node = plan.target
    parts = []
    if plan.write_policy is not None:
        parts.append(plan.write_policy.wrap("(", ")"))
    parts.extend(condition_sql(c, node) for c in node.conditions)
    if node.limit is not None or node.offset:
        inner = Sql(f"SELECT rowid FROM {q(node.table.name)}") + where_clause(node)
        if plan.write_policy is not None:
            inner = inner + plan.write_policy.wrap(
                " AND (" if where_parts(node) else " WHERE (", ")"
            )
        inner = inner + order_sql(node) + limit_sql(node.limit, node.offset)
        parts = [inner.wrap("rowid IN (", ")")]
    if not parts:
        return Sql("")
    return Sql(" WHERE ") + Sql.join(parts, " AND ")


def compile_update(plan: WritePlan) -> Sql:
    sets = ", ".join(f"{q(c.name)} = ?" for c in plan.columns)
    sql = Sql(f"UPDATE {q(plan.table.name)} SET {sets}", tuple(plan.rows[0]))
    return sql + _target_filter(plan) + Sql(" RETURNING rowid, ") + _check_column(plan)


def compile_target(plan: WritePlan) -> Sql:
    """The rowids of the rows an UPDATE or DELETE of `plan` would write."""
    return Sql(f"SELECT rowid FROM {q(plan.table.name)}") + _target_filter(plan)


def compile_delete(plan: WritePlan, rowids_json: str | None = None) -> Sql:
    """DELETE the target rows, or the rows of `rowids_json` (a JSON array of
    rowids from `compile_target`), returning the rowid of each."""
    sql = Sql(f"DELETE FROM {q(plan.table.name)}")
    if rowids_json is None:
        sql = sql + _target_filter(plan)
    else:
        sql = sql + Sql(
            " WHERE rowid IN (SELECT value FROM json_each(?))", (rowids_json,)
        )
    return sql + Sql(" RETURNING rowid")


def compile_read_back(node: ReadNode, rowids_json: str) -> Sql:
    """Read written rows back: (rows the select policy shows, rows returned,
    JSON body), in the node's order and otherwise in write order.

    The two counts differ when an `!inner` embed drops a row from the body;
    only a row the policy hides means the caller may not read what it wrote.
    """
    alias = q(node.alias)
    source = Sql(
        f" FROM json_each(?) AS w JOIN {q(node.table.name)} AS {alias} ON {alias}.rowid = w.value",
        (rowids_json,),
    )
    policy = node.policy.wrap(" WHERE (", ")") if node.policy is not None else Sql("")
    visible = Sql("(SELECT count(*)") + source + policy + Sql(")")
    rows = (
        Sql("SELECT ") + object_sql(node) + Sql(" AS j") + source + where_clause(node)
    )
    order = order_sql(node)
    rows = rows + (order + Sql(", w.key") if node.order else Sql(" ORDER BY w.key"))
    return (
        Sql("SELECT ")
        + visible
        + Sql(", count(*), '[' || coalesce(group_concat(j, ','), '') || ']' FROM (")
        + rows
        + Sql(")")
    )
