"""The OpenAPI (Swagger 2.0) description served at `GET /rest/v1/`, as
PostgREST serves it: one path and one definition per table."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from accounts.keys import Auth
from database.executor import catalog
from database.schema import ColumnInfo, TableInfo

_TYPES: dict[str, dict[str, str]] = {
    "text": {"type": "string", "format": "text"},
    "integer": {"type": "integer", "format": "bigint"},
    "numeric": {"type": "number", "format": "numeric"},
    "boolean": {"type": "boolean", "format": "boolean"},
    "uuid": {"type": "string", "format": "uuid"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
    "timestamp": {"type": "string", "format": "timestamp without time zone"},
    "timestamptz": {"type": "string", "format": "timestamp with time zone"},
    "json": {"format": "jsonb"},
    "array": {"type": "array"},
    "blob": {"type": "string", "format": "bytea"},
}

_COMMON_PARAMETERS: dict[str, dict[str, Any]] = {
    "select": {
        "name": "select",
        "in": "query",
        "required": False,
        "type": "string",
        "description": "Filtering Columns",
    },
    "order": {
        "name": "order",
        "in": "query",
        "required": False,
        "type": "string",
        "description": "Ordering",
    },
    "range": {
        "name": "Range",
        "in": "header",
        "required": False,
        "type": "string",
        "description": "Limiting and Pagination",
    },
    "rangeUnit": {
        "name": "Range-Unit",
        "in": "header",
        "required": False,
        "type": "string",
        "default": "items",
        "description": "Limiting and Pagination",
    },
    "offset": {
        "name": "offset",
        "in": "query",
        "required": False,
        "type": "string",
        "description": "Limiting and Pagination",
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "type": "string",
        "description": "Limiting and Pagination",
    },
    "on_conflict": {
        "name": "on_conflict",
        "in": "query",
        "required": False,
        "type": "string",
        "description": "On Conflict",
    },
    "preferParams": {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "type": "string",
        "enum": ["params=single-object"],
        "description": "Preference",
    },
    "preferReturn": {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "type": "string",
        "enum": ["return=representation", "return=minimal", "return=none"],
        "description": "Preference",
    },
    "preferCount": {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "type": "string",
        "enum": ["count=none"],
        "description": "Preference",
    },
    "preferPost": {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "type": "string",
        "enum": [
            "return=representation",
            "return=minimal",
            "return=none",
            "resolution=ignore-duplicates",
            "resolution=merge-duplicates",
        ],
        "description": "Preference",
    },
}


def _property(table: TableInfo, column: ColumnInfo) -> dict[str, Any]:
    prop: dict[str, Any] = dict(_TYPES[column.kind])
    prop["format"] = column.declared_type or prop.get("format", "text")
    notes = []
    if column.primary_key:
        notes.append("This is a Primary Key.<pk/>")
    for fk in table.foreign_keys:
        if column.name in fk.columns:
            ref = fk.ref_columns[fk.columns.index(column.name)]
            notes.append(
                f"This is a Foreign Key to `{fk.ref_table}.{ref}`.<fk table='{fk.ref_table}' column='{ref}'/>"
            )
    if notes:
        prop["description"] = "Note:\n" + "\n".join(notes)
    if column.default is not None:
        prop["default"] = column.default
    return prop


def _definition(table: TableInfo) -> dict[str, Any]:
    required = [
        c.name for c in table.columns.values() if not c.nullable and not c.has_default
    ]
    definition: dict[str, Any] = {
        "type": "object",
        "properties": {c.name: _property(table, c) for c in table.columns.values()},
    }
    if required:
        definition["required"] = required
    return definition


def _path(table: TableInfo) -> dict[str, Any]:
    filters = [
        {"$ref": f"#/parameters/rowFilter.{table.name}.{c}"} for c in table.columns
    ]
    ref = {"$ref": f"#/definitions/{table.name}"}
    body = {
        "name": table.name,
        "in": "body",
        "required": False,
        "schema": ref,
        "description": table.name,
    }
    tags = [table.name]
    return {
        "get": {
            "tags": tags,
            "parameters": filters
            + [
                {"$ref": f"#/parameters/{p}"}
                for p in (
                    "select",
                    "order",
                    "range",
                    "rangeUnit",
                    "offset",
                    "limit",
                    "preferCount",
                )
            ],
            "responses": {
                "200": {"description": "OK", "schema": {"type": "array", "items": ref}},
                "206": {"description": "Partial Content"},
            },
        },
        "post": {
            "tags": tags,
            "parameters": [
                body,
                {"$ref": "#/parameters/select"},
                {"$ref": "#/parameters/preferPost"},
            ],
            "responses": {"201": {"description": "Created"}},
        },
        "patch": {
            "tags": tags,
            "parameters": filters + [body, {"$ref": "#/parameters/preferReturn"}],
            "responses": {"204": {"description": "No Content"}},
        },
        "delete": {
            "tags": tags,
            "parameters": filters + [{"$ref": "#/parameters/preferReturn"}],
            "responses": {"204": {"description": "No Content"}},
        },
    }


def describe(auth: Auth) -> dict[str, Any]:
    schema, _ = catalog()
    tables = sorted(schema.tables.values(), key=lambda t: t.name)
    parameters = dict(_COMMON_PARAMETERS)
    for table in tables:
        for column in table.columns:
            parameters[f"rowFilter.{table.name}.{column}"] = {
                "name": column,
                "in": "query",
                "required": False,
                "type": "string",
                "format": table.columns[column].declared_type or "text",
            }
    return {
        "swagger": "2.0",
        "info": {
            "title": "KoyaLite REST API",
            "description": "PostgREST-compatible API over this project's tables.",
            "version": "0.1.0",
        },
        "host": settings.API_URL.split("://", 1)[-1],
        "basePath": "/rest/v1",
        "schemes": [settings.API_URL.split("://", 1)[0]],
        "consumes": [
            "application/json",
            "application/vnd.pgrst.object+json",
            "text/csv",
        ],
        "produces": [
            "application/json",
            "application/vnd.pgrst.object+json",
            "text/csv",
        ],
        "paths": {
            "/": {
                "get": {
                    "tags": ["Introspection"],
                    "summary": "OpenAPI description (this document)",
                    "responses": {"200": {"description": "OK"}},
                }
            },
            **{f"/{t.name}": _path(t) for t in tables},
        },
        "definitions": {t.name: _definition(t) for t in tables},
        "parameters": parameters,
    }
