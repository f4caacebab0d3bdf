from django.urls import path

from studio.api import policies as policies_api
from studio.views import auth, overview, policies

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
]
