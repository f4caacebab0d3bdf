"""The rows of `storage.buckets` and `storage.objects`, read and written under
the caller's row level security.

Every statement on objects carries the predicates `rls` compiles for the
caller, exactly as `/rest/v1` gets them (`PolicyCatalog.predicate`): select
policies filter what may be read, listed or found; a write must pass the
`using` policies of its command and select on the old row, and the `with
check` of insert or update on the new one, checked inside the transaction so
a refused write leaves nothing. Buckets are looked up as the Storage API's own
server does, ignoring policies, when an object route needs their limits.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from accounts.keys import Auth
from database.coerce import NOW_SQL
from database.executor import bind, catalog, raw_connection, translate_error
from database.schema import STORAGE_BUCKETS_TABLE as BUCKETS
from database.schema import STORAGE_OBJECTS_TABLE as OBJECTS
from database.sql import Sql
from rls.catalog import PolicyCatalog
from storage import errors

NOW = f"({NOW_SQL})"
_OBJECT_COLUMNS = (
    "id, bucket_id, name, owner, metadata, user_metadata, version, "
    "created_at, updated_at, last_accessed_at"
)
_BUCKET_COLUMNS = (
    "id, name, owner, public, file_size_limit, allowed_mime_types, "
    "created_at, updated_at"
)
SORTABLE = ("name", "created_at", "updated_at", "last_accessed_at")
V2_SORTABLE = ("name", "created_at", "updated_at")
BUCKET_SORTABLE = ("id", "name", "created_at", "updated_at")


@dataclass(frozen=True, slots=True)
class ObjectRow:
    id: str
    bucket_id: str
    name: str
    owner: str | None
    metadata: dict[str, Any]
    user_metadata: dict[str, Any] | None
    version: str
    created_at: str
    updated_at: str
    last_accessed_at: str

    @classmethod
    def from_row(cls, row: tuple) -> ObjectRow:
        values = list(row)
        values[4] = orjson.loads(values[4]) if values[4] else {}
        values[5] = orjson.loads(values[5]) if values[5] else None
        return cls(*values)


@dataclass(frozen=True, slots=True)
class ListedEntry:
    """One entry of a `list-v2` page: an object, or a folder (no id) whose
    name ends in `/` and whose times are those of its oldest object."""

    name: str
    id: str | None
    created_at: str
    updated_at: str
    last_accessed_at: str | None
    metadata: dict[str, Any] | None

    @property
    def is_folder(self) -> bool:
        return self.id is None

    def sort_value(self, column: str) -> str:
        return self.name if column == "name" else getattr(self, column)


@dataclass(frozen=True, slots=True)
class BucketRow:
    id: str
    name: str
    owner: str
    public: bool
    file_size_limit: int | None
    allowed_mime_types: list[str] | None
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: tuple) -> BucketRow:
        values = list(row)
        values[3] = bool(values[3])
        values[5] = orjson.loads(values[5]) if values[5] else None
        return cls(*values)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "public": self.public,
            "file_size_limit": self.file_size_limit,
            "allowed_mime_types": self.allowed_mime_types,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "type": "STANDARD",
        }


def _run(raw: sqlite3.Connection, sql: Sql, auth: Auth, table: str) -> list[tuple]:
    try:
        return raw.execute(sql.text, bind(sql, auth)).fetchall()
    except sqlite3.Error as error:
        raise translate_error(error, table) from None


def _all(predicates: list[Sql | None]) -> Sql:
    present = [p for p in predicates if p is not None]
    if not present:
        return Sql("1")
    return Sql.join(present, " AND ").wrap("(", ")")


# ---------------------------------------------------------------- buckets


def find_bucket(bucket_id: str) -> BucketRow | None:
    """The bucket as the server sees it, whatever the caller's policies."""
    row = (
        raw_connection()
        .execute(f"SELECT {_BUCKET_COLUMNS} FROM {BUCKETS} WHERE id = ?", (bucket_id,))
        .fetchone()
    )
    return BucketRow.from_row(row) if row else None


def bucket_or_404(bucket_id: str) -> BucketRow:
    bucket = find_bucket(bucket_id)
    if bucket is None:
        raise errors.no_such_bucket()
    return bucket


class Buckets:
    """`storage.buckets` as one caller may read it."""

    def __init__(self, auth: Auth, policies: PolicyCatalog | None = None) -> None:
        self.auth = auth
        self.policies = policies or catalog()[1]

    def _visible(self) -> Sql:
        return _all(
            [self.policies.predicate(BUCKETS, "select", self.auth.role, "t0", "using")]
        )

    def list(
        self,
        search: str = "",
        limit: int | None = None,
        offset: int = 0,
        sort_column: str = "name",
        descending: bool = False,
    ) -> list[BucketRow]:
        """Buckets whose name contains `search`, any case, as Supabase's
        `GET /bucket` filters them."""
        assert sort_column in BUCKET_SORTABLE
        order = "DESC" if descending else "ASC"
        sql = (
            Sql(
                f"SELECT {_BUCKET_COLUMNS} FROM {BUCKETS} AS t0 "
                "WHERE lower(t0.name) LIKE ? ESCAPE '\\' AND ",
                ("%" + _like_prefix(search.lower()),),
            )
            + self._visible()
            + Sql(
                f" ORDER BY t0.{sort_column} {order}, t0.id {order} LIMIT ? OFFSET ?",
                (-1 if limit is None else limit, offset),
            )
        )
        rows = _run(raw_connection(), sql, self.auth, BUCKETS)
        return [BucketRow.from_row(row) for row in rows]

    def get(self, bucket_id: str) -> BucketRow:
        sql = (
            Sql(
                f"SELECT {_BUCKET_COLUMNS} FROM {BUCKETS} AS t0 WHERE t0.id = ? AND ",
                (bucket_id,),
            )
            + self._visible()
        )
        rows = _run(raw_connection(), sql, self.auth, BUCKETS)
        if not rows:
            raise errors.no_such_bucket()
        return BucketRow.from_row(rows[0])


# ---------------------------------------------------------------- objects


class Objects:
    """`storage.objects` as one caller may read and change it."""

    def __init__(self, auth: Auth, policies: PolicyCatalog | None = None) -> None:
        self.auth = auth
        self.policies = policies or catalog()[1]

    def _using(self, *commands: str) -> Sql:
        role = self.auth.role
        return _all(
            [self.policies.predicate(OBJECTS, c, role, "t0", "using") for c in commands]
        )

    def _check(self, command: str) -> Sql | None:
        return self.policies.predicate(OBJECTS, command, self.auth.role, "t0", "check")

    def _select(
        self, where: Sql, raw: sqlite3.Connection | None = None
    ) -> list[ObjectRow]:
        sql = Sql(f"SELECT {_OBJECT_COLUMNS} FROM {OBJECTS} AS t0 WHERE ") + where
        rows = _run(raw or raw_connection(), sql, self.auth, OBJECTS)
        return [ObjectRow.from_row(row) for row in rows]

    def find(self, bucket_id: str, name: str) -> ObjectRow | None:
        """The object if it exists and the caller's select policies show it."""
        found = self._select(
            Sql("t0.bucket_id = ? AND t0.name = ? AND ", (bucket_id, name))
            + self._using("select")
        )
        return found[0] if found else None

    def find_any(self, bucket_id: str, name: str) -> ObjectRow | None:
        """The object whatever the policies say: for public buckets and
        signed URLs, whose reads the URL itself authorises."""
        found = self._select(Sql("t0.bucket_id = ? AND t0.name = ?", (bucket_id, name)))
        return found[0] if found else None

    def names_under(self, bucket_id: str, prefix: str, limit: int) -> list[str]:
        """Up to `limit` names the caller sees under the folder `prefix` (ending
        in `/`), at any depth, by name."""
        sql = (
            Sql(
                f"SELECT t0.name FROM {OBJECTS} AS t0 "
                "WHERE t0.bucket_id = ? AND substr(t0.name, 1, ?) = ? AND ",
                (bucket_id, len(prefix), prefix),
            )
            + self._using("select")
            + Sql(" ORDER BY t0.name LIMIT ?", (limit,))
        )
        return [name for (name,) in _run(raw_connection(), sql, self.auth, OBJECTS)]

    def list(
        self,
        bucket_id: str,
        prefix: str,
        search: str,
        limit: int,
        offset: int,
        sort_column: str,
        descending: bool,
    ) -> list[dict[str, Any]]:
        """One level of the bucket under `prefix` (a folder path ending in `/`
        or empty): each folder once, with a null id, then files, as Supabase
        Storage's `storage.search` returns them."""
        assert sort_column in SORTABLE
        start = len(prefix) + 1
        order = "DESC" if descending else "ASC"
        where = Sql(
            "t0.bucket_id = ? AND substr(t0.name, 1, ?) = ? "
            "AND lower(substr(t0.name, ?)) LIKE ? ESCAPE '\\' AND ",
            (bucket_id, len(prefix), prefix, start, _like_prefix(search.lower())),
        ) + self._using("select")
        entries = (
            Sql(
                f"SELECT substr(t0.name, {start}) AS rest, {_OBJECT_COLUMNS} "
                f"FROM {OBJECTS} AS t0 WHERE "
            )
            + where
        )
        sql = (
            Sql(
                "WITH entries AS (",
            )
            + entries
            + Sql(
                "), levels AS (SELECT CASE WHEN instr(rest, '/') > 0 "
                "THEN substr(rest, 1, instr(rest, '/') - 1) END AS folder, * "
                "FROM entries) "
                "SELECT folder AS name, NULL, NULL, NULL, NULL, NULL, NULL "
                "FROM levels WHERE folder IS NOT NULL GROUP BY folder "
                "UNION ALL "
                "SELECT rest, id, created_at, updated_at, last_accessed_at, "
                "metadata, user_metadata FROM levels WHERE folder IS NULL "
                f"ORDER BY {sort_column} {order}, name {order} LIMIT ? OFFSET ?",
                (limit, offset),
            )
        )
        rows = _run(raw_connection(), sql, self.auth, OBJECTS)
        return [
            {
                "name": name,
                "id": object_id,
                "updated_at": updated,
                "created_at": created,
                "last_accessed_at": accessed,
                "metadata": orjson.loads(metadata) if metadata else None,
                "user_metadata": orjson.loads(user) if user else None,
            }
            for name, object_id, created, updated, accessed, metadata, user in rows
        ]

    def list_v2(
        self,
        bucket_id: str,
        prefix: str,
        *,
        delimited: bool,
        limit: int,
        sort_column: str,
        descending: bool,
        after: tuple[str, str] | None,
    ) -> list[ListedEntry]:
        """Keys under `prefix` (any string, not only a folder), in the order
        of `sort_column` then name, from just past `after` (the sort value and
        name of the last entry of the previous page). `delimited` folds every
        key with a `/` past the prefix into its folder, as Supabase Storage's
        `storage.search_v2`; otherwise every key is listed."""
        assert sort_column in V2_SORTABLE
        visible = Sql(
            "SELECT t0.name, t0.id, t0.created_at, t0.updated_at, "
            f"t0.last_accessed_at, t0.metadata FROM {OBJECTS} AS t0 "
            "WHERE t0.bucket_id = ? AND substr(t0.name, 1, ?) = ? AND ",
            (bucket_id, len(prefix), prefix),
        ) + self._using("select")
        if delimited:
            start = len(prefix) + 1
            combined = Sql(
                "entries AS (SELECT *, CASE WHEN instr(substr(name, ?), '/') > 0 "
                "THEN substr(name, 1, ? + instr(substr(name, ?), '/')) END AS folder "
                "FROM visible), "
                "combined AS (SELECT folder AS name, NULL AS id, "
                "min(created_at) AS created_at, min(created_at) AS updated_at, "
                "NULL AS last_accessed_at, NULL AS metadata FROM entries "
                "WHERE folder IS NOT NULL GROUP BY folder "
                "UNION ALL SELECT name, id, created_at, updated_at, "
                "last_accessed_at, metadata FROM entries WHERE folder IS NULL)",
                (start, len(prefix), start),
            )
        else:
            combined = Sql("combined AS (SELECT * FROM visible)")
        order = "DESC" if descending else "ASC"
        beyond = "<" if descending else ">"
        if after is None:
            where = Sql("")
        elif sort_column == "name":
            where = Sql(f" WHERE name {beyond} ?", (after[1],))
        else:
            where = Sql(f" WHERE ({sort_column}, name) {beyond} (?, ?)", after)
        ordering = "" if sort_column == "name" else f"{sort_column} {order}, "
        sql = (
            Sql("WITH visible AS (")
            + visible
            + Sql("), ")
            + combined
            + Sql(
                " SELECT name, id, created_at, updated_at, last_accessed_at, "
                "metadata FROM combined"
            )
            + where
            + Sql(f" ORDER BY {ordering}name {order} LIMIT ?", (limit,))
        )
        rows = _run(raw_connection(), sql, self.auth, OBJECTS)
        return [
            ListedEntry(
                name,
                object_id,
                created,
                updated,
                accessed,
                orjson.loads(metadata) if metadata else None,
            )
            for name, object_id, created, updated, accessed, metadata in rows
        ]

    def save(
        self,
        raw: sqlite3.Connection,
        bucket_id: str,
        name: str,
        *,
        object_id: str,
        version: str,
        metadata: dict[str, Any],
        user_metadata: dict[str, Any] | None,
        upsert: bool,
    ) -> tuple[ObjectRow, str | None]:
        """Insert the object, or with `upsert` replace an existing one: the row
        written and the version it replaced, owned by the caller.
        Runs inside the caller's write transaction; raises before anything is
        committed when refused."""
        existing = raw.execute(
            f"SELECT rowid, version FROM {OBJECTS} WHERE bucket_id = ? AND name = ?",
            (bucket_id, name),
        ).fetchone()
        values = (
            self.auth.uid,
            orjson.dumps(metadata).decode(),
            orjson.dumps(user_metadata).decode() if user_metadata is not None else None,
            version,
        )
        if existing is None:
            _run(
                raw,
                Sql(
                    f"INSERT INTO {OBJECTS} (id, bucket_id, name, owner, metadata, "
                    "user_metadata, version) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (object_id, bucket_id, name, *values),
                ),
                self.auth,
                OBJECTS,
            )
            rowid = raw.execute("SELECT last_insert_rowid()").fetchone()[0]
            self._require(raw, rowid, self._check("insert"))
            return self._by_rowid(raw, rowid), None
        if not upsert:
            raise errors.key_already_exists()
        rowid, replaced = existing
        self._require(raw, rowid, self._using("update", "select"))
        _run(
            raw,
            Sql(
                f"UPDATE {OBJECTS} SET owner = ?, metadata = ?, user_metadata = ?, "
                f"version = ?, updated_at = {NOW}, last_accessed_at = {NOW} "
                "WHERE rowid = ?",
                (*values, rowid),
            ),
            self.auth,
            OBJECTS,
        )
        self._require(raw, rowid, self._check("update"))
        return self._by_rowid(raw, rowid), replaced

    def _require(
        self, raw: sqlite3.Connection, rowid: int, predicate: Sql | None
    ) -> None:
        """Refuse the write unless the row passes `predicate` (as Postgres, a
        NULL verdict is a no)."""
        if predicate is None:
            return
        sql = (
            Sql("SELECT (")
            + predicate
            + Sql(f") IS TRUE FROM {OBJECTS} AS t0 WHERE t0.rowid = ?", (rowid,))
        )
        rows = _run(raw, sql, self.auth, OBJECTS)
        if not rows or not rows[0][0]:
            raise errors.row_level_security()

    def _by_rowid(self, raw: sqlite3.Connection, rowid: int) -> ObjectRow:
        return self._select(Sql("t0.rowid = ?", (rowid,)), raw)[0]

    def delete(
        self, raw: sqlite3.Connection, bucket_id: str, names: list[str]
    ) -> list[ObjectRow]:
        """Delete those of `names` the caller may delete; the rows deleted."""
        if not names:
            return []
        where = Sql(
            "t0.bucket_id = ? AND t0.name IN (SELECT value FROM json_each(?)) AND ",
            (bucket_id, orjson.dumps(names).decode()),
        ) + self._using("delete", "select")
        doomed = self._select(where, raw)
        if doomed:
            raw.execute(
                f"DELETE FROM {OBJECTS} WHERE id IN (SELECT value FROM json_each(?))",
                (orjson.dumps([row.id for row in doomed]).decode(),),
            )
        return doomed

    def rename(
        self,
        raw: sqlite3.Connection,
        source: ObjectRow,
        bucket_id: str,
        name: str,
        version: str,
    ) -> ObjectRow:
        """Move `source` to `bucket_id/name` (with bytes now under `version`):
        the caller must be able to update it, and the moved row must pass the
        update check, as an UPDATE of `bucket_id` and `name` would in Postgres."""
        (rowid,) = raw.execute(
            f"SELECT rowid FROM {OBJECTS} WHERE id = ?", (source.id,)
        ).fetchone()
        self._require(raw, rowid, self._using("update", "select"))
        try:
            raw.execute(
                f"UPDATE {OBJECTS} SET bucket_id = ?, name = ?, version = ?, "
                f"updated_at = {NOW} WHERE rowid = ?",
                (bucket_id, name, version, rowid),
            )
        except sqlite3.IntegrityError:
            raise errors.key_already_exists() from None
        self._require(raw, rowid, self._check("update"))
        return self._by_rowid(raw, rowid)


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
