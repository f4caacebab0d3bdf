"""Split Postgres-flavoured SQL scripts into statements and translate each to SQLite.

Users write the SQL they would write for Supabase. `split_statements` cuts a
script at top-level semicolons; strings, quoted names, comments, dollar quotes and
the `begin … end` bodies of SQLite triggers keep theirs. `translate` rewrites one
statement surgically, token by token, and leaves declared types as written
(`boolean`, `timestamptz`, `uuid`): the schema cache reads them to coerce values
and shape the API's JSON, and a general transpiler would reduce them to SQLite's
storage classes.

What `translate` does:

| Postgres                                         | SQLite                                   |
|--------------------------------------------------|------------------------------------------|
| `create extension`, `grant`, `revoke`,           | skipped: "" (no meaning on SQLite; the   |
| `alter default privileges`, `comment on`,        | API and policies enforce roles, the      |
| `alter … owner to`, `set`, `reset`, `begin`,     | script already runs as one transaction,  |
| `start transaction`, `commit`, `end`, `notify`,  | the schema cache reloads by itself)      |
| `create/alter/drop publication`, `vacuum`,       |                                          |
| `create schema public`                           |                                          |
| `public.todos`, `"public"."todos"`               | `todos`                                  |
| `auth.users`; `references auth.users`            | `auth_users`; `references auth_users(id)`|
| `storage.objects`, `foo.bar` as a table          | error: schema 'foo' is not supported     |
| `gen_random_uuid()`, `uuid_generate_v4()`        | `UUID_V4_SQL` (random v4, dashed text)   |
| `now()`, `current_timestamp`,                    | `NOW_SQL` (ISO 8601 text in UTC)         |
| `timezone('utc', now())`, `now() at time zone …` |                                          |
| `bigint generated … as identity`, `serial`       | `integer` (the rowid alias when the key) |
| `text[]`, `varchar(20)[]` column types           | `"text[]"` (SQLite keeps it as declared) |
| `'{a,b}'::text[]`, `array['a']`, array defaults  | JSON text: `'["a","b"]'`, `json_array`   |
| `'{}'::jsonb`, `1::bigint` (literal casts)       | the literal                              |
| `x::int`, `x::numeric`, `x::text`, `x::date`     | `CAST(x AS INTEGER/REAL/TEXT)`, `date(x)`|
| `E'a\\n'`, `$$it's$$`                            | `'a<newline>'`, `'it''s'`                |
| `char_length(x)`, `ilike`                        | `length(x)`, `like`                      |
| `storage.foldername(x)`, `storage.filename(x)`,  | `koyalite_storage_foldername(x)`, … (see |
| `storage.extension(x)`                           | database/sqlite/functions.py)            |
| `a[i]`, `(f(x))[i]`, `a[i][j]` subscripts        | `koyalite_subscript(a, i[, j])`; slices  |
|                                                  | are refused                              |
| `create index on t (a)`, `using gin`,            | named `t_a_idx`; method, `concurrently`, |
| `concurrently`, `only`, `unlogged`               | `only`, `unlogged` dropped               |
| `drop table t cascade`, `drop trigger x on t`    | `drop table t`, `drop trigger x`         |
| `truncate t`                                     | `delete from t`                          |
| `create view v with (security_invoker = true)`   | `create view v /* koyalite: security_    |
|                                                  | invoker */ as …` (see view_options)      |
| `alter view v set/reset (security_invoker)`      | "", with `view_security` for the runner, |
|                                                  | which re-creates the view                |
| `alter table t alter [column] c [set data] type  | "", with `column_type` for the runner,   |
| x [using e]`                                     | which rebuilds the table (`database.     |
|                                                  | rebuild`); `e` translated as above       |
| `select cron.schedule(…)`, `cron.unschedule(…)`, | "", with `cron_call` for the runner,     |
| `cron.alter_job(…)` (pg_cron, literal arguments) | which calls the scheduler (see cron)     |
| `create function`, `do`, `create trigger …       | error: plpgsql functions are not         |
| execute function`                                | supported                                |
| `create type`, `domain`, `sequence`, roles,      | error naming what is not supported       |
| `rollback`, `savepoint`, other `alter column`    |                                          |
| forms, `add constraint`, `create or replace view`|                                          |

Policy statements (`create/alter/drop policy`, `alter table … row level
security`) pass through untouched: `rls` reads them, `auth.uid()`, `public.`
and `auth.users` included.
Names of KoyaLite's own tables are refused: creating one is a collision, and
writing one, or reading any but `auth_users`, is internal-table access.
Everything else passes through unchanged.
"""

from __future__ import annotations

from database.sqlscript.ddl import ColumnTypeChange
from database.sqlscript.expressions import NOW_SQL, UUID_V4_SQL
from database.sqlscript.statements import Statement, split_statements
from database.sqlscript.tokens import Token, tokenize
from database.sqlscript.translator import (
    Translation,
    changes_column_type,
    translate,
    translate_statement,
)

__all__ = [
    "NOW_SQL",
    "ColumnTypeChange",
    "UUID_V4_SQL",
    "Statement",
    "Token",
    "Translation",
    "changes_column_type",
    "split_statements",
    "tokenize",
    "translate",
    "translate_statement",
]
