"""Deno's bundler (esbuild), installed once so that deploys need no network.

`deno bundle` runs esbuild, which Deno downloads from npm into
`$DENO_DIR/dl/esbuild-<version>/` the first time, and takes from there when
present. `make install` (which reaches npm) runs this module: it bundles a
one-line module with `DENO_DIR` set to KoyaLite's own directory beside the
Python environment, so the esbuild that this Deno wants lands there. Each
deploy copies it into the project's Deno cache before bundling. A Deno of
another version wants another esbuild: it then downloads its own, or, offline,
the deploy reports the bundle as skipped.

This module needs no Django settings: `python -m edge_functions.bundler`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BUNDLER_PREFIX = "esbuild-"


def bundler_dir() -> Path:
    """A Deno cache directory that holds only Deno's esbuild."""
    return Path(sys.prefix) / "share" / "koyalite" / "deno"


def install() -> list[Path]:
    """Have Deno download its esbuild into `bundler_dir()`; the versions there."""
    import deno

    target = bundler_dir()
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        entry = Path(work) / "main.ts"
        entry.write_text("export const ready: boolean = true;\n")
        subprocess.run(
            [
                deno.find_deno_bin(),
                "bundle",
                "--quiet",
                "--no-config",
                "--no-lock",
                f"--output={Path(work) / 'out.js'}",
                str(entry),
            ],
            cwd=work,
            # The caller's environment (proxy, certificate authorities):
            # this is KoyaLite's own install, not a function.
            env={**os.environ, "DENO_DIR": str(target), "DENO_NO_UPDATE_CHECK": "1"},
            check=True,
            capture_output=True,
            timeout=600,
        )
    # Only the esbuild binaries are kept: the rest is Deno's npm metadata.
    for entry in target.iterdir():
        if entry.name != "dl":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    return installed()


def installed() -> list[Path]:
    downloads = bundler_dir() / "dl"
    if not downloads.is_dir():
        return []
    return sorted(p for p in downloads.iterdir() if p.name.startswith(BUNDLER_PREFIX))


def provide(deno_dir: Path) -> None:
    """Copy the installed esbuild into the project's Deno cache, where
    `deno bundle` looks before downloading one."""
    for source in installed():
        destination = deno_dir / "dl" / source.name
        if destination.exists():
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        # Copied under another name, then renamed: a deploy running meanwhile
        # never finds half a binary.
        partial = Path(tempfile.mkdtemp(dir=destination.parent, prefix=".partial-"))
        shutil.copytree(source, partial, dirs_exist_ok=True)
        try:
            os.replace(partial, destination)
        except OSError:
            # Another deploy provided it first.
            shutil.rmtree(partial, ignore_errors=True)


if __name__ == "__main__":
    for path in install():
        print(f"Deno's bundler installed: {path}")
