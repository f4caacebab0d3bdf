from django.apps import AppConfig


class EdgeFunctionsConfig(AppConfig):
    name = "edge_functions"
    label = "edge_functions"
    verbose_name = "Edge functions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from edge_functions import checks  # noqa: F401  (registers the checks)
