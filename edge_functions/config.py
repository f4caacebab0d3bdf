"""Which functions the project has and how each may run.

A function is a directory `functions/<name>/` holding `index.ts`. Its settings
come from the project's `config.toml`, in the shape of Supabase's
`supabase/config.toml`:

    [functions.hello]
    verify_jwt = false          # default true: a valid JWT in Authorization
    allow_net = ["api.example.com", "example.org:443"]   # or true: any host
    allow_env = ["NODE_ENV"]    # names beyond SUPABASE_* and the secrets
    timeout_seconds = 30        # wall clock per call (edge_functions.relay)
    memory_mb = 128             # V8's old-space limit
    max_concurrency = 8         # requests in flight at once; others wait

Without `allow_net` a function reaches only the project's own API
(`SUPABASE_URL`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from urllib.parse import urlsplit

from django.conf import settings

from edge_functions.errors import (
    FunctionNotFound,
    InvalidFunctionConfig,
    InvalidFunctionName,
)

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_HOST = re.compile(r"^[A-Za-z0-9.\-\[\]:*]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ENTRYPOINT = "index.ts"
_KEYS = frozenset(
    {
        "verify_jwt",
        "allow_net",
        "allow_env",
        "timeout_seconds",
        "memory_mb",
        "max_concurrency",
        "enabled",
    }
)


@dataclass(frozen=True, slots=True)
class FunctionConfig:
    name: str
    directory: Path
    verify_jwt: bool
    # None: any host; otherwise exactly these hosts (`host` or `host:port`).
    allow_net: tuple[str, ...] | None
    allow_env: tuple[str, ...]
    timeout_seconds: int
    memory_mb: int
    max_concurrency: int

    @property
    def entrypoint(self) -> Path:
        return self.directory / ENTRYPOINT


def validate_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise InvalidFunctionName(name)
    return name


def functions_dir() -> Path:
    return Path(settings.FUNCTIONS_DIR)


def function_names() -> list[str]:
    """The functions present on disk, sorted; none when there is no directory."""
    root = functions_dir()
    if not root.is_dir():
        return []
    return sorted(
        entry.name
        for entry in root.iterdir()
        if _NAME.match(entry.name) and (entry / ENTRYPOINT).is_file()
    )


class _ConfigFile:
    """config.toml parsed once per change of its modification time."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._stamp: tuple[str, int] | None = None
        self._functions: dict[str, dict] = {}

    def functions(self) -> dict[str, dict]:
        path = Path(settings.PROJECT_DIR) / "config.toml"
        try:
            stamp = (str(path), path.stat().st_mtime_ns)
        except FileNotFoundError:
            return {}
        with self._lock:
            if stamp != self._stamp:
                try:
                    parsed = tomllib.loads(path.read_text())
                except tomllib.TOMLDecodeError as error:
                    raise InvalidFunctionConfig(
                        f"config.toml is not valid TOML: {error}"
                    ) from None
                functions = parsed.get("functions", {})
                if not isinstance(functions, dict):
                    raise InvalidFunctionConfig(
                        "config.toml: [functions] must be a table of functions"
                    )
                self._functions = functions
                self._stamp = stamp
            return self._functions


_config_file = _ConfigFile()


def function_directory(name: str) -> Path:
    """`functions/<name>/`, or FunctionNotFound when it holds no index.ts."""
    directory = functions_dir() / validate_name(name)
    if not (directory / ENTRYPOINT).is_file():
        raise FunctionNotFound(name)
    return directory


def function_settings(name: str) -> dict:
    """The function's table in config.toml as written (empty when absent)."""
    table = _config_file.functions().get(name, {})
    if not isinstance(table, dict):
        raise InvalidFunctionConfig(f"config.toml: [functions.{name}] must be a table")
    return table


def get_config(name: str, directory: Path | None = None) -> FunctionConfig:
    """The settings of function `name`, or FunctionNotFound; with `directory`,
    for its code there instead (a deploy checks new code beside the old)."""
    if directory is None:
        directory = function_directory(name)
    elif not (directory / ENTRYPOINT).is_file():
        raise FunctionNotFound(name)
    table = function_settings(name)
    unknown = set(table) - _KEYS
    if unknown:
        raise InvalidFunctionConfig(
            f"config.toml: [functions.{name}] has unknown setting(s) "
            + ", ".join(sorted(unknown))
        )
    if table.get("enabled", True) is False:
        raise FunctionNotFound(name)
    return FunctionConfig(
        name=name,
        directory=directory.resolve(),
        verify_jwt=_bool(name, table, "verify_jwt", True),
        allow_net=_allow_net(name, table.get("allow_net")),
        allow_env=_allow_env(name, table.get("allow_env", [])),
        timeout_seconds=_positive(
            name, table, "timeout_seconds", settings.FUNCTIONS_TIMEOUT_SECONDS
        ),
        memory_mb=_positive(name, table, "memory_mb", settings.FUNCTIONS_MEMORY_MB),
        max_concurrency=_positive(
            name, table, "max_concurrency", settings.FUNCTIONS_MAX_CONCURRENCY
        ),
    )


def _bool(name: str, table: dict, key: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise InvalidFunctionConfig(
            f"config.toml: [functions.{name}] {key} must be true or false"
        )
    return value


def _positive(name: str, table: dict, key: str, default: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidFunctionConfig(
            f"config.toml: [functions.{name}] {key} must be a whole number above 0"
        )
    return value


def _allow_net(name: str, value: object) -> tuple[str, ...] | None:
    if value is True:
        return None
    if value is None or value is False:
        return (_api_host(),)
    if not isinstance(value, list) or not all(
        isinstance(host, str) and _HOST.match(host) for host in value
    ):
        raise InvalidFunctionConfig(
            f"config.toml: [functions.{name}] allow_net must be true or a list of "
            'hosts such as "api.example.com" or "example.org:443"'
        )
    return (_api_host(), *value)


def _allow_env(name: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(item, str) and _ENV_NAME.match(item) for item in value
    ):
        raise InvalidFunctionConfig(
            f"config.toml: [functions.{name}] allow_env must be a list of "
            "environment variable names"
        )
    return tuple(value)


def _api_host() -> str:
    parts = urlsplit(settings.API_URL)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"
