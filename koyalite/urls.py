from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("health", health),
    path("rest/v1/", include("api.rest.urls")),
    path("auth/v1/", include("accounts.urls")),
    path("admin/", admin.site.urls),
]
