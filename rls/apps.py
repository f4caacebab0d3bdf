from django.apps import AppConfig


class RLSConfig(AppConfig):
    name = "rls"
    default_auto_field = "django.db.models.BigAutoField"
