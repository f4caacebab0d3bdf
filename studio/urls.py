from django.urls import path

from studio.api import sql as sql_api
from studio.views import auth, overview
from studio.views import sql as sql_page

app_name = "studio"

urlpatterns = [
    path("", overview.page, name="overview"),
    path("login/", auth.OperatorLoginView.as_view(), name="login"),
    path("login/totp/", auth.login_totp, name="login_totp"),
    path("logout/", auth.logout_view, name="logout"),
    path("account/", auth.account, name="account"),
    path("sql/", sql_page.page, name="sql"),
    path("api/sql", sql_api.SqlRunView.as_view(), name="api_sql"),
    path("api/sql/history", sql_api.SqlHistoryView.as_view(), name="api_sql_history"),
    path(
        "api/sql/snippets", sql_api.SqlSnippetsView.as_view(), name="api_sql_snippets"
    ),
]
