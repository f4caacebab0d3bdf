"""Start-up checks: config.toml's [functions] tables are valid."""

from __future__ import annotations

from django.core.checks import Error, register

from edge_functions import config
from edge_functions.errors import FunctionError


@register()
def check_function_settings(app_configs, **kwargs) -> list[Error]:
    problems = []
    for name in config.function_names():
        try:
            config.get_config(name)
        except FunctionError as error:
            problems.append(
                Error(
                    str(error),
                    hint="See the README's Functions section for the settings.",
                    id="edge_functions.E001",
                )
            )
    return problems
