"""Policy expressions: parsed by sqlglot, checked against the schema, compiled to SQL.

`compile_expression` turns the text of a `using (...)` / `with check (...)`
clause into an `Sql` predicate over one row of the policy's table, addressed by
an alias the caller chooses, so one policy can be placed into any query. Only a
whitelist of Postgres syntax is accepted (see `_Compiler`); everything else is
rejected when the policy is created, naming the construct. The SQL is rebuilt
from the syntax tree, never copied from the policy text: names reach it only
through `quote_ident`, values only as bound parameters.

Supabase's helpers become `AuthValue` parameters that the executor fills from
the request (see `resolve_auth_value` for the rule): `auth.uid()`,
`auth.role()`, `auth.email()`, `auth.jwt()` and `->`/`->>` chains on it.

Subqueries (`exists (...)`, `x in (select ...)`, scalar `(select ...)`) may read
user tables and `auth.users`. They read raw rows: row-level security is not
applied inside them, as with a Postgres `security definer` helper function.
A policy can therefore see rows the requesting user cannot; that is what makes
"member of the team" policies work, and what policy authors must keep in mind.
"""

from __future__ import annotations

import difflib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from database.coerce import NOW_SQL
from database.schema import AUTH_USERS_TABLE, ColumnInfo, SchemaCache, TableInfo
from database.sql import AuthValue, Sql, param, quote_ident
from rls.errors import (
    AmbiguousColumn,
    DatatypeMismatch,
    GroupingError,
    InvalidEscapeSequence,
    InvalidTextRepresentation,
    PolicyError,
    PolicySyntaxError,
    UndefinedColumn,
    UndefinedFunction,
    UndefinedTable,
)

MAX_EXPRESSION_LENGTH = 10_000

# `now()` in the form database/coerce.py stores a timestamptz. Comparisons with
# dates and timestamps still go through julianday(), which reads every ISO 8601
# spelling (T or space, offset or none) alike.

_TEMPORAL = frozenset({"date", "time", "timestamp", "timestamptz"})
_PG_TYPE_NAMES = {
    "text": "text",
    "integer": "integer",
    "numeric": "numeric",
    "boolean": "boolean",
    "uuid": "uuid",
    "date": "date",
    "time": "time without time zone",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "json": "jsonb",
    "array": "array",
    "blob": "bytea",
    "unknown": "unknown",
}
_TRUE_WORDS = frozenset({"t", "tr", "tru", "true", "y", "ye", "yes", "on", "1"})
_FALSE_WORDS = frozenset({"f", "fa", "fal", "fals", "false", "n", "no", "off", "0"})
_CALLABLE = (
    "auth.uid(), auth.role(), auth.email(), auth.jwt(), coalesce, nullif, lower, "
    "upper, length, char_length, trim, now(), current_timestamp, current_date"
)


# ---------------------------------------------------------------- auth values


def resolve_auth_value(
    value: AuthValue, *, uid: str | None, role: str, claims: Mapping[str, object]
) -> object:
    """Return the parameter value for `value` in a request with this auth.

    - "uid": the JWT `sub` (None for anon); "role": the request role.
    - "jwt" with `as_json` (`auth.jwt()`, a chain ending in `->`): the JSON text
      of the claim at `path` (`null` for JSON null), None when it is missing.
    - "jwt" without `as_json` (a chain ending in `->>`, `auth.email()`): the
      claim as Postgres' `->>` renders it: a string as itself, JSON null or a
      missing key as None, anything else (numbers, booleans, objects) as its
      JSON text, e.g. `true`, `5`, `{"a": 1}`.
    """
    if value.kind == "uid":
        return uid
    if value.kind == "role":
        return role
    if value.kind != "jwt":
        raise ValueError(f"unknown AuthValue kind {value.kind!r}")
    node: object = claims
    for key in value.path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    if value.as_json:
        return json.dumps(node, ensure_ascii=False)
    if node is None or isinstance(node, str):
        return node
    return json.dumps(node, ensure_ascii=False)


# ---------------------------------------------------------------- compile


def compile_expression(text: str, table: str, alias: str, schema: SchemaCache) -> Sql:
    """Compile a policy expression on `table` into an SQLite predicate.

    The table's columns are emitted as `"<alias>"."<column>"`. Raises a
    `PolicyError` subclass naming the first unknown column, table or function,
    or the unsupported construct.
    """
    info = schema.find_table(table)
    if info is None:
        raise UndefinedTable(f'relation "{table}" does not exist')
    node = parse_expression(text)
    compiler = _Compiler(schema, alias)
    scope = _Scope((_Source(info.name, "public", info, alias),), None)
    try:
        return compiler.boolean(node, scope, "POLICY")
    except RecursionError:
        raise PolicySyntaxError("policy expression is nested too deeply") from None


def parse_expression(text: str) -> exp.Expression:
    """Parse one Postgres expression; raise `PolicySyntaxError` for anything else."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise PolicySyntaxError(
            f"policy expression is longer than {MAX_EXPRESSION_LENGTH} characters"
        )
    try:
        nodes = [n for n in sqlglot.parse(text, read="postgres") if n is not None]
    except ParseError as error:
        raise PolicySyntaxError(_describe_parse_error(error)) from None
    except SqlglotError as error:
        raise PolicySyntaxError(
            f"syntax error in policy expression: {str(error).splitlines()[0]}"
        ) from None
    except RecursionError:
        raise PolicySyntaxError("policy expression is nested too deeply") from None
    if not nodes:
        raise PolicySyntaxError("syntax error in policy expression at end of input")
    node = nodes[0]
    if len(nodes) != 1 or isinstance(node, exp.Block):
        raise PolicySyntaxError("a policy expression must be a single expression")
    if not isinstance(node, exp.Expression):
        raise _unsupported_text(text)
    return node


def _unsupported_text(text: str) -> PolicyError:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return PolicyError(f'unsupported syntax in policy expression: "{shown}"')


def _describe_parse_error(error: ParseError) -> str:
    details = error.errors[0] if error.errors else {}
    near = (details.get("highlight") or "").strip()
    description = details.get("description") or "invalid expression"
    if near:
        return f'syntax error in policy expression at or near "{near}": {description}'
    return f"syntax error in policy expression: {description}"


# ---------------------------------------------------------------- scopes


@dataclass(frozen=True, slots=True)
class _Source:
    """A FROM item visible to the expression."""

    name: str  # how the expression refers to it: its alias, else the table name
    schema: str | None  # "public"/"auth" unless aliased, for `public.todos.id`
    table: TableInfo
    sql_alias: str


@dataclass(frozen=True, slots=True)
class _Scope:
    sources: tuple[_Source, ...]
    parent: _Scope | None


@dataclass(frozen=True, slots=True)
class _Value:
    """Compiled SQL and the kind of value it yields ("unknown" when untyped)."""

    sql: Sql
    kind: str


def _column(
    name: str, declared: str, kind: str, primary_key: int = 0, nullable: bool = True
) -> ColumnInfo:
    return ColumnInfo(
        name=name,
        declared_type=declared,
        kind=kind,  # type: ignore[arg-type]
        element_kind=None,
        nullable=nullable,
        default=None,
        primary_key=primary_key,
        generated=False,
    )


# `auth.users` as policies see it: the columns of accounts' user table that
# Supabase's auth.users also has.
AUTH_USERS = TableInfo(
    name=AUTH_USERS_TABLE,
    columns={
        c.name: c
        for c in (
            _column("id", "uuid", "uuid", primary_key=1, nullable=False),
            _column("email", "text", "text"),
            _column("phone", "text", "text"),
            _column("raw_app_meta_data", "jsonb", "json"),
            _column("raw_user_meta_data", "jsonb", "json"),
            _column("created_at", "timestamptz", "timestamptz"),
            _column("updated_at", "timestamptz", "timestamptz"),
        )
    },
    primary_key=("id",),
    foreign_keys=(),
    unique=(("id",),),
)


def _find_column(table: TableInfo, name: str) -> ColumnInfo | None:
    column = table.columns.get(name)
    if column is not None:
        return column
    folded = name.casefold()
    matches = [c for c in table.columns.values() if c.name.casefold() == folded]
    return matches[0] if len(matches) == 1 else None


def _column_kind(column: ColumnInfo) -> str:
    # A column declared without a type holds anything: do not guess.
    return column.kind if column.declared_type.strip() else "unknown"


# ---------------------------------------------------------------- helpers


def _sql(*parts: Sql | str) -> Sql:
    """Concatenate SQL fragments; plain strings are SQL text written in this module."""
    return Sql.join((p if isinstance(p, Sql) else Sql(p) for p in parts), "")


def _unwrap(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _string_literal(node: exp.Expression) -> str | None:
    """The value of a string literal (`'x'`, `$$x$$`), else None."""
    node = _unwrap(node)
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    if isinstance(node, exp.RawString):
        return node.this
    return None


def _trivial_select(node: exp.Expression) -> exp.Expression | None:
    """The expression of `(select <expr>)` with nothing else; else None.

    Supabase recommends `(select auth.uid())` so that Postgres evaluates the
    call once per statement; here it is just the expression.
    """
    node = _unwrap(node)
    if not isinstance(node, exp.Subquery) or _extra_args(node, {"this"}):
        return None
    select = node.this
    if not isinstance(select, exp.Select) or _extra_args(select, {"expressions"}):
        return None
    if len(select.expressions) != 1:
        return None
    item = select.expressions[0]
    if isinstance(item, exp.Alias):
        item = item.this
    return None if isinstance(item, exp.Star) else item


def _extra_args(node: exp.Expression, allowed: set[str]) -> list[str]:
    return [
        key
        for key, value in node.args.items()
        if key not in allowed and value not in (None, False, [])
    ]


def _snippet(node: exp.Expression) -> str:
    try:
        text = node.sql(dialect="postgres")
    except SqlglotError:
        text = node.key.upper()
    return text if len(text) <= 60 else text[:57] + "..."


def _unsupported(node: exp.Expression) -> PolicyError:
    return PolicyError(
        f'unsupported syntax in policy expression: "{_snippet(node)}"',
        hint=f"Policy expressions may use columns, literals, comparisons, "
        f"and/or/not, is [not] null, in, like, between, casts, exists/in "
        f"subqueries and these functions: {_CALLABLE}.",
    )


def _undefined_function(name: str, node: exp.Expression) -> UndefinedFunction:
    return UndefinedFunction(
        f"function {name}() does not exist",
        details=f'in "{_snippet(node)}"',
        hint=f"Policy expressions may call {_CALLABLE}.",
    )


def _unsupported_join(join: exp.Expression) -> PolicyError:
    return PolicyError(
        f'this kind of join is not supported in policy subqueries: "{_snippet(join)}"',
        hint="Use [inner] join ... on, left join ... on, cross join or a comma.",
    )


def _parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise InvalidTextRepresentation(f'invalid input syntax for type boolean: "{text}"')


def _parse_number(text: str, kind: str) -> int | float:
    word = text.strip()
    try:
        if kind == "integer":
            return int(word)
        number = float(word)
    except ValueError:
        type_name = "integer" if kind == "integer" else "numeric"
        raise InvalidTextRepresentation(
            f'invalid input syntax for type {type_name}: "{text}"'
        ) from None
    return int(number) if number.is_integer() and "." not in word else number


def _parse_uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise InvalidTextRepresentation(
            f'invalid input syntax for type uuid: "{text}"'
        ) from None


def _like_to_glob(pattern: str) -> str:
    """Translate a Postgres LIKE pattern (escape `\\`) to a case-sensitive GLOB."""
    out: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            escaped = next(chars, None)
            if escaped is None:
                raise InvalidEscapeSequence(
                    "LIKE pattern must not end with escape character"
                )
            char = escaped
        elif char == "%":
            out.append("*")
            continue
        elif char == "_":
            out.append("?")
            continue
        out.append({"*": "[*]", "?": "[?]", "[": "[[]"}.get(char, char))
    return "".join(out)


def _check_like_pattern(pattern: str) -> None:
    """Postgres rejects a pattern ending in a lone escape character."""
    trailing = len(pattern) - len(pattern.rstrip("\\"))
    if trailing % 2:
        raise InvalidEscapeSequence("LIKE pattern must not end with escape character")


def _json_path(keys: list[str | int]) -> str:
    path = ["$"]
    for key in keys:
        if isinstance(key, int):
            if key < 0:
                raise PolicyError("negative JSON array indexes are not supported")
            path.append(f"[{key}]")
        elif '"' in key:
            raise PolicyError(f"JSON keys containing '\"' are not supported: {key!r}")
        else:
            path.append(f'."{key}"')
    return "".join(path)


_COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.NullSafeEQ: "IS",
    exp.NullSafeNEQ: "IS NOT",
}
_ARITHMETIC: dict[type[exp.Expression], str] = {
    exp.Add: "+",
    exp.Sub: "-",
    exp.Mul: "*",
    exp.Div: "/",
    exp.Mod: "%",
}
_AGGREGATES: dict[type[exp.Expression], str] = {
    exp.Count: "count",
    exp.Min: "min",
    exp.Max: "max",
    exp.Sum: "sum",
    exp.Avg: "avg",
}


def _cast_kinds() -> dict[object, str]:
    names = {
        "text": ("TEXT", "VARCHAR", "CHAR", "NCHAR", "NVARCHAR", "NAME", "BPCHAR"),
        "uuid": ("UUID",),
        "integer": ("INT", "BIGINT", "SMALLINT", "TINYINT", "MEDIUMINT"),
        "numeric": ("DECIMAL", "DOUBLE", "FLOAT", "BIGDECIMAL"),
        "boolean": ("BOOLEAN",),
        "date": ("DATE",),
        "time": ("TIME", "TIMETZ"),
        "timestamp": ("TIMESTAMP", "DATETIME"),
        "timestamptz": ("TIMESTAMPTZ", "TIMESTAMPLTZ"),
        "json": ("JSON", "JSONB"),
    }
    kinds: dict[object, str] = {}
    for kind, members in names.items():
        for member in members:
            dtype = getattr(exp.DataType.Type, member, None)
            if dtype is not None:
                kinds[dtype] = kind
    return kinds


_CAST_KINDS = _cast_kinds()
_REAL_TYPES = frozenset(
    t
    for t in (getattr(exp.DataType.Type, n, None) for n in ("DOUBLE", "FLOAT"))
    if t is not None
)


# ---------------------------------------------------------------- the compiler


class _Compiler:
    """Walk a sqlglot tree, resolving names in scopes and emitting SQLite."""

    def __init__(self, schema: SchemaCache, alias: str) -> None:
        self.schema = schema
        self.alias = alias
        self.sources_made = 0
        self.aggregates_allowed = False

    def compile(self, node: exp.Expression, scope: _Scope) -> _Value:
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            return handler(self, node, scope)
        if isinstance(node, exp.Window):
            raise PolicyError(
                "window functions are not allowed in policy expressions",
                details=f'in "{_snippet(node)}"',
            )
        if isinstance(node, exp.AggFunc) and not self.aggregates_allowed:
            raise GroupingError(
                "aggregate functions are not allowed in policy expressions",
                details=f'in "{_snippet(node)}"',
            )
        if isinstance(node, exp.Anonymous):
            raise _undefined_function(node.name, node)
        # Operators sqlglot models as functions (`~` is RegexpLike) are syntax.
        if isinstance(node, exp.Func) and not isinstance(node, exp.Binary | exp.Cast):
            raise _undefined_function(node.sql_name().lower(), node)
        raise _unsupported(node)

    def boolean(self, node: exp.Expression, scope: _Scope, construct: str) -> Sql:
        """Compile `node` where Postgres requires a boolean (in `construct`)."""
        literal = _string_literal(node)
        if literal is not None:
            return param(_parse_bool(literal))
        value = self.compile(node, scope)
        if value.kind not in ("boolean", "unknown"):
            raise DatatypeMismatch(
                f"argument of {construct} must be type boolean, "
                f"not type {_PG_TYPE_NAMES.get(value.kind, value.kind)}"
            )
        return value.sql

    # ------------------------------------------------------------ names

    def column(self, node: exp.Column, scope: _Scope) -> _Value:
        if _extra_args(node, {"this", "table", "db"}):
            raise PolicyError(
                f'cross-database references are not implemented: "{_snippet(node)}"'
            )
        if isinstance(node.this, exp.Star):
            raise _unsupported(node)
        name = node.name
        qualifier = node.text("table")
        schema_name = node.text("db").lower() or None
        if not qualifier:
            if not node.this.args.get("quoted") and name.lower() in (
                "current_role",
                "current_user",
            ):
                return self.auth_value(AuthValue("role"), "text")
            source, column = self.bind_unqualified(scope, name)
        else:
            source = self.find_source(scope, qualifier, schema_name)
            found = _find_column(source.table, name)
            if found is None:
                raise UndefinedColumn(f"column {qualifier}.{name} does not exist")
            column = found
        text = f"{quote_ident(source.sql_alias)}.{quote_ident(column.name)}"
        return _Value(Sql(text), _column_kind(column))

    def bind_unqualified(self, scope: _Scope, name: str) -> tuple[_Source, ColumnInfo]:
        """Bind like Postgres: the innermost scope with the column wins."""
        current: _Scope | None = scope
        while current is not None:
            found = [
                (source, column)
                for source in current.sources
                if (column := _find_column(source.table, name)) is not None
            ]
            if len(found) > 1:
                raise AmbiguousColumn(f'column reference "{name}" is ambiguous')
            if found:
                return found[0]
            current = current.parent
        raise UndefinedColumn(
            f'column "{name}" does not exist', hint=self.column_hint(scope, name)
        )

    def column_hint(self, scope: _Scope, name: str) -> str | None:
        candidates: dict[str, str] = {}
        current: _Scope | None = scope
        while current is not None:
            for source in current.sources:
                for column in source.table.columns:
                    candidates.setdefault(column, f"{source.name}.{column}")
            current = current.parent
        close = difflib.get_close_matches(name, list(candidates), n=1)
        if not close:
            return None
        return f'Perhaps you meant to reference the column "{candidates[close[0]]}".'

    def find_source(
        self, scope: _Scope, qualifier: str, schema_name: str | None
    ) -> _Source:
        folded = qualifier.casefold()
        current: _Scope | None = scope
        while current is not None:
            for source in current.sources:
                if source.name.casefold() == folded and (
                    schema_name is None or source.schema == schema_name
                ):
                    return source
            current = current.parent
        current = scope
        while current is not None:
            for source in current.sources:
                if source.table.name.casefold() == folded and source.schema is None:
                    raise UndefinedTable(
                        "invalid reference to FROM-clause entry for table "
                        f'"{qualifier}"',
                        hint="Perhaps you meant to reference the table alias "
                        f'"{source.name}".',
                    )
            current = current.parent
        shown = f"{schema_name}.{qualifier}" if schema_name else qualifier
        raise UndefinedTable(f'missing FROM-clause entry for table "{shown}"')

    def table_source(self, node: exp.Expression) -> _Source:
        """A FROM item: a user table or `auth.users`, optionally aliased."""
        if not isinstance(node, exp.Table):
            raise _unsupported(node)
        if _extra_args(node, {"this", "db", "alias", "only"}):
            raise _unsupported(node)
        if not isinstance(node.this, exp.Identifier):
            raise _unsupported(node)
        name = node.name
        schema_name = node.text("db").lower() or None
        info: TableInfo | None
        if schema_name in (None, "public"):
            info = self.schema.find_table(name)
        elif schema_name == "auth" and name.lower() == "users":
            info = AUTH_USERS
        else:
            info = None
        if info is None:
            shown = f"{schema_name}.{name}" if schema_name else name
            raise UndefinedTable(f'relation "{shown}" does not exist')
        alias_node = node.args.get("alias")
        alias = None
        if alias_node is not None:
            if _extra_args(alias_node, {"this"}):
                raise _unsupported(node)
            alias = alias_node.name
        self.sources_made += 1
        sql_alias = f"{self.alias}_rls{self.sources_made}"
        if alias:
            return _Source(alias, None, info, sql_alias)
        visible = "users" if info is AUTH_USERS else name
        return _Source(visible, schema_name or "public", info, sql_alias)

    # ------------------------------------------------------------ subqueries

    def select(self, node: exp.Expression, scope: _Scope, purpose: str) -> _Value:
        """Compile a subquery; `purpose` is "exists", "in" or "scalar"."""
        if not isinstance(node, exp.Select):
            raise _unsupported(node)
        extra = _extra_args(
            node, {"expressions", "from_", "joins", "where", "limit", "distinct"}
        )
        distinct = node.args.get("distinct")
        if distinct is not None and _extra_args(distinct, set()):
            extra.append("distinct on")
        if extra:
            raise PolicyError(
                f"{extra[0].replace('_', ' ').upper()} is not supported in policy "
                f'subqueries: "{_snippet(node)}"'
            )
        sources: list[_Source] = []
        joins: list[tuple[str, _Source, exp.Expression | None]] = []
        from_ = node.args.get("from_")
        if from_ is not None:
            sources.append(self.table_source(from_.this))
        for join in node.args.get("joins") or []:
            if _extra_args(join, {"this", "on", "side", "kind"}):
                raise _unsupported_join(join)
            side = (join.side or "").upper()
            kind = (join.kind or "").upper()
            on = join.args.get("on")
            if side == "LEFT" and kind in ("", "OUTER") and on is not None:
                keyword = " LEFT JOIN "
            elif not side and kind in ("", "INNER") and on is not None:
                keyword = " JOIN "
            elif not side and kind == "CROSS" and on is None:
                keyword = " CROSS JOIN "
            elif not side and not kind and on is None:
                keyword = ", "
            else:
                raise _unsupported_join(join)
            source = self.table_source(join.this)
            sources.append(source)
            joins.append((keyword, source, on))
        seen: set[str] = set()
        for source in sources:
            if source.name.casefold() in seen:
                raise PolicyError(
                    f'table name "{source.name}" specified more than once'
                )
            seen.add(source.name.casefold())
        inner = _Scope(tuple(sources), scope)

        saved = self.aggregates_allowed
        try:
            self.aggregates_allowed = False
            parts: list[Sql | str] = []
            if sources:
                parts += [" FROM ", _from_item(sources[0])]
            for keyword, source, on in joins:
                parts += [keyword, _from_item(source)]
                if on is not None:
                    parts += [" ON ", self.boolean(on, inner, "JOIN/ON")]
            where = node.args.get("where")
            if where is not None:
                parts += [" WHERE ", self.boolean(where.this, inner, "WHERE")]
            limit = node.args.get("limit")
            if limit is not None:
                parts.append(self.limit(limit))
            self.aggregates_allowed = True
            items = [
                self.select_item(item, inner, purpose) for item in node.expressions
            ]
        finally:
            self.aggregates_allowed = saved
        if purpose != "exists" and len(items) != 1:
            raise PolicyError(
                "subquery must return only one column"
                if purpose == "scalar"
                else "subquery has too many columns"
            )
        head = "SELECT DISTINCT " if distinct is not None else "SELECT "
        select_list = Sql.join((item.sql for item in items), ", ")
        kind = items[0].kind if len(items) == 1 else "unknown"
        return _Value(_sql(head, select_list, *parts), kind)

    def select_item(self, item: exp.Expression, scope: _Scope, purpose: str) -> _Value:
        if isinstance(item, exp.Alias):
            item = item.this
        if isinstance(item, exp.Star):
            if purpose != "exists" or not scope.sources:
                raise PolicyError("subquery must return only one column")
            return _Value(Sql("*"), "unknown")
        return self.compile(item, scope)

    def limit(self, node: exp.Expression) -> Sql:
        value = node.args.get("expression")
        if (
            _extra_args(node, {"expression"})
            or not isinstance(value, exp.Literal)
            or value.is_string
            or not str(value.this).isdigit()
        ):
            raise PolicyError(f'only LIMIT <number> is supported: "{_snippet(node)}"')
        return _sql(" LIMIT ", param(int(value.this)))

    def subquery(self, node: exp.Subquery, scope: _Scope) -> _Value:
        trivial = _trivial_select(node)
        if trivial is not None:
            value = self.compile(trivial, scope)
            return _Value(value.sql.wrap("(", ")"), value.kind)
        if _extra_args(node, {"this"}):
            raise _unsupported(node)
        value = self.select(node.this, scope, "scalar")
        return _Value(value.sql.wrap("(", ")"), value.kind)

    def exists(self, node: exp.Exists, scope: _Scope) -> _Value:
        if _extra_args(node, {"this"}):
            raise _unsupported(node)
        select = node.this
        if isinstance(select, exp.Subquery):
            select = select.this
        value = self.select(select, scope, "exists")
        return _Value(_sql("EXISTS (", value.sql, ")"), "boolean")

    # ------------------------------------------------------------ operators

    def paren(self, node: exp.Paren, scope: _Scope) -> _Value:
        value = self.compile(node.this, scope)
        return _Value(value.sql.wrap("(", ")"), value.kind)

    def logical(self, node: exp.Expression, scope: _Scope) -> _Value:
        word = "AND" if isinstance(node, exp.And) else "OR"
        left = self.boolean(node.this, scope, word)
        right = self.boolean(node.expression, scope, word)
        return _Value(_sql("(", left, f" {word} ", right, ")"), "boolean")

    def negation(self, node: exp.Not, scope: _Scope) -> _Value:
        return _Value(
            _sql("(NOT ", self.boolean(node.this, scope, "NOT"), ")"), "boolean"
        )

    def comparison(self, node: exp.Expression, scope: _Scope) -> _Value:
        right_node = node.expression
        if isinstance(right_node, (exp.Any, exp.All)):
            inner = right_node.this
            if (
                type(node) is exp.EQ
                and isinstance(right_node, exp.Any)
                and isinstance(inner, exp.Subquery)
            ):
                return self.in_subquery(node.this, inner, scope)
            raise _unsupported(node)
        left, right = self.operands(node.this, right_node, scope)
        operator = _COMPARISONS[type(node)]
        left_sql, right_sql = _temporal(left, right)
        return _Value(_sql("(", left_sql, f" {operator} ", right_sql, ")"), "boolean")

    def operands(
        self, left_node: exp.Expression, right_node: exp.Expression, scope: _Scope
    ) -> tuple[_Value, _Value]:
        """Compile two compared operands; a string literal takes the other's type,
        as an untyped literal does in Postgres (`is_public = 'true'`)."""
        left_literal = _string_literal(left_node)
        right_literal = _string_literal(right_node)
        left = self.compile(left_node, scope)
        right = self.compile(right_node, scope)
        if right_literal is not None and left_literal is None:
            right = _coerce_literal(right_literal, left.kind)
        elif left_literal is not None and right_literal is None:
            left = _coerce_literal(left_literal, right.kind)
        return left, right

    def is_(self, node: exp.Is, scope: _Scope) -> _Value:
        target = node.expression
        negate = " NOT" if node.args.get("negate") else ""
        if _extra_args(node, {"this", "expression", "negate"}):
            raise _unsupported(node)
        if isinstance(target, exp.Null):
            value = self.compile(node.this, scope)
            return _Value(_sql("(", value.sql, f" IS{negate} NULL)"), "boolean")
        if isinstance(target, exp.Boolean):
            word = "TRUE" if target.this else "FALSE"
            operand = self.boolean(node.this, scope, f"IS {word}")
            return _Value(_sql("(", operand, f" IS{negate} {word})"), "boolean")
        raise _unsupported(node)

    def in_(self, node: exp.In, scope: _Scope) -> _Value:
        if _extra_args(node, {"this", "expressions", "query"}):
            raise _unsupported(node)
        query = node.args.get("query")
        if query is not None:
            return self.in_subquery(node.this, query, scope)
        value = self.compile(node.this, scope)
        items: list[_Value] = []
        for item in node.expressions:
            literal = _string_literal(item)
            if literal is not None:
                items.append(_coerce_literal(literal, value.kind))
            else:
                items.append(self.compile(item, scope))
        left = value.sql
        listed = [item.sql for item in items]
        if value.kind in _TEMPORAL:
            left = left.wrap("julianday(", ")")
            listed = [sql.wrap("julianday(", ")") for sql in listed]
        return _Value(_sql("(", left, " IN (", Sql.join(listed, ", "), "))"), "boolean")

    def in_subquery(
        self, left_node: exp.Expression, query: exp.Expression, scope: _Scope
    ) -> _Value:
        if not isinstance(query, exp.Subquery) or _extra_args(query, {"this"}):
            raise _unsupported(query)
        left = self.compile(left_node, scope)
        select = self.select(query.this, scope, "in")
        return _Value(_sql("(", left.sql, " IN (", select.sql, "))"), "boolean")

    def like(self, node: exp.Like | exp.ILike, scope: _Scope) -> _Value:
        if _extra_args(node, {"this", "expression", "negate"}):
            raise _unsupported(node)
        value = self.compile(node.this, scope)
        pattern_node = node.expression
        literal = _string_literal(pattern_node)
        if isinstance(node, exp.Like):
            # SQLite's LIKE ignores ASCII case; Postgres' LIKE does not. GLOB
            # is case-sensitive, so the pattern is translated to GLOB syntax.
            if literal is not None:
                pattern = param(_like_to_glob(literal))
            else:
                # TODO: honour backslash escapes in LIKE patterns computed at
                # run time; only literal patterns are translated with them.
                pattern = _sql(
                    "replace(replace(replace(replace(replace(",
                    self.compile(pattern_node, scope).sql,
                    ", '[', '[[]'), '*', '[*]'), '?', '[?]'), '%', '*'), '_', '?')",
                )
            test = _sql(value.sql, " GLOB ", pattern)
        else:
            if literal is not None:
                _check_like_pattern(literal)
                pattern = param(literal)
            else:
                pattern = self.compile(pattern_node, scope).sql
            test = _sql(value.sql, " LIKE ", pattern, " ESCAPE '\\'")
        if node.args.get("negate"):
            return _Value(_sql("(NOT (", test, "))"), "boolean")
        return _Value(test.wrap("(", ")"), "boolean")

    def between(self, node: exp.Between, scope: _Scope) -> _Value:
        if _extra_args(node, {"this", "low", "high"}):
            raise _unsupported(node)
        value, low = self.operands(node.this, node.args["low"], scope)
        _, high = self.operands(node.this, node.args["high"], scope)
        value_sql, low_sql = _temporal(value, low)
        _, high_sql = _temporal(value, high)
        return _Value(
            _sql("(", value_sql, " BETWEEN ", low_sql, " AND ", high_sql, ")"),
            "boolean",
        )

    def arithmetic(self, node: exp.Expression, scope: _Scope) -> _Value:
        if _extra_args(node, {"this", "expression", "typed", "safe"}):
            raise _unsupported(node)
        left = self.compile(node.this, scope)
        right = self.compile(node.expression, scope)
        kinds = {left.kind, right.kind}
        if kinds <= {"integer"}:
            kind = "integer"
        elif kinds <= {"integer", "numeric"}:
            kind = "numeric"
        else:
            kind = "unknown"
        operator = _ARITHMETIC[type(node)]
        return _Value(_sql("(", left.sql, f" {operator} ", right.sql, ")"), kind)

    def concat(self, node: exp.DPipe, scope: _Scope) -> _Value:
        left = self.compile(node.this, scope)
        right = self.compile(node.expression, scope)
        return _Value(_sql("(", left.sql, " || ", right.sql, ")"), "text")

    def negative(self, node: exp.Neg, scope: _Scope) -> _Value:
        inner = node.this
        if isinstance(inner, exp.Literal) and not inner.is_string:
            number = _parse_number(str(inner.this), "numeric")
            return _Value(param(-number), _number_kind(number))
        value = self.compile(inner, scope)
        return _Value(_sql("(- ", value.sql, ")"), value.kind)

    def case(self, node: exp.Case, scope: _Scope) -> _Value:
        if _extra_args(node, {"this", "ifs", "default"}):
            raise _unsupported(node)
        operand = node.args.get("this")
        parts: list[Sql | str] = ["(CASE"]
        if operand is not None:
            parts += [" ", self.compile(operand, scope).sql]
        kind = "unknown"
        for branch in node.args.get("ifs") or []:
            if operand is None:
                condition = self.boolean(branch.this, scope, "CASE/WHEN")
            else:
                condition = self.compile(branch.this, scope).sql
            result = self.compile(branch.args["true"], scope)
            kind = result.kind if kind == "unknown" else kind
            parts += [" WHEN ", condition, " THEN ", result.sql]
        default = node.args.get("default")
        if default is not None:
            result = self.compile(default, scope)
            kind = result.kind if kind == "unknown" else kind
            parts += [" ELSE ", result.sql]
        parts.append(" END)")
        return _Value(_sql(*parts), kind)

    # ------------------------------------------------------------ literals

    def literal(self, node: exp.Literal, scope: _Scope) -> _Value:
        if node.is_string:
            return _Value(param(node.this), "unknown")
        number = _parse_number(str(node.this), "numeric")
        return _Value(param(number), _number_kind(number))

    def raw_string(self, node: exp.RawString, scope: _Scope) -> _Value:
        return _Value(param(node.this), "unknown")

    def boolean_literal(self, node: exp.Boolean, scope: _Scope) -> _Value:
        return _Value(param(bool(node.this)), "boolean")

    def null(self, node: exp.Null, scope: _Scope) -> _Value:
        return _Value(param(None), "unknown")

    # ------------------------------------------------------------ casts

    def cast(self, node: exp.Cast, scope: _Scope) -> _Value:
        target_type = node.args.get("to")
        if _extra_args(node, {"this", "to", "_type"}) or not isinstance(
            target_type, exp.DataType
        ):
            raise _unsupported(node)
        kind = _CAST_KINDS.get(target_type.this)
        if kind is None or target_type.args.get("nested"):
            raise PolicyError(
                f"casts to {target_type.sql(dialect='postgres')} are not supported "
                "in policy expressions"
            )
        literal = _string_literal(node.this)
        if literal is not None:
            return _cast_literal(literal, kind)
        value = self.compile(node.this, scope)
        return _Value(_cast_sql(value, kind, target_type.this), kind)

    # ------------------------------------------------------------ functions

    def auth_value(self, value: AuthValue, kind: str) -> _Value:
        return _Value(param(value), kind)

    def dot(self, node: exp.Dot, scope: _Scope) -> _Value:
        owner, function = node.this, node.expression
        if not isinstance(owner, exp.Identifier) or not isinstance(
            function, exp.Anonymous
        ):
            raise _unsupported(node)
        name = f"{owner.name}.{function.name}"
        if owner.name.lower() == "auth" and not function.expressions:
            known = _AUTH_FUNCTIONS.get(function.name.lower())
            if known is not None:
                return self.auth_value(*known)
        raise _undefined_function(name, node)

    def json_chain(self, node: exp.Expression, scope: _Scope) -> _Value:
        """`->`/`->>` chains: on `auth.jwt()` they become one AuthValue."""
        steps: list[tuple[bool, str | int]] = []  # (as text, key)
        base: exp.Expression = node
        while isinstance(base, (exp.JSONExtract, exp.JSONExtractScalar)):
            if _extra_args(base, {"this", "expression", "only_json_types"}):
                raise _unsupported(node)
            steps.append((isinstance(base, exp.JSONExtractScalar), _json_key(base)))
            base = _unwrap(base.this)
        steps.reverse()
        for as_text, _key in steps[:-1]:
            if as_text:
                raise UndefinedFunction(
                    "operator does not exist: text -> unknown",
                    details=f'in "{_snippet(node)}"',
                    hint="->> returns text; use -> for every step but the last.",
                )
        keys = [key for _as_text, key in steps]
        as_text = steps[-1][0]
        jwt = _trivial_select(base) if isinstance(base, exp.Subquery) else base
        if jwt is not None and _is_auth_call(jwt, "jwt"):
            text_keys: list[str] = []
            for key in keys:
                if not isinstance(key, str):
                    raise PolicyError(
                        "array indexes in auth.jwt() paths are not supported",
                        details=f'in "{_snippet(node)}"',
                    )
                text_keys.append(key)
            value = AuthValue("jwt", tuple(text_keys), as_json=not as_text)
            return self.auth_value(value, "text" if as_text else "json")
        document = self.compile(base, scope)
        if document.kind not in ("json", "unknown"):
            operator = "->>" if as_text else "->"
            type_name = _PG_TYPE_NAMES.get(document.kind, document.kind)
            raise UndefinedFunction(
                f"operator does not exist: {type_name} {operator} unknown",
                details=f'in "{_snippet(node)}"',
            )
        path = _json_path(keys)
        if not as_text:
            return _Value(_sql("(", document.sql, " -> ", param(path), ")"), "json")
        # Postgres' ->> renders JSON booleans as 'true'/'false' and numbers as
        # text; SQLite's ->> would return 1/0 and numbers.
        return _Value(
            _sql(
                "(CASE json_type(",
                document.sql,
                ", ",
                param(path),
                ") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(",
                "json_extract(",
                document.sql,
                ", ",
                param(path),
                ") AS TEXT) END)",
            ),
            "text",
        )

    def function(self, node: exp.Expression, scope: _Scope) -> _Value:
        """coalesce, nullif, lower, upper, length/char_length, trim."""
        name, allowed = _FUNCTIONS[type(node)]
        if _extra_args(node, allowed):
            raise _unsupported(node)
        args = [node.this, *(node.expressions or [])]
        if node.args.get("expression") is not None:
            args.append(node.args["expression"])
        values = [self.compile(arg, scope) for arg in args]
        if name == "coalesce" and len(values) == 1:
            values.append(_Value(param(None), "unknown"))  # SQLite wants two
        kind = {
            "lower": "text",
            "upper": "text",
            "trim": "text",
            "length": "integer",
        }.get(name)
        if kind is None:
            kind = next((v.kind for v in values if v.kind != "unknown"), "unknown")
        arguments = Sql.join((v.sql for v in values), ", ")
        return _Value(_sql(f"{name}(", arguments, ")"), kind)

    def now(self, node: exp.Expression, scope: _Scope) -> _Value:
        if _extra_args(node, set()):
            raise _unsupported(node)
        if isinstance(node, exp.CurrentDate):
            return _Value(Sql("date('now')"), "date")
        return _Value(Sql(NOW_SQL), "timestamptz")

    def current_user(self, node: exp.Expression, scope: _Scope) -> _Value:
        return self.auth_value(AuthValue("role"), "text")

    def aggregate(self, node: exp.Expression, scope: _Scope) -> _Value:
        if not self.aggregates_allowed:
            raise GroupingError(
                "aggregate functions are not allowed in policy expressions",
                details=f'in "{_snippet(node)}"',
            )
        name = _AGGREGATES[type(node)]
        if _extra_args(node, {"this", "big_int"}):
            raise _unsupported(node)
        argument = node.this
        if isinstance(argument, exp.Star) and name == "count":
            return _Value(Sql("count(*)"), "integer")
        distinct = ""
        if isinstance(argument, exp.Distinct):
            if len(argument.expressions) != 1 or _extra_args(argument, {"expressions"}):
                raise _unsupported(node)
            distinct = "DISTINCT "
            argument = argument.expressions[0]
        value = self.compile(argument, scope)
        kind = {"count": "integer", "avg": "numeric"}.get(name, value.kind)
        return _Value(_sql(f"{name}({distinct}", value.sql, ")"), kind)


_AUTH_FUNCTIONS: dict[str, tuple[AuthValue, str]] = {
    "uid": (AuthValue("uid"), "uuid"),
    "role": (AuthValue("role"), "text"),
    "email": (AuthValue("jwt", ("email",)), "text"),
    "jwt": (AuthValue("jwt", (), as_json=True), "json"),
}

_FUNCTIONS: dict[type[exp.Expression], tuple[str, set[str]]] = {
    exp.Coalesce: ("coalesce", {"this", "expressions"}),
    exp.Nullif: ("nullif", {"this", "expression"}),
    exp.Lower: ("lower", {"this"}),
    exp.Upper: ("upper", {"this"}),
    exp.Length: ("length", {"this"}),
    exp.Trim: ("trim", {"this"}),
}


def _is_auth_call(node: exp.Expression, name: str) -> bool:
    node = _unwrap(node)
    return (
        isinstance(node, exp.Dot)
        and isinstance(node.this, exp.Identifier)
        and node.this.name.lower() == "auth"
        and isinstance(node.expression, exp.Anonymous)
        and node.expression.name.lower() == name
        and not node.expression.expressions
    )


def _json_key(node: exp.Expression) -> str | int:
    path = node.expression
    if isinstance(path, exp.JSONPath) and len(path.expressions) == 2:
        step = path.expressions[1]
        if isinstance(step, exp.JSONPathKey) and isinstance(step.this, str):
            return step.this
        if isinstance(step, exp.JSONPathSubscript) and isinstance(step.this, int):
            return step.this
    literal = _string_literal(path)
    if literal is None and isinstance(path, exp.Cast):
        # `-> 'key'::text` is still a literal key.
        if _CAST_KINDS.get(getattr(path.args.get("to"), "this", None)) == "text":
            literal = _string_literal(path.this)
    if literal is not None:
        return literal
    raise PolicyError(
        "JSON operators in policies take a literal key or index",
        details=f'in "{_snippet(node)}"',
    )


def _from_item(source: _Source) -> str:
    return f"{quote_ident(source.table.name)} AS {quote_ident(source.sql_alias)}"


def _number_kind(number: int | float) -> str:
    return "integer" if isinstance(number, int) else "numeric"


def _temporal(left: _Value, right: _Value) -> tuple[Sql, Sql]:
    """Compare dates and timestamps by value: stored text may be spelt in any
    ISO 8601 form (`T` or space, `Z`/offset or none), which text comparison
    would order wrongly."""
    if left.kind in _TEMPORAL or right.kind in _TEMPORAL:
        return left.sql.wrap("julianday(", ")"), right.sql.wrap("julianday(", ")")
    return left.sql, right.sql


def _coerce_literal(text: str, kind: str) -> _Value:
    """Give an untyped string literal the type of what it is compared with."""
    if kind == "boolean":
        return _Value(param(_parse_bool(text)), "boolean")
    if kind in ("integer", "numeric"):
        return _Value(param(_parse_number(text, kind)), kind)
    if kind == "uuid":
        return _Value(param(_parse_uuid(text)), "uuid")
    return _Value(param(text), "unknown")


def _cast_literal(text: str, kind: str) -> _Value:
    if kind == "json":
        try:
            json.loads(text)
        except ValueError:
            raise InvalidTextRepresentation(
                f'invalid input syntax for type json: "{text}"'
            ) from None
        return _Value(param(text), "json")
    if kind in ("boolean", "integer", "numeric", "uuid"):
        return _coerce_literal(text, kind)
    return _Value(param(text), kind)


def _cast_sql(value: _Value, kind: str, dtype: object) -> Sql:
    source = value.kind
    sql = value.sql
    if kind == "text":
        if source == "boolean":
            return _sql("(CASE ", sql, " WHEN 1 THEN 'true' WHEN 0 THEN 'false' END)")
        if source in ("integer", "numeric", "unknown", "blob"):
            return _sql("CAST(", sql, " AS TEXT)")
        return sql
    if kind == "integer":
        if source in ("integer", "boolean"):
            return sql
        return _sql("CAST(", sql, " AS INTEGER)")
    if kind == "numeric":
        target = "REAL" if dtype in _REAL_TYPES else "NUMERIC"
        return _sql("CAST(", sql, f" AS {target})")
    if kind == "boolean":
        if source == "boolean":
            return sql
        if source in ("integer", "numeric"):
            return _sql("(", sql, " <> 0)")
        return _sql(
            "(CASE lower(trim(CAST(",
            sql,
            " AS TEXT))) WHEN 't' THEN 1 WHEN 'true' THEN 1 WHEN 'y' THEN 1 "
            "WHEN 'yes' THEN 1 WHEN 'on' THEN 1 WHEN '1' THEN 1 "
            "WHEN 'f' THEN 0 WHEN 'false' THEN 0 WHEN 'n' THEN 0 "
            "WHEN 'no' THEN 0 WHEN 'off' THEN 0 WHEN '0' THEN 0 END)",
        )
    # uuid, json, dates and timestamps are stored as text: nothing to convert.
    return sql


Handler = Callable[..., _Value]

_HANDLERS: dict[type[exp.Expression], Handler] = {
    exp.Column: _Compiler.column,
    exp.Dot: _Compiler.dot,
    exp.Paren: _Compiler.paren,
    exp.And: _Compiler.logical,
    exp.Or: _Compiler.logical,
    exp.Not: _Compiler.negation,
    exp.Is: _Compiler.is_,
    exp.In: _Compiler.in_,
    exp.Exists: _Compiler.exists,
    exp.Subquery: _Compiler.subquery,
    exp.Like: _Compiler.like,
    exp.ILike: _Compiler.like,
    exp.Between: _Compiler.between,
    exp.DPipe: _Compiler.concat,
    exp.Neg: _Compiler.negative,
    exp.Case: _Compiler.case,
    exp.Literal: _Compiler.literal,
    exp.RawString: _Compiler.raw_string,
    exp.Boolean: _Compiler.boolean_literal,
    exp.Null: _Compiler.null,
    exp.Cast: _Compiler.cast,
    exp.JSONExtract: _Compiler.json_chain,
    exp.JSONExtractScalar: _Compiler.json_chain,
    exp.CurrentTimestamp: _Compiler.now,
    exp.CurrentDate: _Compiler.now,
    exp.CurrentUser: _Compiler.current_user,
    **{cls: _Compiler.comparison for cls in _COMPARISONS},
    **{cls: _Compiler.arithmetic for cls in _ARITHMETIC},
    **{cls: _Compiler.function for cls in _FUNCTIONS},
    **{cls: _Compiler.aggregate for cls in _AGGREGATES},
}
