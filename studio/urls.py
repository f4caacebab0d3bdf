from django.urls import path

from studio.views import auth, overview

app_name = "studio"

urlpatterns = [
    path("", overview.page, name="overview"),
    path("login/", auth.OperatorLoginView.as_view(), name="login"),
    path("login/totp/", auth.login_totp, name="login_totp"),
    path("logout/", auth.logout_view, name="logout"),
    path("account/", auth.account, name="account"),
]

from studio.api import tables as tables_api  # noqa: E402
from studio.views import tables  # noqa: E402

urlpatterns += [
    path("tables/", tables.table_list, name="tables"),
    path("tables/<str:name>/", tables.table_page, name="table"),
    path("api/tables/", tables_api.TableList.as_view(), name="api_tables"),
    path("api/app-users/", tables_api.Users.as_view(), name="api_app_users"),
    path("api/tables/<str:table>/rows", tables_api.Rows.as_view(), name="api_rows"),
    path(
        "api/tables/<str:table>/export.<str:fmt>",
        tables_api.Export.as_view(),
        name="api_export",
    ),
    path(
        "api/tables/<str:table>/import", tables_api.Import.as_view(), name="api_import"
    ),
]
