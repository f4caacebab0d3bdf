"""What can go wrong with a function, in Supabase Edge Functions' terms.

The relay's own failures carry Supabase's codes (`BOOT_ERROR`, `WORKER_LIMIT`,
…) and leave with `x-relay-error: true`; a function's own response, whatever
its status, is passed through untouched.
"""

from __future__ import annotations

from koyalite.errors import KoyaError


class FunctionError(KoyaError):
    code = "KL600"


class InvalidFunctionName(FunctionError):
    code = "KL601"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"function name {name!r} is not valid: use letters, digits, '-' and '_', "
            "starting with a letter"
        )


class FunctionNotFound(FunctionError):
    status = 404
    code = "KL602"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"function '{name}' does not exist (no functions/{name}/index.ts)"
        )


class FunctionExists(FunctionError):
    status = 409
    code = "KL603"

    def __init__(self, name: str) -> None:
        super().__init__(f"function '{name}' already exists")


class InvalidFunctionConfig(FunctionError):
    code = "KL604"
    exit_code = 2


class DeployFailed(FunctionError):
    """`deno check` or `deno bundle` refused the function's code."""

    status = 400
    code = "KL605"


class InvalidSecret(FunctionError):
    code = "KL606"


class RelayError(Exception):
    """The function gave no response of its own: Supabase's relay codes."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        # What the process wrote before it failed, for the invocation log.
        self.output = ""


def boot_error() -> RelayError:
    return RelayError(503, "BOOT_ERROR", "Worker failed to boot (please check logs)")


def worker_error() -> RelayError:
    return RelayError(
        500, "WORKER_ERROR", "Function exited due to an error (please check logs)"
    )


def worker_limit() -> RelayError:
    return RelayError(
        546,
        "WORKER_LIMIT",
        "Worker failed to respond due to a resource limit (please check logs)",
    )


def idle_timeout() -> RelayError:
    return RelayError(
        504, "IDLE_TIMEOUT", "Function did not respond within the request timeout"
    )
