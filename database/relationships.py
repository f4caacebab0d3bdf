"""Relationships between tables, and which one an embed names.

Follows PostgREST: every foreign key is a many-to-one (one-to-one when its
columns are unique) from the table holding it and a one-to-many (one-to-one)
from the table it references; a table whose primary key holds the columns of
two of its foreign keys joins their tables many-to-many
(`SchemaCache.hs addM2MRels`). An embed `target!hint(...)` picks among the
parent's relationships as `Plan.hs findRel` does, so the same request embeds
the same rows, or is ambiguous (300 PGRST201) or unknown (PGRST200), exactly
when PostgREST says so.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Literal

from database.errors import AmbiguousRelationship, RelationshipNotFound
from database.schema import ForeignKey, SchemaCache, TableInfo
from database.sql import Sql

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
    junction: TableInfo | None = None
    junction_parent: tuple[str, ...] = ()
    junction_child: tuple[str, ...] = ()
    junction_keys: tuple[str, str] = ("", "")
    junction_policy: Sql | None = None

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


def _by_key(fk: ForeignKey, holder: TableInfo, outward: bool) -> Relationship:
    """The relationship `fk` gives: `outward` from the table holding it to the
    table it references, else back. Unique key columns make it one-to-one."""
    unique = holder.is_unique(fk.columns)
    if outward:
        cardinality: Cardinality = "one-to-one" if unique else "many-to-one"
        return Relationship(
            cardinality, fk.name, fk.columns, fk.ref_columns, child=fk.ref_table
        )
    cardinality = "one-to-one" if unique else "one-to-many"
    return Relationship(
        cardinality, fk.name, fk.ref_columns, fk.columns, child=fk.table
    )


def _many_to_many(schema: SchemaCache, parent: TableInfo) -> list[Relationship]:
    found = []
    for junction in schema.tables.values():
        keys = set(junction.primary_key)
        for to_parent in junction.foreign_keys:
            if to_parent.ref_table != parent.name or junction.is_unique(
                to_parent.columns
            ):
                continue
            for to_child in junction.foreign_keys:
                if (
                    to_child is to_parent
                    or junction.is_unique(to_child.columns)
                    or not set(to_parent.columns + to_child.columns) <= keys
                    or schema.table(to_child.ref_table) is None
                ):
                    continue
                found.append(
                    Relationship(
                        "many-to-many",
                        junction.name,
                        parent_columns=to_parent.ref_columns,
                        child_columns=to_child.ref_columns,
                        child=to_child.ref_table,
                        junction=junction,
                        junction_parent=to_parent.columns,
                        junction_child=to_child.columns,
                        junction_keys=(to_parent.name, to_child.name),
                    )
                )
    return found


def relationships_of(schema: SchemaCache, parent: TableInfo) -> list[Relationship]:
    """Every relationship from `parent`, in PostgREST's kinds."""
    found = [
        _by_key(fk, parent, outward=True)
        for fk in parent.foreign_keys
        if schema.table(fk.ref_table) is not None
    ]
    for fk in schema.referenced_by.get(parent.name, ()):
        holder = schema.table(fk.table)
        if holder is not None:
            found.append(_by_key(fk, holder, outward=False))
    found.extend(_many_to_many(schema, parent))
    return found


_cache_lock = threading.Lock()
_cache: dict[str, tuple[SchemaCache, list[Relationship]]] = {}


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
        return target == child or (
            relationship.names_constraint(target)
            or relationship.names_single_column(target)
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
