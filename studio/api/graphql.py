"""`POST /studio/api/graphql/credentials`: the headers GraphiQL sends as the
role the operator picked (anon, service_role or a user), minted on request
so no key or token sits in the page's HTML."""

from __future__ import annotations

import time

import orjson
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import keys, users
from accounts.sessions import user_claims

# Long enough for a session in GraphiQL; the page mints another on reload.
TOKEN_SECONDS = 3600


class CredentialsView(APIView):
    def post(self, request: Request) -> Response:
        role = request.data.get("role")
        bearer: str
        if role == "anon":
            bearer = keys.anon_key()
        elif role == "service_role":
            bearer = keys.service_role_key()
        elif role == "user":
            user_id = request.data.get("user")
            text = users.profile_text(user_id) if isinstance(user_id, str) else None
            if text is None:
                return Response({"message": "No user has that id."}, status=404)
            now = int(time.time())
            claims = {
                **user_claims(orjson.loads(text)),
                "iat": now,
                "exp": now + TOKEN_SECONDS,
                "aal": "aal1",
                "amr": [],
            }
            bearer = keys.sign(claims)
        else:
            return Response(
                {"message": "role must be anon, service_role or user."}, status=400
            )
        response = Response(
            {"apikey": keys.anon_key(), "authorization": f"Bearer {bearer}"}
        )
        response["Cache-Control"] = "no-store"  # a secret: no cache may keep it
        return response
