"""New code for a function, checked before it replaces the old.

The uploaded files are written into a copy of the function's directory made
beside it (`functions/.<name>.<random>/`, so `../_shared/…` imports resolve
as they will in place; a name starting with "." is never a function), the
copy is type-checked and bundled, and only then is each file renamed into
`functions/<name>/`. A deploy that fails leaves the function as it was. One
deploy of a function runs at a time, across server processes (a file lock).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from edge_functions import config, deno
from edge_functions.errors import InvalidFunctionConfig

# The Studio's editor edits one file; bigger functions live in the project.
MAX_SOURCE_BYTES = 512 * 1024
MAX_FILES = 64
# A file name, never a path: uploads land in the function's own directory.
_FILE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")


def validate_file(file_name: str, content: bytes) -> None:
    if not _FILE_NAME.match(file_name):
        raise InvalidFunctionConfig(
            f"file name {file_name!r} is not valid: use letters, digits, '.', '-' "
            "and '_', no directories"
        )
    if len(content) > MAX_SOURCE_BYTES:
        raise InvalidFunctionConfig(
            f"{file_name} is larger than {MAX_SOURCE_BYTES // 1024} KiB"
        )


def validate_files(files: Mapping[str, bytes], *, is_new: bool) -> None:
    if not files:
        raise InvalidFunctionConfig("no files to deploy")
    if len(files) > MAX_FILES:
        raise InvalidFunctionConfig(f"more than {MAX_FILES} files")
    for file_name, content in files.items():
        validate_file(file_name, content)
    if is_new and config.ENTRYPOINT not in files:
        raise InvalidFunctionConfig(
            f"a new function needs its {config.ENTRYPOINT} among the files"
        )


@contextmanager
def deploy_lock(name: str) -> Iterator[None]:
    path = deno.cache_dir(name) / "deploy.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_file(path: Path, content: bytes) -> None:
    """Replace `path` in one rename, so a process starting meanwhile never
    reads half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as file:
        file.write(content)
    os.replace(temporary, path)


def deploy_files(name: str, files: Mapping[str, bytes]) -> deno.Deployment:
    """Check `files` over a copy of function `name` (created when new), then
    put them in place and stamp the deploy; raises DeployFailed with Deno's
    diagnostics, the function untouched."""
    config.validate_name(name)
    directory = config.functions_dir() / name
    validate_files(files, is_new=not (directory / config.ENTRYPOINT).is_file())
    directory.parent.mkdir(parents=True, exist_ok=True)
    with deploy_lock(name):
        staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{name}."))
        try:
            if directory.is_dir():
                shutil.copytree(directory, staging, dirs_exist_ok=True)
            for file_name, content in files.items():
                (staging / file_name).write_bytes(content)
            deployment = deno.build(config.get_config(name, staging))
            directory.mkdir(exist_ok=True)
            for file_name in files:
                os.replace(staging / file_name, directory / file_name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        deno.record_deployment(deployment)
    return deployment


def delete_function(name: str) -> None:
    """Remove the function's directory and its build; its settings in
    config.toml stay. The directory is renamed away first, so a call never
    finds half of it."""
    directory = config.function_directory(name)
    with deploy_lock(name):
        doomed = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{name}."))
        os.replace(directory, doomed / name)
        shutil.rmtree(doomed, ignore_errors=True)
    shutil.rmtree(deno.cache_dir(name), ignore_errors=True)


def function_files(name: str) -> list[str]:
    """The files of function `name` a deploy may replace, sorted."""
    directory = config.function_directory(name)
    return sorted(
        entry.name
        for entry in directory.iterdir()
        if entry.is_file() and _FILE_NAME.match(entry.name)
    )
