"""`/graphql/v1`: GraphQL over HTTP, with Supabase's `apikey` and
`Authorization` headers deciding the role, as on `/rest/v1`."""

from __future__ import annotations

import orjson
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from accounts.keys import authenticate
from api.rest.views import _failure
from graphql_api.services import GraphQLRequest, run


def _json(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(
        body, status=status, content_type="application/json; charset=utf-8"
    )


def _bad_request(message: str) -> HttpResponse:
    return _json(orjson.dumps({"data": None, "errors": [{"message": message}]}), 400)


def _parse(request: HttpRequest) -> GraphQLRequest | str:
    if request.method == "GET":
        params = request.GET
        query, variables, name = (
            params.get("query"),
            params.get("variables"),
            params.get("operationName"),
        )
        if variables:
            try:
                variables = orjson.loads(variables)
            except orjson.JSONDecodeError:
                return "variables must be a JSON object"
    else:
        try:
            body = orjson.loads(request.body or b"null")
        except orjson.JSONDecodeError:
            return "The request body is not valid JSON"
        if not isinstance(body, dict):
            return "The request body must be a JSON object with a `query`"
        query, variables, name = (
            body.get("query"),
            body.get("variables"),
            body.get("operationName"),
        )
    if not isinstance(query, str) or not query.strip():
        return "A `query` string is required"
    if variables is not None and not isinstance(variables, dict):
        return "variables must be a JSON object"
    if name is not None and not isinstance(name, str):
        return "operationName must be a string"
    return GraphQLRequest(query, variables or None, name or None)


@csrf_exempt
def graphql_view(request: HttpRequest) -> HttpResponse:
    try:
        if request.method == "OPTIONS":
            return HttpResponse(status=200)
        meta = request.META
        request.auth = authenticate(
            meta.get("HTTP_APIKEY"), meta.get("HTTP_AUTHORIZATION")
        )
        if request.method not in ("GET", "POST"):
            return _bad_request(f"Unsupported HTTP method: {request.method}")
        parsed = _parse(request)
        if isinstance(parsed, str):
            return _bad_request(parsed)
        return _json(
            run(parsed, request.auth, allow_mutations=request.method == "POST")
        )
    except Exception as error:  # the top-level handler of the API
        return _failure(request, error)
