"""Start-up check for the Studio: its static files must be built.

Not a registered system check: Django's own commands (makemigrations, shell)
run those and need no stylesheet. `koyalite serve` calls it.
"""

from __future__ import annotations

from django.conf import settings

from koyalite.errors import ConfigurationError


def check_static_files_built() -> None:
    manifest = settings.STATIC_ROOT / "staticfiles.json"
    if not manifest.is_file():
        raise ConfigurationError(
            f"the Studio's static files are not built ({manifest} is missing); "
            "run `make static` in the KoyaLite checkout"
        )
