from django.urls import path

from studio.api import policies as policies_api
from studio.api import schema as schema_api
from studio.api import sql as sql_api
from studio.views import auth, overview, policies
from studio.views import schema as schema_page
from studio.views import sql as sql_page

app_name = "studio"

urlpatterns = [
    path("", overview.page, name="overview"),
    path("login/", auth.OperatorLoginView.as_view(), name="login"),
    path("login/totp/", auth.login_totp, name="login_totp"),
    path("logout/", auth.logout_view, name="logout"),
    path("account/", auth.account, name="account"),
    path("policies/", policies.page, name="policies"),
    path("policies/tester/", policies.tester, name="policy_tester"),
    path("api/policies/", policies_api.TablesView.as_view(), name="api_policies"),
    path(
        "api/policies/validate",
        policies_api.ValidateView.as_view(),
        name="api_policies_validate",
    ),
    path(
        "api/policies/statement",
        policies_api.StatementView.as_view(),
        name="api_policies_statement",
    ),
    path(
        "api/policies/test",
        policies_api.TestView.as_view(),
        name="api_policies_test",
    ),
    path("sql/", sql_page.page, name="sql"),
    path("schema/", schema_page.page, name="schema"),
    path("api/schema", schema_api.SchemaView.as_view(), name="api_schema"),
    path(
        "api/schema/preview",
        schema_api.SchemaPreviewView.as_view(),
        name="api_schema_preview",
    ),
    path("api/schema/run", schema_api.SchemaRunView.as_view(), name="api_schema_run"),
    path("api/sql", sql_api.SqlRunView.as_view(), name="api_sql"),
    path("api/sql/history", sql_api.SqlHistoryView.as_view(), name="api_sql_history"),
    path(
        "api/sql/snippets", sql_api.SqlSnippetsView.as_view(), name="api_sql_snippets"
    ),
]
