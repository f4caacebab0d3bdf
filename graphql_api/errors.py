"""GraphQL request errors: reported in the `errors` list of a 200 response,
as pg_graphql reports them."""

from __future__ import annotations

from koyalite.errors import KoyaError


class GraphQLRequestError(KoyaError):
    """A document the server will not run; the message says why."""

    status = 400
    code = "KL400"


class DocumentTooComplex(GraphQLRequestError):
    """Deeper, wider or with more aliases than the limits allow."""
