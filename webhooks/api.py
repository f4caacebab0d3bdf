"""`/webhooks/v1`: managing webhook endpoints from a server, with the
service_role key.

The same views as the Studio's JSON twin (`studio.api.webhooks`), so one
set of rules holds for the Studio, the admin and this API; only who may call
differs: the service role, by its key, instead of an operator's session. No
cookies are read, so there is no CSRF to check.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import path
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission

from accounts.keys import authenticate
from koyalite.errors import KoyaError
from studio.api import webhooks as views


@dataclass(frozen=True, slots=True)
class Caller:
    role: str
    is_authenticated: bool = True


class ApiKey(BaseAuthentication):
    """The role of the `apikey` and `Authorization` headers; anon counts as
    not signed in, so it is answered 401."""

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
        return 'Bearer realm="webhooks"'


class IsServiceRole(BasePermission):
    message = "managing webhooks requires the service role"

    def has_permission(self, request, view) -> bool:
        return getattr(request.user, "role", None) == "service_role"


def _view(view_class):
    return view_class.as_view(
        authentication_classes=[ApiKey], permission_classes=[IsServiceRole]
    )


_ENDPOINT = "endpoints/<int:endpoint_id>"
_DELIVERY = "deliveries/<uuid:delivery_id>"
urlpatterns = [
    path("endpoints", _view(views.EndpointList)),
    path(_ENDPOINT, _view(views.EndpointDetail)),
    path(f"{_ENDPOINT}/secret", _view(views.EndpointSecret)),
    path(f"{_ENDPOINT}/deliveries", _view(views.EndpointDeliveries)),
    path(f"{_ENDPOINT}/<slug:action>", _view(views.EndpointAction)),
    path("deliveries", _view(views.DeliveryList)),
    path(_DELIVERY, _view(views.DeliveryDetail)),
    path(f"{_DELIVERY}/replay", _view(views.DeliveryReplay)),
]
