"""The Deno binary (from the `deno` PyPI package) and the commands KoyaLite
runs with it: a function's process, `deno check` and `deno bundle`."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

from accounts.keys import anon_key, service_role_key
from edge_functions import bundler
from edge_functions.config import FunctionConfig
from edge_functions.errors import DeployFailed
from edge_functions.secrets import secret_values

# Read from the function's directory, if there, as its import map and settings.
CONFIG_FILES = ("deno.json", "deno.jsonc")
SUPABASE_VARIABLES = ("SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY")


@cache
def deno_binary() -> str:
    import deno

    return deno.find_deno_bin()


def deno_dir() -> Path:
    return Path(settings.PROJECT_DIR) / "cache" / "deno"


def cache_dir(name: str) -> Path:
    return Path(settings.FUNCTIONS_CACHE_DIR) / name


def deploy_stamp(name: str) -> Path:
    return cache_dir(name) / "deploy.json"


def secrets_stamp() -> Path:
    """Touched when a secret changes: processes restart with the new values."""
    return Path(settings.FUNCTIONS_CACHE_DIR) / "secrets.changed"


def touch_secrets_stamp() -> None:
    stamp = secrets_stamp()
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.touch()


# How this machine reaches npm and JSR, passed to `deno check` and `deno bundle`.
NETWORK_VARIABLES = (
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "NPM_CONFIG_REGISTRY",
    "DENO_CERT",
    "DENO_TLS_CA_STORE",
)


def _base_environment() -> dict[str, str]:
    """What Deno itself reads; nothing of KoyaLite's own environment."""
    return {
        "DENO_DIR": str(deno_dir()),
        "DENO_NO_UPDATE_CHECK": "1",
        "NO_COLOR": "1",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(deno_dir()),
    }


def _deploy_environment() -> dict[str, str]:
    env = _base_environment()
    env.update({k: os.environ[k] for k in NETWORK_VARIABLES if k in os.environ})
    return env


def function_environment(config: FunctionConfig) -> dict[str, str]:
    env = _base_environment()
    env.update(secret_values())
    env["SUPABASE_URL"] = settings.API_URL
    env["SUPABASE_ANON_KEY"] = anon_key()
    env["SUPABASE_SERVICE_ROLE_KEY"] = service_role_key()
    return env


def _config_flags(directory: Path) -> list[str]:
    flags: list[str] = []
    for candidate in CONFIG_FILES:
        if (directory / candidate).is_file():
            flags.append(f"--config={directory / candidate}")
            break
    else:
        # Else Deno would look for a deno.json above the function, outside it.
        flags.append("--no-config")
    if (directory / "deno.lock").is_file():
        flags.append(f"--lock={directory / 'deno.lock'}")
    else:
        flags.append("--no-lock")
    return flags


def run_command(
    config: FunctionConfig, bootstrap: Path, port: int, probe: str
) -> list[str]:
    env_names = sorted(
        {*SUPABASE_VARIABLES, *secret_values().keys(), *config.allow_env}
    )
    if config.allow_net is None:
        net = "--allow-net"
    else:
        net = "--allow-net=" + ",".join((f"127.0.0.1:{port}", *config.allow_net))
    readable = [str(config.directory), str(deno_dir())]
    return [
        deno_binary(),
        "run",
        "--no-prompt",
        net,
        "--allow-env=" + ",".join(env_names),
        "--allow-read=" + ",".join(readable),
        f"--v8-flags=--max-old-space-size={config.memory_mb}",
        *_config_flags(config.directory),
        str(bootstrap),
        str(port),
        config.entrypoint.as_uri(),
        probe,
    ]


@dataclass(frozen=True, slots=True)
class Deployment:
    name: str
    deployed_at: float
    bundle_bytes: int
    check_ms: float
    bundle_ms: float
    bundle_skipped: str = ""


def _run(args: list[str], directory: Path, what: str, name: str) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        args,
        cwd=directory,
        env=_deploy_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        raise DeployFailed(f"{what} of function '{name}' failed:\n{detail}")
    return (time.perf_counter() - started) * 1000


def deploy(config: FunctionConfig) -> Deployment:
    """Type-check and bundle the function; its running processes restart."""
    deployment = build(config)
    record_deployment(deployment)
    return deployment


def build(config: FunctionConfig) -> Deployment:
    """Type-check and bundle the code in `config.directory`; raise
    DeployFailed with Deno's diagnostics.

    The bundle (cache/functions/<name>/bundle.js) proves the whole module
    graph resolves, npm and jsr packages included, and fills Deno's cache so
    a later cold start downloads nothing. The process runs the source; the
    bundle is the artefact to ship elsewhere."""
    flags = _config_flags(config.directory)
    check_ms = _run(
        [deno_binary(), "check", "--quiet", *flags, str(config.entrypoint)],
        config.directory,
        "type-checking",
        config.name,
    )
    target = cache_dir(config.name)
    target.mkdir(parents=True, exist_ok=True)
    bundle = target / "bundle.js"
    bundle.unlink(missing_ok=True)
    bundler.provide(deno_dir())
    bundle_ms, bundle_skipped = 0.0, ""
    try:
        bundle_ms = _run(
            [
                deno_binary(),
                "bundle",
                "--quiet",
                "--platform=deno",
                *flags,
                f"--output={bundle}",
                str(config.entrypoint),
            ],
            config.directory,
            "bundling",
            config.name,
        )
    except DeployFailed as error:
        # Deno's bundler is esbuild: `make install` provides it
        # (edge_functions.bundler), else Deno fetches it from npm. Offline and
        # without it, the type-checked graph (now in Deno's cache) is served.
        if "@esbuild" not in str(error):
            raise
        bundle_skipped = (
            "Deno's bundler (esbuild) is not installed and could not be "
            "downloaded: run python -m edge_functions.bundler where npm is reachable"
        )
    deployment = Deployment(
        name=config.name,
        deployed_at=time.time(),
        bundle_bytes=bundle.stat().st_size if bundle.exists() else 0,
        check_ms=round(check_ms, 1),
        bundle_ms=round(bundle_ms, 1),
        bundle_skipped=bundle_skipped,
    )
    return deployment


def record_deployment(deployment: Deployment) -> None:
    """Stamp the deploy: processes started before it are stale (supervisor)."""
    stamp = deploy_stamp(deployment.name)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(
        json.dumps(
            {
                "deployed_at": deployment.deployed_at,
                "bundle_bytes": deployment.bundle_bytes,
                "check_ms": deployment.check_ms,
                "bundle_ms": deployment.bundle_ms,
                "bundle_skipped": deployment.bundle_skipped,
            }
        )
    )


def last_deployment(name: str) -> Deployment | None:
    try:
        data = json.loads(deploy_stamp(name).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return Deployment(name=name, **data)
