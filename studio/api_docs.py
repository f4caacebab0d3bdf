"""What the API docs pages show: each table's columns and keys and the client
snippets for it. The HTML pages and their JSON twins both read it here."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.http import Http404

from accounts import keys
from database.executor import catalog
from database.schema import TableInfo
from studio.project_info import api_url
from studio.snippets import Snippet, auth_snippets, table_snippets


@dataclass(frozen=True, slots=True)
class ColumnDoc:
    name: str
    type: str
    nullable: bool
    default: str | None
    primary_key: bool
    references: str | None  # "table.column" of a foreign key


@dataclass(frozen=True, slots=True)
class TableDoc:
    name: str
    is_view: bool
    columns: list[ColumnDoc]
    snippets: list[Snippet]

    def as_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class DocsIndex:
    api_url: str
    anon_key: str
    tables: list[str]
    auth_snippets: list[Snippet]

    def as_json(self) -> dict:
        return asdict(self)


def docs_index() -> DocsIndex:
    schema, _policies = catalog()
    url, anon = api_url(), keys.anon_key()
    return DocsIndex(
        api_url=url,
        anon_key=anon,
        tables=sorted(schema.tables, key=str.casefold),
        auth_snippets=auth_snippets(url, anon),
    )


def _columns(table: TableInfo) -> list[ColumnDoc]:
    references: dict[str, str] = {}
    for key in table.foreign_keys:
        for column, ref in zip(key.columns, key.ref_columns, strict=False):
            references[column] = f"{key.ref_table}.{ref}"
    return [
        ColumnDoc(
            name=column.name,
            type=column.declared_type or column.kind,
            nullable=column.nullable,
            default=column.default,
            primary_key=column.primary_key > 0,
            references=references.get(column.name),
        )
        for column in table.columns.values()
    ]


def table_doc(name: str) -> TableDoc:
    """The docs of one user table or view; 404 for any other name."""
    schema, _policies = catalog()
    table = schema.table(name)
    if table is None:
        raise Http404(f"No table named {name!r}.")
    return TableDoc(
        name=table.name,
        is_view=table.is_view,
        columns=_columns(table),
        snippets=table_snippets(table, api_url(), keys.anon_key()),
    )
