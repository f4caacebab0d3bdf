"""Turn a PostgREST request (query string, headers, body) into a typed request.

Owns PostgREST's grammar: `select`, `order`, filters and `and`/`or` trees,
`limit`/`offset` and the `Range` header, `Prefer`, `Accept`, the profile headers
and the body (JSON, form fields or CSV). It knows nothing of the schema: names
stay strings and values stay the text the client sent, for `database/plan.py`
to resolve. Every bad input ends as a `KoyaError` (PGRST1xx), never as another
exception. Grammar follows PostgREST's `ApiRequest/QueryParams.hs`, stricter
where PostgREST silently ignores trailing text.
"""

from __future__ import annotations

from api.rest.parse.filters import parse_condition
from api.rest.parse.request import read_request, write_request
from api.rest.parse.select import parse_order, parse_select

__all__ = [
    "parse_condition",
    "parse_order",
    "parse_select",
    "read_request",
    "write_request",
]
