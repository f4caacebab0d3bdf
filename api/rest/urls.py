from django.urls import path

from api.rest import views

urlpatterns = [
    path("", views.openapi_view, name="rest-openapi"),
    path("<str:table>", views.TableView.as_view(), name="rest-table"),
]
