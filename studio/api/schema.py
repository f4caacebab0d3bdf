"""JSON twin of the schema editor: list tables, preview an operation's SQL,
run it (optionally saving it as a migration)."""

from __future__ import annotations

import re

from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from database.errors import SqlScriptError
from koyalite.errors import KoyaError
from studio import schema_editor as ddl

NAME = {"max_length": 63, "trim_whitespace": False}


class ReferenceSerializer(serializers.Serializer):
    table = serializers.CharField(**NAME)
    column = serializers.CharField(**NAME)
    on_delete = serializers.ChoiceField(choices=ddl.ON_DELETE, default="no action")


class ColumnSerializer(serializers.Serializer):
    name = serializers.CharField(**NAME)
    type = serializers.ChoiceField(choices=ddl.TYPES)
    nullable = serializers.BooleanField(default=True)
    unique = serializers.BooleanField(default=False)
    primary_key = serializers.BooleanField(default=False)
    default_value = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, trim_whitespace=False
    )
    default_expression = serializers.ChoiceField(
        choices=ddl.DEFAULT_EXPRESSIONS,
        required=False,
        allow_null=True,
        allow_blank=True,
    )
    references = ReferenceSerializer(required=False, allow_null=True)
    check = serializers.CharField(required=False, allow_null=True, allow_blank=True)

    def validate(self, data: dict) -> dict:
        if data.get("default_value") and data.get("default_expression"):
            raise serializers.ValidationError(
                {"default_value": "Give a default value or an expression, not both."}
            )
        return data

    def spec(self, data: dict) -> ddl.ColumnSpec:
        ref = data.get("references")
        return ddl.ColumnSpec(
            name=data["name"],
            type=data["type"],
            nullable=data["nullable"] and not data["primary_key"],
            unique=data["unique"],
            primary_key=data["primary_key"],
            default_value=data.get("default_value") or None,
            default_expression=data.get("default_expression") or None,
            references=ddl.Reference(**ref) if ref else None,
            check=data.get("check") or None,
        )


def _spec(data: dict) -> ddl.ColumnSpec:
    return ColumnSerializer().spec(data)


class CreateTable(serializers.Serializer):
    name = serializers.CharField(**NAME)
    columns = ColumnSerializer(many=True, allow_empty=False)
    enable_rls = serializers.BooleanField(default=True)

    def sql(self, d: dict) -> str:
        names = [c["name"].lower() for c in d["columns"]]
        if len(set(names)) != len(names):
            raise ddl.DdlError("columns", "Column names must differ.")
        columns = [_spec(c) for c in d["columns"]]
        return ddl.create_table_sql(d["name"], columns, d["enable_rls"])


class AddColumn(serializers.Serializer):
    table = serializers.CharField(**NAME)
    column = ColumnSerializer()

    def sql(self, d: dict) -> str:
        if d["column"]["primary_key"]:
            raise ddl.DdlError("column", "SQLite cannot add a primary key column.")
        return ddl.add_column_sql(d["table"], _spec(d["column"]))


class RenameColumn(serializers.Serializer):
    table = serializers.CharField(**NAME)
    column = serializers.CharField(**NAME)
    new_name = serializers.CharField(**NAME)

    def sql(self, d: dict) -> str:
        return ddl.rename_column_sql(d["table"], d["column"], d["new_name"])


class ChangeColumnType(serializers.Serializer):
    table = serializers.CharField(**NAME)
    column = serializers.CharField(**NAME)
    type = serializers.ChoiceField(choices=ddl.CHANGE_TYPES)
    using = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=1000
    )

    def sql(self, d: dict) -> str:
        return ddl.change_column_type_sql(
            d["table"], d["column"], d["type"], d.get("using") or None
        )


class DropColumn(serializers.Serializer):
    table = serializers.CharField(**NAME)
    column = serializers.CharField(**NAME)

    def sql(self, d: dict) -> str:
        return ddl.drop_column_sql(d["table"], d["column"])


class CreateIndex(serializers.Serializer):
    table = serializers.CharField(**NAME)
    columns = serializers.ListField(child=serializers.CharField(**NAME), min_length=1)
    name = serializers.CharField(required=False, allow_blank=True, **NAME)
    unique = serializers.BooleanField(default=False)

    def sql(self, d: dict) -> str:
        name = d.get("name") or "_".join([d["table"], *d["columns"], "idx"])[:63]
        return ddl.create_index_sql(d["table"], d["columns"], name, d["unique"])


class DropIndex(serializers.Serializer):
    name = serializers.CharField(**NAME)

    def sql(self, d: dict) -> str:
        return ddl.drop_index_sql(d["name"])


class RenameTable(serializers.Serializer):
    table = serializers.CharField(**NAME)
    new_name = serializers.CharField(**NAME)

    def sql(self, d: dict) -> str:
        return ddl.rename_table_sql(d["table"], d["new_name"])


class DropTable(serializers.Serializer):
    table = serializers.CharField(**NAME)

    def sql(self, d: dict) -> str:
        return ddl.drop_table_sql(d["table"])


class SetRls(serializers.Serializer):
    table = serializers.CharField(**NAME)
    enabled = serializers.BooleanField()

    def sql(self, d: dict) -> str:
        return ddl.set_rls_sql(d["table"], d["enabled"])


ACTIONS: dict[str, type[serializers.Serializer]] = {
    "create_table": CreateTable,
    "add_column": AddColumn,
    "rename_column": RenameColumn,
    "change_column_type": ChangeColumnType,
    "drop_column": DropColumn,
    "create_index": CreateIndex,
    "drop_index": DropIndex,
    "rename_table": RenameTable,
    "drop_table": DropTable,
    "set_rls": SetRls,
}


class OperationSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(ACTIONS))


def build_sql(data: object) -> str:
    """The DDL of one operation; ValidationError on bad input."""
    head = OperationSerializer(data=data)
    head.is_valid(raise_exception=True)
    body = ACTIONS[head.validated_data["action"]](data=data)
    body.is_valid(raise_exception=True)
    try:
        return body.sql(body.validated_data)
    except ddl.DdlError as error:
        raise serializers.ValidationError({error.field: [str(error)]}) from error
    except KoyaError as error:  # quote_ident: an empty name or a NUL
        raise serializers.ValidationError({"name": [error.message]}) from error


class SchemaView(APIView):
    """GET: tables, views, columns, indexes and RLS state."""

    def get(self, request: Request) -> Response:
        return Response(
            {
                "tables": ddl.describe(),
                "types": ddl.TYPES,
                "change_types": ddl.CHANGE_TYPES,
            }
        )


class SchemaPreviewView(APIView):
    """POST an operation → {sql}: what running it would run."""

    def post(self, request: Request) -> Response:
        return Response({"sql": build_sql(request.data)})


SLUG = re.compile(r"[a-z0-9_]{1,60}")


class SchemaRunView(APIView):
    """POST an operation (+ save_migration, migration_name) → {sql, statuses,
    migration}; the same SQL the preview showed, in one transaction."""

    def post(self, request: Request) -> Response:
        sql = build_sql(request.data)
        save_as = None
        if request.data.get("save_migration"):
            save_as = str(request.data.get("migration_name") or "").strip().lower()
            save_as = re.sub(r"[^a-z0-9]+", "_", save_as).strip("_")
            if not SLUG.fullmatch(save_as):
                raise serializers.ValidationError(
                    {"migration_name": ["Name the migration (letters, digits, _)."]}
                )
        try:
            applied = ddl.apply(sql, save_as=save_as)
        except SqlScriptError as error:
            payload = {"message": error.message, "code": error.code, "hint": error.hint}
            return Response(
                {"sql": sql, "error": payload}, status=status.HTTP_400_BAD_REQUEST
            )
        except FileExistsError:
            return Response(
                {
                    "sql": sql,
                    "error": {"message": "That migration file exists; try again."},
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            {"sql": sql, "statuses": applied.statuses, "migration": applied.migration}
        )
