from django.urls import path

from accounts import views

urlpatterns = [
    path("signup", views.signup),
    path("token", views.token),
    path("user", views.user),
    path("logout", views.logout),
    path("verify", views.verify),
    path("recover", views.recover),
    path("otp", views.otp),
    path("resend", views.resend),
    path("settings", views.auth_settings),
    path("health", views.health),
]
