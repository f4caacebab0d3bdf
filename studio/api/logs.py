"""`GET /studio/api/logs`: the Logs page's data as JSON, same query string."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studio.logs import LogFilters, read_log


class LogsView(APIView):
    def get(self, request: Request) -> Response:
        return Response(read_log(LogFilters.from_query(request.query_params)).as_json())
