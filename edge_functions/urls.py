from django.urls import re_path

from edge_functions import views

urlpatterns = [
    re_path(r"^(?P<name>[^/]+)(?:/(?P<rest>.*))?$", views.function_view),
]
