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
