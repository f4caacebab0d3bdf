"""`GET /studio/api/overview`: the Overview page's data as JSON."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studio.project_info import overview


class OverviewView(APIView):
    def get(self, request: Request) -> Response:
        return Response(overview().as_json())
