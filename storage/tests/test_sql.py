"""`storage.buckets` and `storage.objects` as SQL and policies see them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from database.errors import InternalTableAccess, SqlScriptError, TableNameCollision
from database.runner import run_sql
from database.schema import get_schema
from database.tests.conftest import drop_user_tables  # noqa: F401 (fixture)
from rls.errors import NotOwner
from rls.services import load_catalog

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("drop_user_tables"),
]

# Supabase's user-management quickstart, as its docs print it, the
# `handle_new_user` trigger aside.
QUICKSTART = """
-- Create a table for public profiles
create table profiles (
  id uuid references auth.users not null primary key,
  updated_at timestamp with time zone,
  username text unique,
  full_name text,
  avatar_url text,
  website text,

  constraint username_length check (char_length(username) >= 3)
);
-- Set up Row Level Security (RLS)
-- See https://supabase.com/docs/guides/database/postgres/row-level-security for more details.
alter table profiles
  enable row level security;

create policy "Public profiles are viewable by everyone." on profiles
  for select using (true);

create policy "Users can insert their own profile." on profiles
  for insert with check ((select auth.uid()) = id);

create policy "Users can update own profile." on profiles
  for update using ((select auth.uid()) = id);

-- Set up Storage!
insert into storage.buckets (id, name)
  values ('avatars', 'avatars');

-- Set up access controls for storage.
-- See https://supabase.com/docs/guides/storage/security/access-control#policy-examples for more details.
create policy "Avatar images are publicly accessible." on storage.objects
  for select using (bucket_id = 'avatars');

create policy "Anyone can upload an avatar." on storage.objects
  for insert with check (bucket_id = 'avatars');

create policy "Anyone can update their own avatar." on storage.objects
  for update using ((select auth.uid()) = owner) with check (bucket_id = 'avatars');
"""


@pytest.fixture(autouse=True)
def empty_storage() -> Iterator[None]:
    # The tables are not Django's to flush between tests.
    yield
    with connection.cursor() as cursor:
        cursor.execute("delete from storage_objects")
        cursor.execute("delete from storage_buckets")


def rows(query: str) -> list[tuple[object, ...]]:
    (result,) = run_sql(query)
    return list(result.rows)


def put_object(bucket: str, name: str) -> None:
    # What the Storage API writes; user SQL may not.
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into storage_objects (id, bucket_id, name) values (%s, %s, %s)",
            [f"00000000-0000-4000-8000-{len(name):012d}", bucket, name],
        )


def test_the_supabase_quickstart_runs_verbatim() -> None:
    results = run_sql(QUICKSTART)

    assert [r.status for r in results] == [
        "CREATE TABLE",
        "ALTER TABLE",
        "CREATE POLICY",
        "CREATE POLICY",
        "CREATE POLICY",
        "INSERT 1",
        "CREATE POLICY",
        "CREATE POLICY",
        "CREATE POLICY",
    ]
    assert rows(
        "select id, name, owner, public, file_size_limit from storage.buckets"
    ) == [("avatars", "avatars", "", 0, None)]
    catalog = load_catalog(get_schema(connection.connection.cursor()))
    assert catalog.is_enabled("storage_objects")
    assert {p.name for p in catalog.policies("storage_objects")} == {
        "Avatar images are publicly accessible.",
        "Anyone can upload an avatar.",
        "Anyone can update their own avatar.",
    }


def test_a_bucket_takes_supabases_defaults() -> None:
    run_sql(
        "insert into storage.buckets (id, name, public, file_size_limit) "
        "values ('docs', 'docs', true, 1048576)"
    )

    ((public, limit, mime, created, updated),) = rows(
        "select public, file_size_limit, allowed_mime_types, created_at, updated_at "
        "from storage.buckets"
    )
    assert (public, limit, mime) == (1, 1048576, None)
    assert created == updated
    assert str(created).endswith("+00:00")


def test_objects_can_be_read_by_sql_and_by_policies_of_other_tables() -> None:
    run_sql("insert into storage.buckets (id, name) values ('avatars', 'avatars')")
    put_object("avatars", "alice/face.png")

    assert rows("select bucket_id, name, owner from storage.objects") == [
        ("avatars", "alice/face.png", None)
    ]
    run_sql(
        "create table posts (id int primary key, image uuid references storage.objects);"
        "alter table posts enable row level security;"
        'create policy "image is mine" on posts for select using ('
        "  exists (select 1 from storage.objects o"
        "          where o.id = image and o.owner = auth.uid()));"
    )


@pytest.mark.parametrize(
    "script",
    [
        "insert into storage.objects (id, bucket_id, name) values ('x', 'avatars', 'a')",
        "update storage.objects set name = 'b'",
        "delete from storage.objects",
        "drop table storage.objects",
        # Forms the translator does not look into; SQLite's authorizer refuses.
        "insert into storage_objects (id, bucket_id, name) select 'x', 'avatars', 'a'",
        "create table t (x int); create trigger t after insert on t begin "
        "delete from storage_objects; end",
    ],
)
def test_objects_change_only_through_the_storage_api(script: str) -> None:
    run_sql("insert into storage.buckets (id, name) values ('avatars', 'avatars')")
    put_object("avatars", "a")

    with pytest.raises(InternalTableAccess, match="change it through the Storage API"):
        run_sql(script)

    assert rows("select name from storage.objects") == [("a",)]


def test_a_bucket_with_objects_cannot_be_deleted_by_sql() -> None:
    run_sql("insert into storage.buckets (id, name) values ('avatars', 'avatars')")
    put_object("avatars", "a")

    with pytest.raises(Exception, match="FOREIGN KEY constraint failed"):
        run_sql("delete from storage.buckets where id = 'avatars'")

    assert rows("select id from storage.buckets") == [("avatars",)]


def test_an_empty_bucket_can_be_updated_and_deleted_by_sql() -> None:
    run_sql("insert into storage.buckets (id, name) values ('avatars', 'avatars')")

    run_sql("update storage.buckets set public = true where id = 'avatars'")
    assert rows("select public from storage.buckets") == [(1,)]
    run_sql("delete from storage.buckets where id = 'avatars'")
    assert rows("select count(*) from storage.buckets") == [(0,)]


def test_row_level_security_on_storage_cannot_be_turned_off() -> None:
    with pytest.raises(SqlScriptError, match="must be owner of table objects") as error:
        run_sql("alter table storage.objects disable row level security")
    assert isinstance(error.value.__cause__, NotOwner)

    catalog = load_catalog(get_schema(connection.connection.cursor()))
    assert catalog.is_enabled("storage_objects")
    assert catalog.is_enabled("storage_buckets")


@pytest.mark.parametrize("name", ["storage_objects", "storage_buckets"])
def test_storage_table_names_are_taken(name: str) -> None:
    with pytest.raises(TableNameCollision):
        run_sql(f"create table {name} (id int)")


def test_policies_on_objects_name_its_columns_and_refuse_unknown_ones() -> None:
    run_sql(
        'create policy "mine" on storage.objects for delete using ('
        "objects.owner = auth.uid() and storage.objects.bucket_id = 'avatars' "
        "and metadata ->> 'mimetype' = 'image/png')"
    )

    with pytest.raises(Exception, match='column "nope" does not exist'):
        run_sql('create policy "bad" on storage.objects for select using (nope = 1)')
