"""What an operator can get wrong about a webhook endpoint."""

from __future__ import annotations

from koyalite.errors import KoyaError


class InvalidEndpoint(KoyaError):
    """A setting of an endpoint is missing or wrong; the message names it."""

    code = "KL300"


class EndpointDeclaredInSql(KoyaError):
    status = 409
    code = "KL301"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"the webhook endpoint {name!r} is declared in SQL (create trigger … "
            "supabase_functions.http_request); change or drop it with SQL, "
            "in a migration",
            hint=f'Write: create or replace trigger "{name}" … or drop trigger "{name}" on …',
        )
