"""`GET /studio/api/docs` and `GET /studio/api/docs/<table>`: the API docs
pages' data as JSON."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studio.api_docs import docs_index, table_doc


class DocsIndexView(APIView):
    def get(self, request: Request) -> Response:
        return Response(docs_index().as_json())


class TableDocView(APIView):
    def get(self, request: Request, table: str) -> Response:
        return Response(table_doc(table).as_json())
