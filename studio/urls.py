from django.urls import path
from django.views.generic import RedirectView

from studio.api import auth_users as auth_api
from studio.api import mailbox as mailbox_api
from studio.views import auth, auth_users, mailbox, overview

app_name = "studio"

urlpatterns = [
    path("", overview.page, name="overview"),
    path("login/", auth.OperatorLoginView.as_view(), name="login"),
    path("login/totp/", auth.login_totp, name="login_totp"),
    path("logout/", auth.logout_view, name="logout"),
    path("account/", auth.account, name="account"),
    path("mailbox/", mailbox.mail_list, name="mailbox"),
    path("mailbox/<int:mail_id>/", mailbox.mail_detail, name="mailbox_detail"),
    path("api/mailbox/", mailbox_api.MailList.as_view(), name="api_mailbox"),
    path(
        "api/mailbox/<int:mail_id>/",
        mailbox_api.MailDetail.as_view(),
        name="api_mailbox_detail",
    ),
    # The sidebar's entry: every Auth sub-page is under it.
    path("auth/", RedirectView.as_view(pattern_name="studio:auth_users"), name="auth"),
    path("auth/users/", auth_users.user_list, name="auth_users"),
    path("auth/users/<str:user_id>/", auth_users.user_page, name="auth_user"),
    path("auth/settings/", auth_users.settings_page, name="auth_settings"),
    path("auth/templates/", auth_users.templates_page, name="auth_templates"),
    path("api/auth/users/", auth_api.UserList.as_view(), name="api_auth_users"),
    path("api/auth/invite/", auth_api.Invite.as_view(), name="api_auth_invite"),
    path(
        "api/auth/users/<str:user_id>/",
        auth_api.UserDetail.as_view(),
        name="api_auth_user",
    ),
    path(
        "api/auth/users/<str:user_id>/sessions/<str:session_id>/",
        auth_api.UserSession.as_view(),
        name="api_auth_user_session",
    ),
    path(
        "api/auth/users/<str:user_id>/factors/<str:factor_id>/",
        auth_api.UserFactor.as_view(),
        name="api_auth_user_factor",
    ),
    path(
        "api/auth/users/<str:user_id>/<slug:action>/",
        auth_api.UserAction.as_view(),
        name="api_auth_user_action",
    ),
    path(
        "api/auth/settings/", auth_api.AuthSettings.as_view(), name="api_auth_settings"
    ),
    path(
        "api/auth/templates/",
        auth_api.EmailTemplates.as_view(),
        name="api_auth_templates",
    ),
]
