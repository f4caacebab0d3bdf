"""One long-lived Deno process per function, per server process.

A function's process starts on its first call, bound to 127.0.0.1 on a free
port, and stays warm. It is started again when it has died, when its
settings in config.toml change, when it is deployed, and (with
`KOYALITE_FUNCTIONS_HOT_RELOAD`, which `serve --dev` sets) when a file of the
function changes. It runs with only the permissions its settings grant, never
`--allow-all`: network to the project's API (or the hosts it lists), the
environment variables KoyaLite sets for it, reading its own directory and
Deno's module cache; no writing, no subprocesses, no FFI. V8's heap is capped
at `memory_mb`. A call running past `timeout_seconds` is cut alone; the
process is killed only when it no longer answers a probe (edge_functions.relay). Every server process (Granian worker) has its
own supervisor, so a function has one Deno per worker: a pool of that size.

Its stdout and stderr are read line by line into a ring buffer, from which an
invocation takes what was written while it ran.
"""

from __future__ import annotations

import atexit
import http.client
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from edge_functions import deno
from edge_functions.config import FunctionConfig, get_config
from edge_functions.errors import RelayError, boot_error, worker_limit
from koyalite.logging import get_logger

log = get_logger("koyalite.functions")

BOOTSTRAP = Path(__file__).parent / "runtime" / "bootstrap.js"
READY = "\x00koyalite:ready"
BOOT_SECONDS = 60.0
OUTPUT_LINES = 2000
# Idle keep-alive connections kept per process.
POOL_SIZE = 64
PROBE_HEADER = "x-koyalite-probe"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def function_version(config: FunctionConfig) -> float:
    """What, when changed, makes a running process stale: a deploy, a change
    of the secrets; with hot reload, the newest modification of any file of the function."""
    newest = 0.0
    for stamp in (deno.deploy_stamp(config.name), deno.secrets_stamp()):
        try:
            newest = max(newest, stamp.stat().st_mtime)
        except FileNotFoundError:
            continue
    if settings.FUNCTIONS_HOT_RELOAD:
        for path in config.directory.rglob("*"):
            try:
                newest = max(newest, path.stat().st_mtime)
            except FileNotFoundError:
                continue
    return newest


class Output:
    """The last lines a process wrote, numbered and timed so a call can take
    its own."""

    def __init__(self) -> None:
        self.lines: deque[tuple[int, float, str]] = deque(maxlen=OUTPUT_LINES)
        self.seq = 0
        self.lock = threading.Lock()

    def add(self, line: str) -> None:
        with self.lock:
            self.seq += 1
            self.lines.append((self.seq, time.monotonic(), line))

    def since(self, seq: int, until: float | None = None, limit: int = 4096) -> str:
        """Lines after number `seq`, up to those read at monotonic time `until`."""
        with self.lock:
            taken = [
                line
                for number, read_at, line in self.lines
                if number > seq and (until is None or read_at <= until)
            ]
        text = "\n".join(taken)
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        return text

    def tail(self, count: int = 20) -> str:
        with self.lock:
            return "\n".join(line for _, _, line in list(self.lines)[-count:])


class DenoProcess:
    def __init__(self, config: FunctionConfig, version: float) -> None:
        self.config = config
        self.version = version
        self.port = _free_port()
        self.output = Output()
        self.ready = threading.Event()
        self.timed_out = False
        # Known to the bootstrap only, so no caller's request passes for a probe.
        self.probe_token = secrets.token_hex(16)
        self._pool: list[http.client.HTTPConnection] = []
        self._pool_lock = threading.Lock()
        self.started = time.monotonic()
        self.popen = subprocess.Popen(
            deno.run_command(config, BOOTSTRAP, self.port, self.probe_token),
            cwd=config.directory,
            env=deno.function_environment(config),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        for stream, name in ((self.popen.stdout, "out"), (self.popen.stderr, "err")):
            threading.Thread(
                target=self._read,
                args=(stream,),
                name=f"deno-{config.name}-{name}",
                daemon=True,
            ).start()

    def _read(self, stream) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if line == READY:
                self.ready.set()
                continue
            self.output.add(line)
        stream.close()

    def wait_ready(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.ready.wait(0.02):
            if self.popen.poll() is not None or time.monotonic() > deadline:
                self.kill()
                log.warning(
                    "function.boot_failed",
                    function=self.config.name,
                    exit_code=self.popen.returncode,
                    output=self.output.tail(),
                )
                error = boot_error()
                error.output = self.output.since(0)
                raise error

    @property
    def is_alive(self) -> bool:
        return self.popen.poll() is None

    @property
    def memory_kb(self) -> int | None:
        """The process's resident set (Linux), in KiB."""
        try:
            with open(f"/proc/{self.popen.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmRSS:"):
                        return int(line.split()[1])
        except (OSError, ValueError, IndexError):
            return None
        return None

    def is_answering(self, seconds: float) -> bool:
        """Whether the process answers a probe within `seconds`: the
        bootstrap answers it without the function, so only an event loop
        that is blocked (a CPU-bound loop) or a dead process fails it."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=seconds)
        try:
            connection.request("GET", "/", headers={PROBE_HEADER: self.probe_token})
            return connection.getresponse().status == 204
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """A connection to the process; True when it was kept alive before."""
        with self._pool_lock:
            if self._pool:
                return self._pool.pop(), True
        return http.client.HTTPConnection("127.0.0.1", self.port), False

    def release(self, connection: http.client.HTTPConnection) -> None:
        with self._pool_lock:
            if len(self._pool) < POOL_SIZE and self.is_alive:
                self._pool.append(connection)
                return
        connection.close()

    def kill(self, *, timed_out: bool = False) -> None:
        if timed_out:
            self.timed_out = True
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait()
        with self._pool_lock:
            pool, self._pool = self._pool, []
        for connection in pool:
            connection.close()
        if self.popen.stdin is not None:
            self.popen.stdin.close()


@dataclass
class Lease:
    process: DenoProcess
    config: FunctionConfig
    cold: bool
    runtime: FunctionRuntime

    def release(self) -> None:
        self.runtime.slots.release()


class FunctionRuntime:
    """A function's process in this server process, and its concurrency slots."""

    def __init__(self, config: FunctionConfig) -> None:
        self.config = config
        self.slots = threading.BoundedSemaphore(config.max_concurrency)
        self.lock = threading.Lock()
        self.process: DenoProcess | None = None

    def ensure_process(self, version: float) -> tuple[DenoProcess, bool]:
        with self.lock:
            process = self.process
            if process is not None and process.is_alive and process.version == version:
                return process, False
            if process is not None:
                reason = "stale" if process.is_alive else "exited"
                process.kill()
                log.info(
                    "function.restarting",
                    function=self.config.name,
                    reason=reason,
                    exit_code=process.popen.returncode,
                )
            started = time.perf_counter()
            process = DenoProcess(self.config, version)
            self.process = process
            process.wait_ready(BOOT_SECONDS)
            log.info(
                "function.started",
                function=self.config.name,
                pid=process.popen.pid,
                port=process.port,
                boot_ms=round((time.perf_counter() - started) * 1000, 1),
            )
            return process, True

    def stop(self) -> None:
        with self.lock:
            if self.process is not None:
                self.process.kill()
                self.process = None


class Supervisor:
    def __init__(self) -> None:
        self._runtimes: dict[str, FunctionRuntime] = {}
        self._lock = threading.Lock()

    def lease(self, name: str, *, wait_seconds: float | None = None) -> Lease:
        """A running process of `name` and one of its concurrency slots.

        Raises FunctionNotFound, or a RelayError when the function cannot boot
        or every slot stays taken for its timeout."""
        config = get_config(name)
        with self._lock:
            runtime = self._runtimes.get(name)
            if runtime is None or runtime.config != config:
                if runtime is not None:
                    runtime.stop()
                runtime = self._runtimes[name] = FunctionRuntime(config)
        wait = config.timeout_seconds if wait_seconds is None else wait_seconds
        if not runtime.slots.acquire(timeout=wait):
            raise worker_limit()
        try:
            process, cold = runtime.ensure_process(function_version(config))
        except BaseException:
            runtime.slots.release()
            raise
        return Lease(process, config, cold, runtime)

    def stop(self, name: str) -> None:
        with self._lock:
            runtime = self._runtimes.pop(name, None)
        if runtime is not None:
            runtime.stop()

    def stop_all(self) -> None:
        with self._lock:
            runtimes, self._runtimes = list(self._runtimes.values()), {}
        for runtime in runtimes:
            runtime.stop()

    def running(self) -> dict[str, DenoProcess]:
        with self._lock:
            runtimes = list(self._runtimes.items())
        return {
            name: runtime.process
            for name, runtime in runtimes
            if runtime.process is not None and runtime.process.is_alive
        }


_supervisor: Supervisor | None = None
_supervisor_lock = threading.Lock()


def _forget_supervisor() -> None:
    """A forked server worker starts its own processes; the parent's are its own."""
    global _supervisor, _supervisor_lock
    _supervisor = None
    _supervisor_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_supervisor)


def supervisor() -> Supervisor:
    global _supervisor
    current = _supervisor
    if current is None:
        with _supervisor_lock:
            current = _supervisor
            if current is None:
                current = _supervisor = Supervisor()
                atexit.register(current.stop_all)
    return current


__all__ = ["Lease", "RelayError", "Supervisor", "supervisor"]
