from django.apps import AppConfig


class StorageConfig(AppConfig):
    name = "storage"
    verbose_name = "Storage"
    default_auto_field = "django.db.models.BigAutoField"
