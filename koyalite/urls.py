from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views.generic import RedirectView


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("health", health),
    path("rest/v1/", include("api.rest.urls")),
    path("auth/v1/", include("accounts.urls")),
    path("storage/v1/", include("storage.urls")),
    path("emails/v1/", include("emails.urls")),
    path("webhooks/v1/", include("webhooks.api")),
    path("functions/admin/v1/", include("edge_functions.api")),
    path("functions/v1/", include("edge_functions.urls")),
    path("graphql/v1", include("graphql_api.urls")),
    # A newcomer opening the served URL meets the Studio.
    path("", RedirectView.as_view(url="/studio/", permanent=False)),
    path("studio/", include("studio.urls")),
    path("admin/", admin.site.urls),
]
