from django.urls import path, re_path

from api.rest import views

urlpatterns = [
    path("", views.openapi_view, name="rest-openapi"),
    path("rpc/<str:function>", views.rpc_view, name="rest-rpc"),
    path("<str:table>", views.TableView.as_view(), name="rest-table"),
    re_path(r"^.*$", views.unknown_path_view),
]
