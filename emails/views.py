"""`/emails/v1/send`: the service role queues a templated mail.

Errors answer in the data API's JSON (`{code, message, details, hint}`),
so a server calling both handles one shape.
"""

from __future__ import annotations

import orjson
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.keys import authenticate
from api.rest.errors import error_response
from emails.errors import InvalidEmailRequest, ServiceRoleRequired
from emails.services import send_email
from koyalite import jsonbody
from koyalite.errors import KoyaError


@csrf_exempt
def send(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = error_response(
            InvalidEmailRequest(f"{request.method} is not allowed; POST a mail"),
            status=405,
        )
        response["Allow"] = "POST"
        return response
    try:
        meta = request.META
        auth = authenticate(meta.get("HTTP_APIKEY"), meta.get("HTTP_AUTHORIZATION"))
        if auth.role != "service_role":
            error = ServiceRoleRequired()
            return error_response(error, status=401 if auth.role == "anon" else 403)
        body = _body(request)
        email = send_email(
            body.get("template"), body.get("to"), body.get("context", {})
        )
    except KoyaError as error:
        return error_response(error)
    return JsonResponse({"id": str(email.id)}, status=202)


def _body(request: HttpRequest) -> dict:
    try:
        body = jsonbody.loads(request.body)
    except (orjson.JSONDecodeError, jsonbody.TooDeep) as error:
        raise InvalidEmailRequest(f"the body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise InvalidEmailRequest(
            'the body must be a JSON object: {"template", "to", "context"}'
        )
    unknown = sorted(set(body) - {"template", "to", "context"})
    if unknown:
        raise InvalidEmailRequest(
            f"unknown field '{unknown[0]}'; expected template, to, context"
        )
    return body
