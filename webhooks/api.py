"""`/webhooks/v1`: managing webhook endpoints from a server, with the
service_role key.

The same views as the Studio's JSON twin (`studio.api.webhooks`), so one
set of rules holds for the Studio, the admin and this API; only who may call
differs: the service role, by its key, instead of an operator's session. No
cookies are read, so there is no CSRF to check.
"""

from __future__ import annotations

from django.urls import path

from accounts.service_api import service_role_view
from studio.api import webhooks as views


def _view(view_class):
    return service_role_view(view_class, "webhooks")


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
