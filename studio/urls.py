from django.urls import path

from studio.api import docs as docs_api
from studio.api import keys as keys_api
from studio.api import logs as logs_api
from studio.api import overview as overview_api
from studio.views import auth, docs, logs, overview

app_name = "studio"

urlpatterns = [
    path("", overview.page, name="overview"),
    path("login/", auth.OperatorLoginView.as_view(), name="login"),
    path("login/totp/", auth.login_totp, name="login_totp"),
    path("logout/", auth.logout_view, name="logout"),
    path("account/", auth.account, name="account"),
    path("docs/", docs.index, name="docs"),
    path("docs/<path:table>/", docs.table, name="docs_table"),
    path("logs/", logs.page, name="logs"),
    path("api/overview", overview_api.OverviewView.as_view(), name="api_overview"),
    path(
        "api/keys/service",
        keys_api.ServiceKeyView.as_view(),
        name="api_service_key",
    ),
    path("api/docs", docs_api.DocsIndexView.as_view(), name="api_docs"),
    path(
        "api/docs/<path:table>", docs_api.TableDocView.as_view(), name="api_docs_table"
    ),
    path("api/logs", logs_api.LogsView.as_view(), name="api_logs"),
]
