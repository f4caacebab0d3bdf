"""Who may call KoyaLite's management APIs (`/webhooks/v1`,
`/functions/admin/v1`): the service role, by its key.

These APIs read no cookies, so there is no CSRF to check; an operator's
Studio session does not reach them.
"""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from accounts.keys import authenticate
from koyalite.errors import KoyaError


@dataclass(frozen=True, slots=True)
class Caller:
    role: str
    is_authenticated: bool = True


class ApiKey(BaseAuthentication):
    """The role of the `apikey` and `Authorization` headers; anon counts as
    not signed in, so it is answered 401."""

    realm = "koyalite"

    def authenticate(self, request):
        meta = request.META
        try:
            auth = authenticate(meta.get("HTTP_APIKEY"), meta.get("HTTP_AUTHORIZATION"))
        except KoyaError as error:
            raise AuthenticationFailed(error.message) from None
        if auth.role == "anon":
            return None
        return (Caller(auth.role), None)

    def authenticate_header(self, request) -> str:
        return f'Bearer realm="{self.realm}"'


class IsServiceRole(BasePermission):
    """A signed-in user's token is refused with 403."""

    message = "this API requires the service role"

    def has_permission(self, request, view) -> bool:
        return getattr(request.user, "role", None) == "service_role"


def service_role_view(view_class, realm: str):
    """`view_class` as a view only the service role may call; `realm` names
    what it manages ("webhooks") in the challenge and the refusal."""
    authentication = type(f"{view_class.__name__}ApiKey", (ApiKey,), {"realm": realm})
    permission = type(
        f"{view_class.__name__}ServiceRole",
        (IsServiceRole,),
        {"message": f"managing {realm} requires the service role"},
    )
    return view_class.as_view(
        authentication_classes=[authentication], permission_classes=[permission]
    )
