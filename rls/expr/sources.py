"""Names and subqueries: columns resolved in scopes, tables as sources."""

from __future__ import annotations

import difflib

from sqlglot import exp

from database.schema import AUTH_USERS, ColumnInfo, TableInfo, system_table
from database.sql import AuthValue, Sql, param, quote_ident
from rls.errors import AmbiguousColumn, PolicyError, UndefinedColumn, UndefinedTable
from rls.expr.base import CompilerBase
from rls.expr.syntax import (
    extra_args,
    join_sql,
    snippet,
    trivial_select,
    unsupported,
    unsupported_join,
)
from rls.expr.values import (
    Scope,
    Source,
    Value,
    column_kind,
    find_column,
    from_item,
)


class SourceCompiler(CompilerBase):
    """Column names resolved innermost scope first, as Postgres does; tables
    and subqueries (`exists`, `in (select …)`, scalar selects) as sources."""

    def column(self, node: exp.Column, scope: Scope) -> Value:
        if extra_args(node, {"this", "table", "db"}):
            raise PolicyError(
                f'cross-database references are not implemented: "{snippet(node)}"'
            )
        if isinstance(node.this, exp.Star):
            raise unsupported(node)
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
            found = find_column(source.table, name)
            if found is None:
                raise UndefinedColumn(f"column {qualifier}.{name} does not exist")
            column = found
        text = f"{quote_ident(source.sql_alias)}.{quote_ident(column.name)}"
        return Value(Sql(text), column_kind(column), column.element_kind)

    def bind_unqualified(self, scope: Scope, name: str) -> tuple[Source, ColumnInfo]:
        """Bind like Postgres: the innermost scope with the column wins."""
        current: Scope | None = scope
        while current is not None:
            found = [
                (source, column)
                for source in current.sources
                if (column := find_column(source.table, name)) is not None
            ]
            if len(found) > 1:
                raise AmbiguousColumn(f'column reference "{name}" is ambiguous')
            if found:
                return found[0]
            current = current.parent
        raise UndefinedColumn(
            f'column "{name}" does not exist', hint=self.column_hint(scope, name)
        )

    def column_hint(self, scope: Scope, name: str) -> str | None:
        candidates: dict[str, str] = {}
        current: Scope | None = scope
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
        self, scope: Scope, qualifier: str, schema_name: str | None
    ) -> Source:
        folded = qualifier.casefold()
        current: Scope | None = scope
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

    def table_source(self, node: exp.Expression) -> Source:
        """A FROM item: a user table or `auth.users`, optionally aliased."""
        if not isinstance(node, exp.Table):
            raise unsupported(node)
        if extra_args(node, {"this", "db", "alias", "only"}):
            raise unsupported(node)
        if not isinstance(node.this, exp.Identifier):
            raise unsupported(node)
        name = node.name
        schema_name = node.text("db").lower() or None
        info: TableInfo | None
        if schema_name in (None, "public"):
            info = self.schema.find_table(name)
        elif schema_name == "auth" and name.lower() == "users":
            info = AUTH_USERS
        else:
            system = system_table(schema_name, name)
            info = self.schema.system.get(system.table) if system else None
        if info is None:
            shown = f"{schema_name}.{name}" if schema_name else name
            raise UndefinedTable(f'relation "{shown}" does not exist')
        alias_node = node.args.get("alias")
        alias = None
        if alias_node is not None:
            if extra_args(alias_node, {"this"}):
                raise unsupported(node)
            alias = alias_node.name
        self.sources_made += 1
        sql_alias = f"{self.alias}_rls{self.sources_made}"
        if alias:
            return Source(alias, None, info, sql_alias)
        visible = "users" if info is AUTH_USERS else name
        return Source(visible, schema_name or "public", info, sql_alias)

    def select(self, node: exp.Expression, scope: Scope, purpose: str) -> Value:
        """Compile a subquery; `purpose` is "exists", "in" or "scalar"."""
        if not isinstance(node, exp.Select):
            raise unsupported(node)
        extra = extra_args(
            node, {"expressions", "from_", "joins", "where", "limit", "distinct"}
        )
        distinct = node.args.get("distinct")
        if distinct is not None and extra_args(distinct, set()):
            extra.append("distinct on")
        if extra:
            raise PolicyError(
                f"{extra[0].replace('_', ' ').upper()} is not supported in policy "
                f'subqueries: "{snippet(node)}"'
            )
        sources: list[Source] = []
        joins: list[tuple[str, Source, exp.Expression | None]] = []
        from_ = node.args.get("from_")
        if from_ is not None:
            sources.append(self.table_source(from_.this))
        for join in node.args.get("joins") or []:
            if extra_args(join, {"this", "on", "side", "kind"}):
                raise unsupported_join(join)
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
                raise unsupported_join(join)
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
        inner = Scope(tuple(sources), scope)

        saved = self.aggregates_allowed
        try:
            self.aggregates_allowed = False
            parts: list[Sql | str] = []
            if sources:
                parts += [" FROM ", from_item(sources[0])]
            for keyword, source, on in joins:
                parts += [keyword, from_item(source)]
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
        return Value(join_sql(head, select_list, *parts), kind)

    def select_item(self, item: exp.Expression, scope: Scope, purpose: str) -> Value:
        if isinstance(item, exp.Alias):
            item = item.this
        if isinstance(item, exp.Star):
            if purpose != "exists" or not scope.sources:
                raise PolicyError("subquery must return only one column")
            return Value(Sql("*"), "unknown")
        return self.compile(item, scope)

    def limit(self, node: exp.Expression) -> Sql:
        value = node.args.get("expression")
        if (
            extra_args(node, {"expression"})
            or not isinstance(value, exp.Literal)
            or value.is_string
            or not str(value.this).isdigit()
        ):
            raise PolicyError(f'only LIMIT <number> is supported: "{snippet(node)}"')
        return join_sql(" LIMIT ", param(int(value.this)))

    def subquery(self, node: exp.Subquery, scope: Scope) -> Value:
        trivial = trivial_select(node)
        if trivial is not None:
            value = self.compile(trivial, scope)
            return Value(value.sql.wrap("(", ")"), value.kind)
        if extra_args(node, {"this"}):
            raise unsupported(node)
        value = self.select(node.this, scope, "scalar")
        return Value(value.sql.wrap("(", ")"), value.kind)

    def exists(self, node: exp.Exists, scope: Scope) -> Value:
        if extra_args(node, {"this"}):
            raise unsupported(node)
        select = node.this
        if isinstance(select, exp.Subquery):
            select = select.this
        value = self.select(select, scope, "exists")
        return Value(join_sql("EXISTS (", value.sql, ")"), "boolean")
