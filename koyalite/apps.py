from django.apps import AppConfig


class KoyaLiteConfig(AppConfig):
    name = "koyalite"
    verbose_name = "KoyaLite"

    def ready(self) -> None:
        from koyalite import checks  # noqa: F401  (registers system checks)
        from koyalite import logging as koyalite_logging

        koyalite_logging.configure()
