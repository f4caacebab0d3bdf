"""Relationships between tables, and which one an embed names.

Follows PostgREST: every foreign key is a many-to-one (one-to-one when its
columns are unique) from the table holding it and a one-to-many (one-to-one)
from the table it references; a table whose primary key holds the columns of
two of its foreign keys joins their tables many-to-many
(`SchemaCache.hs addM2MRels`). A view showing a key's columns unchanged
(`SchemaCache.view_columns`) takes the key's relationships as its own, to
tables and to other views, as PostgREST's `addViewM2OAndO2ORels`. An embed `target!hint(...)` picks among the
parent's relationships as `Plan.hs findRel` does, so the same request embeds
the same rows, or is ambiguous (300 PGRST201) or unknown (PGRST200), exactly
when PostgREST says so.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Literal

from database.errors import AmbiguousRelationship, RelationshipNotFound
from database.schema import SchemaCache, TableInfo
from database.sql import Sql
from database.types import ForeignKeyRef
from database.views import InlinedView

Cardinality = Literal["many-to-one", "one-to-one", "one-to-many", "many-to-many"]


@dataclass(frozen=True, slots=True)
class Relationship:
    """How a child node joins its parent.

    For direct relationships `parent_columns[i]` equals `child_columns[i]`. For
    many-to-many, `junction` rows link them: junction.`junction_parent[i]` =
    parent.`parent_columns[i]` and junction.`junction_child[i]` =
    child.`child_columns[i]`; `junction_keys` names the junction's two
    foreign keys.
    """

    cardinality: Cardinality
    name: str  # the foreign key (or junction) that defines it
    parent_columns: tuple[str, ...]
    child_columns: tuple[str, ...]
    child: str = ""  # the table it reaches
    child_is_view: bool = False
    junction: TableInfo | None = None
    junction_parent: tuple[str, ...] = ()
    junction_child: tuple[str, ...] = ()
    junction_keys: tuple[str, str] = ("", "")
    junction_policy: Sql | None = None
    junction_view: InlinedView | None = None  # a security_invoker junction
    holds_key: bool = False  # the parent holds the foreign key `name`

    @property
    def to_one(self) -> bool:
        return self.cardinality in ("many-to-one", "one-to-one")

    def names_single_column(self, name: str) -> bool:
        """The parent's side is the one column `name` (`client_id(*)`)."""
        return self.junction is None and self.parent_columns == (name,)

    def names_single_referenced_column(self, name: str) -> bool:
        """The child's side is the one column `name` (`clients!id(*)`)."""
        return self.junction is None and self.child_columns == (name,)

    def names_constraint(self, name: str) -> bool:
        return self.junction is None and self.name == name


@dataclass(frozen=True, slots=True)
class _Link:
    """A foreign key between two tables or views that show its columns: the
    holder's `columns` reference the target's `ref_columns`."""

    name: str
    holder: TableInfo
    columns: tuple[str, ...]
    target: TableInfo
    ref_columns: tuple[str, ...]
    one_to_one: bool

    def forward(self) -> Relationship:
        """From the holder to the row it references."""
        return Relationship(
            "one-to-one" if self.one_to_one else "many-to-one",
            self.name,
            self.columns,
            self.ref_columns,
            child=self.target.name,
            child_is_view=self.target.is_view,
            holds_key=True,
        )

    def inverse(self) -> Relationship:
        """From the referenced row to the holders."""
        return Relationship(
            "one-to-one" if self.one_to_one else "one-to-many",
            self.name,
            self.ref_columns,
            self.columns,
            child=self.holder.name,
            child_is_view=self.holder.is_view,
        )


def _shown_as(
    schema: SchemaCache, table: str, columns: tuple[str, ...]
) -> list[tuple[TableInfo, tuple[str, ...]]]:
    """Every view showing all of `table`'s `columns`, with the view columns
    that show them: one entry per choice when a view shows a column twice
    (`SchemaCache.hs expandKeyDepCols`)."""
    found = []
    for name, origins in schema.view_columns.items():
        view = schema.table(name)
        if view is None:
            continue
        choices = [
            [column for column in view.columns if origins.get(column) == (table, c)]
            for c in columns
        ]
        if all(choices):
            found.extend((view, shown) for shown in itertools.product(*choices))
    return found


def _links(schema: SchemaCache) -> list[_Link]:
    """Every foreign key, and its copies through views (`SchemaCache.hs
    addViewM2OAndO2ORels`): from a view showing its columns, to a view
    showing the columns it references, or both."""
    found = []
    for holder in schema.tables.values():
        for fk in holder.foreign_keys:
            target = schema.table(fk.ref_table)
            if target is None:
                continue
            one_to_one = holder.is_unique(fk.columns)
            holders = [(holder, fk.columns)] + _shown_as(
                schema, holder.name, fk.columns
            )
            targets = [(target, fk.ref_columns)] + _shown_as(
                schema, target.name, fk.ref_columns
            )
            found.extend(
                _Link(fk.name, h, columns, t, ref_columns, one_to_one)
                for h, columns in holders
                for t, ref_columns in targets
            )
    return found


def _many_to_many(
    links: list[_Link], by_holder: dict[str, list[_Link]], parent: TableInfo
) -> list[Relationship]:
    """Through a junction (table or view) whose primary key holds the columns
    of two of its many-to-one links (`SchemaCache.hs addM2MRels`)."""
    found = []
    for to_parent in links:
        junction = to_parent.holder
        if to_parent.target.name != parent.name or to_parent.one_to_one:
            continue
        keys = set(junction.primary_key)
        for to_child in by_holder[junction.name]:
            if (
                to_child.name == to_parent.name
                or to_child.one_to_one
                or not set(to_parent.columns + to_child.columns) <= keys
            ):
                continue
            found.append(
                Relationship(
                    "many-to-many",
                    junction.name,
                    parent_columns=to_parent.ref_columns,
                    child_columns=to_child.ref_columns,
                    child=to_child.target.name,
                    child_is_view=to_child.target.is_view,
                    junction=junction,
                    junction_parent=to_parent.columns,
                    junction_child=to_child.columns,
                    junction_keys=(to_parent.name, to_child.name),
                )
            )
    return found


def relationships_of(schema: SchemaCache, parent: TableInfo) -> list[Relationship]:
    """Every relationship from `parent` (a table or a view), in PostgREST's kinds."""
    links = _cached_links(schema)
    by_holder: dict[str, list[_Link]] = {}
    for link in links:
        by_holder.setdefault(link.holder.name, []).append(link)
    found = [link.forward() for link in by_holder.get(parent.name, ())]
    found.extend(link.inverse() for link in links if link.target.name == parent.name)
    found.extend(_many_to_many(links, by_holder, parent))
    return found


_cache_lock = threading.Lock()
_cache: dict[str, tuple[SchemaCache, list[Relationship]]] = {}
_links_cache: list[tuple[SchemaCache, list[_Link]]] = []


def _cached_links(schema: SchemaCache) -> list[_Link]:
    # Every table's relationships come from every foreign key and view: found
    # once per schema.
    with _cache_lock:
        for cached, links in _links_cache:
            if cached is schema:
                return links
    links = _links(schema)
    with _cache_lock:
        _links_cache[:] = [(schema, links)]
    return links


def _cached_relationships(schema: SchemaCache, parent: TableInfo) -> list[Relationship]:
    # One schema cache serves every request until the schema changes; the
    # junction scan reads every table, so it runs once per table per schema.
    found = _cache.get(parent.name)
    if found is not None and found[0] is schema:
        return found[1]
    relationships = relationships_of(schema, parent)
    with _cache_lock:
        if any(cached is not schema for cached, _ in _cache.values()):
            _cache.clear()
        _cache[parent.name] = (schema, relationships)
    return relationships


def _is_named(
    relationship: Relationship, parent: str, target: str, hint: str | None
) -> bool:
    """`Plan.hs findRel`: does `target!hint` name this relationship?"""
    child = relationship.child
    if child == parent:
        # A self-reference has one key and two directions: the table's name
        # (hinted by the referencing column) reads the rows pointing here,
        # the column's name reads the row this one points at. PostgREST
        # names no other self-relationship (one-to-one, many-to-many).
        if hint is None:
            return (target == child and relationship.cardinality == "one-to-many") or (
                relationship.names_single_column(target)
                and relationship.cardinality == "many-to-one"
            )
        return (
            target == child
            and relationship.cardinality == "one-to-many"
            and relationship.names_single_referenced_column(hint)
        )
    if hint is None:
        # A view is named by its own name only: a constraint or a column
        # reaches tables (PostgREST issue 2238).
        return target == child or (
            not relationship.child_is_view
            and (
                relationship.names_constraint(target)
                or relationship.names_single_column(target)
            )
        )
    return target == child and (
        relationship.names_constraint(hint)
        or relationship.names_single_column(hint)
        or relationship.names_single_referenced_column(hint)
        or (relationship.junction is not None and relationship.junction.name == hint)
    )


def find_relationship(
    schema: SchemaCache, parent: TableInfo, target: str, hint: str | None
) -> tuple[Relationship, TableInfo]:
    """The one relationship `target!hint` names from `parent`, and its table."""
    found = [
        relationship
        for relationship in _cached_relationships(schema, parent)
        if _is_named(relationship, parent.name, target, hint)
    ]
    if not found:
        raise RelationshipNotFound(parent.name, target, hint)
    if len(found) > 1:
        raise _ambiguous(parent.name, target, found)
    relationship = found[0]
    child = schema.table(relationship.child)
    assert child is not None  # relationships only reach tables in the schema
    return relationship, child


def find_by_foreign_key(
    schema: SchemaCache, parent: TableInfo, target: str, key: ForeignKeyRef
) -> tuple[Relationship, TableInfo]:
    """The relationship the foreign key `key` makes from `parent` to `target`,
    in the direction `key` says: GraphQL names each one exactly, and a table
    referencing itself has two under the same key."""
    for relationship in _cached_relationships(schema, parent):
        if (
            relationship.junction is None
            and relationship.name == key.name
            and relationship.child == target
            and relationship.holds_key == key.from_holder
        ):
            child = schema.table(target)
            assert child is not None  # relationships only reach tables in the schema
            return relationship, child
    raise RelationshipNotFound(parent.name, target, key.name)


def _describe(parent: str, relationship: Relationship) -> str:
    """A relationship as PostgREST's PGRST201 details describe it."""
    if relationship.junction is not None:
        to_parent, to_child = relationship.junction_keys
        return (
            f"{relationship.junction.name} using "
            f"{to_parent}({', '.join(relationship.junction_parent)}) and "
            f"{to_child}({', '.join(relationship.junction_child)})"
        )
    return (
        f"{relationship.name} using {parent}({', '.join(relationship.parent_columns)})"
        f" and {relationship.child}({', '.join(relationship.child_columns)})"
    )


def _ambiguous(
    parent: str, target: str, found: list[Relationship]
) -> AmbiguousRelationship:
    options = ", ".join(f"'{target}!{rel.name}'" for rel in found)
    error = AmbiguousRelationship(
        f"Could not embed because more than one relationship was found for '{parent}' and '{target}'",
        hint=f"Try changing '{target}' to one of the following: {options}. Find the desired relationship in the 'details' key.",
    )
    error.details = [  # type: ignore[assignment]
        {
            "cardinality": rel.cardinality,
            "embedding": f"{parent} with {rel.child}",
            "relationship": _describe(parent, rel),
        }
        for rel in found
    ]
    return error
