from django.urls import path, re_path

from accounts import views, views_admin

urlpatterns = [
    path("signup", views.signup),
    path("token", views.token),
    path("user", views.user),
    path("user/identities/authorize", views.link_identity),
    path("user/identities/<str:identity_id>", views.identity),
    path("logout", views.logout),
    path("verify", views.verify),
    path("recover", views.recover),
    path("otp", views.otp),
    path("resend", views.resend),
    path("factors", views.factors),
    path("factors/<str:factor_id>", views.factor),
    path("factors/<str:factor_id>/challenge", views.factor_challenge),
    path("factors/<str:factor_id>/verify", views.factor_verify),
    path("settings", views.auth_settings),
    path("health", views.health),
    path("reauthenticate", views.reauthenticate),
    path("invite", views_admin.invite),
    path("admin/generate_link", views_admin.generate_link),
    path("admin/users", views_admin.users),
    path("admin/users/<str:user_id>", views_admin.user),
    path("admin/users/<str:user_id>/factors", views_admin.factors),
    path("admin/users/<str:user_id>/factors/<str:factor_id>", views_admin.factor),
    path("authorize", views.authorize),
    path("callback", views.callback),
    path("sso", views.sso),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
