"""A call of a function, proxied to its Deno process with both bodies streamed.

The relay's own failures become Supabase's relay errors (`BOOT_ERROR` 503,
`WORKER_ERROR` 500, `IDLE_TIMEOUT` 504, `WORKER_LIMIT` 546) sent with
`x-relay-error: true`, which supabase-js and supabase-py raise as
FunctionsRelayError; whatever the function answers, any status included, is
its own response.

A call has `timeout_seconds` of wall-clock time from when its request goes
to the function's process to the last byte of its response, a streamed one
included (as Supabase's wall-clock limit). Past it the call alone is cut:
its connection to the process is closed, so the function's `req.signal`
aborts, and the caller gets 504 `IDLE_TIMEOUT` (or, once the response has
begun, a body that ends early). The process is killed only when it then
fails a liveness probe: a function stuck in a CPU-bound loop cannot answer,
and every call in flight on it ends with it.
"""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import orjson

from edge_functions import invocation_log
from edge_functions.errors import (
    RelayError,
    idle_timeout,
    worker_error,
    worker_limit,
)
from edge_functions.supervisor import DenoProcess, Lease, supervisor
from koyalite.logging import get_logger

log = get_logger("koyalite.functions")

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    }
)
# Bodies up to this size are read whole, so a call on a kept-alive connection
# the process has meanwhile closed can be sent again; larger ones stream.
REPLAYABLE_BYTES = 1024 * 1024
CHUNK = 64 * 1024
# A process whose event loop is free answers a probe in milliseconds; one
# that cannot within this long is taken as stuck and killed.
PROBE_SECONDS = 1.0


@dataclass
class FunctionCall:
    name: str
    method: str
    # The path the function sees: "/<name>" and anything after it.
    path: str
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | Iterable[bytes] = b""
    # Known for a streamed body, or None to send it chunked.
    content_length: int | None = None
    source: str = "http"
    request_id: str = ""


@dataclass
class FunctionResponse:
    status: int
    headers: list[tuple[str, str]]
    # Iterating it to the end (or closing it) finishes the call's log record.
    body: Iterator[bytes]
    error: RelayError | None = None

    def read(self) -> bytes:
        try:
            return b"".join(self.body)
        finally:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()


def relay_error_response(error: RelayError) -> tuple[list[tuple[str, str]], bytes]:
    headers = [
        ("Content-Type", "application/json"),
        ("x-relay-error", "true"),
        ("sb-error-code", error.code),
    ]
    return headers, orjson.dumps({"code": error.code, "message": error.message})


class _Recorder:
    def __init__(self, call: FunctionCall) -> None:
        self.call = call
        self.started = time.time()
        self.clock = time.perf_counter()

    def finish(
        self,
        status: int,
        *,
        process: DenoProcess | None = None,
        since: int = 0,
        cold: bool = False,
        error: str = "",
        output: str = "",
    ) -> None:
        duration_ms = round((time.perf_counter() - self.clock) * 1000, 3)
        invocation_log.record(
            invocation_log.Record(
                function=self.call.name,
                started=self.started,
                method=self.call.method,
                path=self.call.path,
                status=status,
                duration_ms=duration_ms,
                memory_kb=process.memory_kb if process is not None else None,
                cold_start=cold,
                error=error,
                output=_output_of(process, since) if process is not None else output,
                request_id=self.call.request_id,
                source=self.call.source,
            )
        )


# What a process wrote just before it answered is read from its pipe a little
# later; lines read within this long of the call's end are the call's.
OUTPUT_GRACE_SECONDS = 0.05


def _output_of(process: DenoProcess, since: int):
    until = time.monotonic() + OUTPUT_GRACE_SECONDS

    def output() -> str:
        # Called by the log's writer thread, usually well after `until`.
        time.sleep(max(0.0, until - time.monotonic()))
        return process.output.since(since, until)

    return output


def _failed(process: DenoProcess) -> RelayError:
    """Why a process gave no (complete) response."""
    deadline = time.monotonic() + 0.5
    while process.is_alive and time.monotonic() < deadline:
        time.sleep(0.01)
    if process.timed_out:
        return idle_timeout()
    tail = process.output.tail().lower()
    if "heap limit" in tail or "out of memory" in tail:
        return worker_limit()
    return worker_error()


def _cut(process: DenoProcess, name: str) -> None:
    """After a call ran out of time: kill its process only if the process
    no longer answers (its other calls may be running fine)."""
    if process.is_alive and not process.is_answering(PROBE_SECONDS):
        log.warning("function.unresponsive", function=name)
        process.kill(timed_out=True)


def _error_response(
    recorder: _Recorder, error: RelayError, lease: Lease | None, since: int = 0
) -> FunctionResponse:
    headers, body = relay_error_response(error)
    recorder.finish(
        error.status,
        process=lease.process if lease else None,
        since=since,
        cold=lease.cold if lease else False,
        error=error.code,
        output=error.output,
    )
    return FunctionResponse(error.status, headers, iter([body]), error)


def invoke(call: FunctionCall) -> FunctionResponse:
    """Run `call` on its function. Raises FunctionNotFound (and the other
    FunctionErrors of its settings); every other failure is a response."""
    recorder = _Recorder(call)
    try:
        lease = supervisor().lease(call.name)
    except RelayError as error:
        return _error_response(recorder, error, None)
    process = lease.process
    since = process.output.seq
    body = call.body
    length = call.content_length
    if (
        not isinstance(body, bytes)
        and length is not None
        and length <= REPLAYABLE_BYTES
    ):
        body = b"".join(body)
    deadline = time.monotonic() + lease.config.timeout_seconds
    try:
        connection, response, sock = _send(lease, call, body, length, deadline)
    except TimeoutError:
        _cut(process, call.name)
        lease.release()
        return _error_response(recorder, idle_timeout(), lease, since)
    except (OSError, http.client.HTTPException):
        lease.release()
        return _error_response(recorder, _failed(process), lease, since)
    headers = [
        (name, value)
        for name, value in response.getheaders()
        if name.lower() not in HOP_BY_HOP or name.lower() == "content-length"
    ]
    return FunctionResponse(
        response.status,
        headers,
        _stream(recorder, lease, connection, response, sock, deadline, since),
    )


def _remaining(deadline: float) -> float:
    """Seconds left before `deadline`; TimeoutError when none are."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the call ran out of time")
    return left


def _send(
    lease: Lease,
    call: FunctionCall,
    body: bytes | Iterable[bytes],
    length: int | None,
    deadline: float,
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse, socket.socket]:
    process = lease.process
    target = call.path + (f"?{call.query}" if call.query else "")
    for _attempt in range(2):
        connection, reused = process.connection()
        try:
            if connection.sock is None:
                connection.timeout = _remaining(deadline)
                connection.connect()
            # Held apart: the connection drops it when the response will close.
            sock = connection.sock
            sock.settimeout(_remaining(deadline))
            connection.putrequest(
                call.method, target, skip_host=True, skip_accept_encoding=True
            )
            for name, value in call.headers:
                if name.lower() not in HOP_BY_HOP:
                    connection.putheader(name, value)
            if isinstance(body, bytes):
                connection.putheader("Content-Length", str(len(body)))
                connection.endheaders(body or None)
            elif length is not None:
                connection.putheader("Content-Length", str(length))
                connection.endheaders()
                for chunk in body:
                    connection.send(chunk)
            else:
                connection.putheader("Transfer-Encoding", "chunked")
                connection.endheaders()
                for chunk in body:
                    if chunk:
                        connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                connection.send(b"0\r\n\r\n")
            sock.settimeout(_remaining(deadline))
            return connection, connection.getresponse(), sock
        except (ConnectionError, http.client.RemoteDisconnected):
            connection.close()
            # A kept-alive connection the process closed meanwhile: once more
            # on a fresh one, if the body can be sent again.
            if reused and isinstance(body, bytes) and process.is_alive:
                continue
            raise
        except BaseException:
            connection.close()
            raise
    raise http.client.RemoteDisconnected("function closed the connection")


def _stream(
    recorder: _Recorder,
    lease: Lease,
    connection: http.client.HTTPConnection,
    response: http.client.HTTPResponse,
    sock: socket.socket,
    deadline: float,
    since: int,
) -> Iterator[bytes]:
    process = lease.process
    complete = False
    error = ""
    try:
        while True:
            sock.settimeout(_remaining(deadline))
            chunk = response.read1(CHUNK)
            if not chunk:
                break
            yield chunk
        # Marks the response done, so the connection can carry the next one.
        response.close()
        complete = True
    except TimeoutError:
        error = "IDLE_TIMEOUT"
    except (OSError, http.client.HTTPException):
        error = _failed(process).code
    finally:
        if complete and not response.will_close:
            process.release(connection)
        else:
            # Closing the socket is what aborts the function's req.signal.
            response.close()
            connection.close()
        if error == "IDLE_TIMEOUT":
            _cut(process, lease.config.name)
        lease.release()
        if error:
            log.warning(
                "function.response_cut", function=lease.config.name, error=error
            )
        recorder.finish(
            response.status,
            process=process,
            since=since,
            cold=lease.cold,
            error=error,
        )
