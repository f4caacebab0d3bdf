"""Policy text → SQL: parsing, then the compiler the mixins make."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import ParseError, SqlglotError

from database.schema import SchemaCache, system_table_named
from database.sql import Sql
from rls.errors import PolicyError, PolicySyntaxError, UndefinedTable
from rls.expr.coercion import AGGREGATES, ARITHMETIC, COMPARISONS
from rls.expr.functions import FUNCTIONS, FunctionCompiler
from rls.expr.operators import OperatorCompiler
from rls.expr.sources import SourceCompiler
from rls.expr.values import MAX_EXPRESSION_LENGTH, Scope, Source


def compile_expression(text: str, table: str, alias: str, schema: SchemaCache) -> Sql:
    """Compile a policy expression on `table` into an SQLite predicate.

    The table's columns are emitted as `"<alias>"."<column>"`. Raises a
    `PolicyError` subclass naming the first unknown column, table or function,
    or the unsupported construct.
    """
    info = schema.policy_table(table)
    if info is None:
        raise UndefinedTable(f'relation "{table}" does not exist')
    node = parse_expression(text)
    compiler = Compiler(schema, alias)
    # `objects.name` and `storage.objects.name` name a system table's columns.
    system = system_table_named(info.name)
    name, schema_name = (
        (system.name, system.schema) if system else (info.name, "public")
    )
    scope = Scope((Source(name, schema_name, info, alias),), None)
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
        nodes = [
            n for n in sqlglot.parse(text, read=PostgresAsWritten) if n is not None
        ]
    except ParseError as error:
        raise PolicySyntaxError(describe_parse_error(error)) from None
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
        raise unsupported_text(text)
    for bracket in node.find_all(exp.Bracket):
        # Printed back as written (in error messages), not shifted by one.
        bracket.set("offset", PostgresAsWritten.WRITTEN_OFFSET)
    return node


class PostgresAsWritten(Postgres):
    """Postgres with array subscripts kept as written.

    sqlglot's Postgres parser turns `a[1]` into `a[0]` (its INDEX_OFFSET) to
    transpile to 0-based dialects, and only when it can type the index, so
    `a[1]` and `a[id]` would no longer say which element they mean.
    """

    INDEX_OFFSET = 0
    WRITTEN_OFFSET = Postgres.INDEX_OFFSET


def unsupported_text(text: str) -> PolicyError:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return PolicyError(f'unsupported syntax in policy expression: "{shown}"')


def describe_parse_error(error: ParseError) -> str:
    details = error.errors[0] if error.errors else {}
    near = (details.get("highlight") or "").strip()
    description = details.get("description") or "invalid expression"
    if near:
        return f'syntax error in policy expression at or near "{near}": {description}'
    return f"syntax error in policy expression: {description}"


class Compiler(SourceCompiler, OperatorCompiler, FunctionCompiler):
    """Every node kind a policy may use."""


Compiler.handlers = {
    exp.Column: Compiler.column,
    exp.Dot: Compiler.dot,
    exp.Paren: Compiler.paren,
    exp.And: Compiler.logical,
    exp.Or: Compiler.logical,
    exp.Not: Compiler.negation,
    exp.Is: Compiler.is_,
    exp.In: Compiler.in_,
    exp.Exists: Compiler.exists,
    exp.Subquery: Compiler.subquery,
    exp.Like: Compiler.like,
    exp.ILike: Compiler.like,
    exp.Between: Compiler.between,
    exp.DPipe: Compiler.concat,
    exp.Neg: Compiler.negative,
    exp.Case: Compiler.case,
    exp.Bracket: Compiler.subscript,
    exp.Literal: Compiler.literal,
    exp.RawString: Compiler.raw_string,
    exp.Boolean: Compiler.boolean_literal,
    exp.Null: Compiler.null,
    exp.Cast: Compiler.cast,
    exp.JSONExtract: Compiler.json_chain,
    exp.JSONExtractScalar: Compiler.json_chain,
    exp.CurrentTimestamp: Compiler.now,
    exp.CurrentDate: Compiler.now,
    exp.CurrentUser: Compiler.current_user,
    **{cls: Compiler.comparison for cls in COMPARISONS},
    **{cls: Compiler.arithmetic for cls in ARITHMETIC},
    **{cls: Compiler.function for cls in FUNCTIONS},
    **{cls: Compiler.aggregate for cls in AGGREGATES},
}
