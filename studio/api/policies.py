"""JSON twins of the Policies pages: the tables' RLS and policies, expression
validation, policy statements (built, then run as `koyalite sql` runs them),
and the policy tester."""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from database.executor import catalog
from database.runner import run_sql
from koyalite.errors import KoyaError
from rls.services import validate_policy
from studio import policies


def error_json(error: KoyaError) -> dict[str, Any]:
    return {
        "code": error.code,
        "message": error.message,
        "details": error.details,
        "hint": error.hint,
    }


def _failed(error: KoyaError) -> Response:
    return Response(error_json(error), status=error.status)


def _data(request: Request) -> dict[str, Any]:
    data = request.data
    if not isinstance(data, dict):
        raise policies.InvalidForm("send a JSON object")
    return data


class TablesView(APIView):
    """GET: every table with its RLS flag and policies."""

    def get(self, request: Request) -> Response:
        tables = [policies.table_json(t) for t in policies.list_tables()]
        return Response({"tables": tables})


class ValidateView(APIView):
    """POST {table, command, using, check}: would `create policy` accept these?"""

    def post(self, request: Request) -> Response:
        try:
            data = _data(request)
            form = policies.policy_form({**data, "name": data.get("name") or "_"})
            schema, _ = catalog()
            validate_policy(form.table, form.command, form.using, form.check, schema)
        except KoyaError as error:
            return Response({"ok": False, "error": error_json(error)})
        return Response({"ok": True})


class StatementView(APIView):
    """POST a policy form: the statement; with `"run": true` it runs too."""

    def post(self, request: Request) -> Response:
        try:
            data = _data(request)
            action = data.get("action", "save")
            if action == "drop":
                form = policies.policy_form(data)
                sql = policies.drop_statement(form.table, form.name)
            elif action == "rls":
                table = policies.policy_form({**data, "name": "_"}).table
                sql = policies.rls_statement(table, data.get("enabled") is True)
            else:
                sql = policies.policy_statement(policies.policy_form(data))
            if data.get("run") is not True:
                return Response({"sql": sql})
            results = run_sql(sql)
        except KoyaError as error:
            return _failed(error)
        return Response({"sql": sql, "status": [r.status for r in results]})


class TestView(APIView):
    """POST {as, email, claims, table, operation, row}: the tester's verdicts."""

    def post(self, request: Request) -> Response:
        try:
            data = _data(request)
            result = policies.run_tester(
                caller=policies.Caller(
                    kind=str(data.get("as", "anon")),
                    email=str(data.get("email") or ""),
                    claims=_json_text(data.get("claims")),
                ),
                table=str(data.get("table") or ""),
                operation=str(data.get("operation") or "select"),
                row=_json_text(data.get("row")),
            )
        except KoyaError as error:
            return _failed(error)
        return Response(policies.explanation_json(result))


def _json_text(value: object) -> str:
    """Claims and rows may come as JSON objects or as the text of one."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()
