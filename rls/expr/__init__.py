"""Policy expressions: parsed by sqlglot, checked against the schema, compiled to SQL.

`compile_expression` turns the text of a `using (...)` / `with check (...)`
clause into an `Sql` predicate over one row of the policy's table, addressed by
an alias the caller chooses, so one policy can be placed into any query. Only a
whitelist of Postgres syntax is accepted (see `compiler.Compiler`); everything else is
rejected when the policy is created, naming the construct. The SQL is rebuilt
from the syntax tree, never copied from the policy text: names reach it only
through `quote_ident`, values only as bound parameters.

Supabase's helpers become `AuthValue` parameters that the executor fills from
the request (see `resolve_auth_value` for the rule): `auth.uid()`,
`auth.role()`, `auth.email()`, `auth.jwt()` and `->`/`->>` chains on it.
Supabase Storage's `storage.foldername()`, `storage.filename()` and
`storage.extension()`, and array subscripts, compile to the SQLite functions
of `database.sqlite.functions`.

Subqueries (`exists (...)`, `x in (select ...)`, scalar `(select ...)`) may read
user tables and `auth.users`. They read raw rows: row-level security is not
applied inside them, as with a Postgres `security definer` helper function.
A policy can therefore see rows the requesting user cannot; that is what makes
"member of the team" policies work, and what policy authors must keep in mind.
"""

from __future__ import annotations

from rls.expr.auth import resolve_auth_value
from rls.expr.compiler import compile_expression, parse_expression

__all__ = ["compile_expression", "parse_expression", "resolve_auth_value"]
