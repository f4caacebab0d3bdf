from django.apps import AppConfig


class APIConfig(AppConfig):
    name = "api"
    default_auto_field = "django.db.models.BigAutoField"
