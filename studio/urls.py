from django.urls import path

from studio.api import mailbox as mailbox_api
from studio.views import auth, mailbox, overview

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
]
