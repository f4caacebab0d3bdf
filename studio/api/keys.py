"""`POST /studio/api/keys/service`: the service_role key, on an operator's
explicit request. It never appears in a page's HTML; the Overview fetches it
when the operator presses "Reveal"."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import keys


class ServiceKeyView(APIView):
    def post(self, request: Request) -> Response:
        response = Response({"service_role_key": keys.service_role_key()})
        # A secret: no cache may keep it.
        response["Cache-Control"] = "no-store"
        return response
