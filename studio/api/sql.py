"""JSON twin of the SQL editor: run SQL, the operator's history and snippets."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studio.models import SqlRun, SqlSnippet
from studio.sql_editor import run_operator_sql

HISTORY_LIMIT = 100


class RunSerializer(serializers.Serializer):
    sql = serializers.CharField(trim_whitespace=False, max_length=1_000_000)
    explain = serializers.BooleanField(default=False)


class SqlRunView(APIView):
    """POST {sql, explain?} → the last result, or {error: {message, line, column}}."""

    def post(self, request: Request) -> Response:
        body = RunSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcome = run_operator_sql(
            request.user,
            body.validated_data["sql"],
            explain=body.validated_data["explain"],
        )
        code = status.HTTP_400_BAD_REQUEST if outcome.error else status.HTTP_200_OK
        return Response(outcome.as_json(), status=code)


class HistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = SqlRun
        fields = [
            "id",
            "sql",
            "explain",
            "created_at",
            "duration_ms",
            "row_count",
            "error",
        ]


class SqlHistoryView(APIView):
    """GET: the operator's latest runs, newest first."""

    def get(self, request: Request) -> Response:
        runs = SqlRun.objects.filter(operator=request.user)[:HISTORY_LIMIT]
        return Response({"runs": HistorySerializer(runs, many=True).data})


class SnippetSerializer(serializers.ModelSerializer):
    name = serializers.CharField(max_length=200)
    sql = serializers.CharField(trim_whitespace=False, max_length=1_000_000)

    class Meta:
        model = SqlSnippet
        fields = ["id", "name", "sql", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class SqlSnippetsView(APIView):
    """GET list, POST create, PATCH ?id= rename/edit, DELETE ?id= — the
    operator's own snippets only."""

    def get(self, request: Request) -> Response:
        snippets = SqlSnippet.objects.filter(operator=request.user)
        return Response({"snippets": SnippetSerializer(snippets, many=True).data})

    def post(self, request: Request) -> Response:
        body = SnippetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._save(body, status.HTTP_201_CREATED, operator=request.user)

    def patch(self, request: Request) -> Response:
        snippet = self._own(request)
        body = SnippetSerializer(snippet, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        return self._save(body, status.HTTP_200_OK, updated_at=timezone.now())

    def delete(self, request: Request) -> Response:
        self._own(request).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _own(self, request: Request) -> SqlSnippet:
        ident = request.query_params.get("id") or request.data.get("id")
        if not str(ident or "").isdigit():
            raise serializers.ValidationError({"id": "Give the snippet's id."})
        return get_object_or_404(SqlSnippet, pk=int(ident), operator=request.user)

    def _save(self, body: SnippetSerializer, code: int, **extra) -> Response:
        try:
            with transaction.atomic():
                snippet = body.save(**extra)
        except IntegrityError:
            return Response(
                {"message": "A snippet with that name exists.", "name": ["taken"]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(SnippetSerializer(snippet).data, status=code)
