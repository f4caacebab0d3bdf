"""Fixtures for the rls tests: a real SQLite schema, users and request auth."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import pytest

from database.schema import SchemaCache, read_schema, schema_version
from database.sql import AuthValue, Sql
from database.sqlite import functions
from rls.expr import resolve_auth_value

ALICE = "00000000-0000-4000-8000-00000000a11c"
BOB = "00000000-0000-4000-8000-000000000b0b"

# Tables as a Supabase user writes them; `auth_users` stands in for the table
# accounts creates, which the schema cache hides as internal.
SCHEMA_SQL = """
create table auth_users (id text primary key, email text, phone text,
  raw_app_meta_data text, raw_user_meta_data text, created_at text, updated_at text);
create table todos (
  id integer primary key,
  user_id uuid,
  email text,
  task text not null,
  is_public boolean not null default false,
  team_id integer,
  created_at timestamptz,
  meta jsonb
);
create table teams (id integer primary key, name text not null);
create table members (id integer primary key, team_id integer, user_id uuid);
create view public_todos as select id, task from todos where is_public;
"""

ROWS_SQL = f"""
insert into auth_users (id, email) values
  ('{ALICE}', 'alice@example.com'), ('{BOB}', 'bob@example.com');
insert into teams values (1, 'red'), (2, 'blue');
insert into members (id, team_id, user_id) values (10, 1, '{ALICE}'), (11, 2, '{BOB}');
insert into todos (id, user_id, email, task, is_public, team_id, created_at, meta) values
  (1, '{ALICE}', 'alice@example.com', 'Apples', 0, 1,
   '2020-01-01T00:00:00.000000+00:00', '{{"owner": "{ALICE}", "rank": 1}}'),
  (2, '{ALICE}', 'alice@example.com', 'buy 100% juice', 1, 1,
   '2999-01-01T00:00:00.000000+00:00', '{{"flag": true}}'),
  (3, '{BOB}', 'bob@example.com', 'Bananas*', 0, 2,
   '2020-06-01 12:00:00', '{{"owner": "{BOB}", "rank": 2}}'),
  (4, null, null, 'orphan_task', 0, null, null, null);
"""


@dataclass(frozen=True)
class Requester:
    """The auth of one request: what the executor resolves AuthValues from."""

    role: str
    uid: str | None = None
    claims: Mapping[str, object] = field(default_factory=dict)

    def bind(self, sql: Sql) -> list[object]:
        return [
            resolve_auth_value(p, uid=self.uid, role=self.role, claims=self.claims)
            if isinstance(p, AuthValue)
            else p
            for p in sql.params
        ]


def user(uid: str, email: str, **claims: object) -> Requester:
    return Requester(
        role="authenticated",
        uid=uid,
        claims={"sub": uid, "role": "authenticated", "email": email, **claims},
    )


ALICE_AUTH = user(ALICE, "alice@example.com", app_metadata={"role": "admin"})
BOB_AUTH = user(BOB, "bob@example.com", app_metadata={"role": "member"})
ANON_AUTH = Requester(role="anon", claims={"role": "anon"})


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    """An in-memory database with the schema and a few rows."""
    connection = sqlite3.connect(":memory:")
    functions.register(connection)
    connection.executescript(SCHEMA_SQL + ROWS_SQL)
    yield connection
    connection.close()


@pytest.fixture
def schema(db: sqlite3.Connection) -> SchemaCache:
    return read_schema(db, schema_version(db))


def visible_ids(
    connection: sqlite3.Connection, predicate: Sql | None, requester: Requester
) -> list[int]:
    """Ids of `todos` rows the predicate lets `requester` see (None: all rows)."""
    if predicate is None:
        predicate = Sql("1")
    query = Sql("SELECT id FROM todos AS t0 WHERE ") + predicate + Sql(" ORDER BY id")
    rows = connection.execute(query.text, requester.bind(query)).fetchall()
    return [row[0] for row in rows]
