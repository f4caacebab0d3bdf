"""Functions as the CLI, the Studio and the scheduler use them: scaffold,
read and write code, deploy, invoke, and read the invocation log."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Avg, Count, Max, Q
from django.utils import timezone

from accounts.keys import service_role_key
from edge_functions import config, deno, release
from edge_functions.errors import FunctionExists
from edge_functions.models import Invocation
from edge_functions.relay import FunctionCall, invoke
from edge_functions.supervisor import supervisor

TEMPLATE = """\
// Follow Supabase's Edge Functions guide: a Deno.serve handler.
// Call it: curl -X POST $SUPABASE_URL/functions/v1/{name} \\
//   -H "Authorization: Bearer $ANON_KEY" -d '{{"name":"Functions"}}'

Deno.serve(async (req: Request): Promise<Response> => {{
  const {{ name }} = await req.json().catch(() => ({{ name: "world" }}));
  return Response.json({{ message: `Hello ${{name}}!` }});
}});
"""


@dataclass(frozen=True, slots=True)
class FunctionSummary:
    name: str
    verify_jwt: bool
    deployed_at: datetime.datetime | None
    modified_at: datetime.datetime
    invocations: int
    errors: int
    error: str  # why its settings are unusable, "" when they are fine


@dataclass(frozen=True, slots=True)
class FunctionMetrics:
    invocations: int
    errors: int
    cold_starts: int
    average_ms: float | None
    p95_ms: float | None
    max_memory_kb: int | None


@dataclass(frozen=True, slots=True)
class CompletedInvocation:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    relay_error: str  # Supabase's relay code, "" when the function answered


def _stamp(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def _invocation_counts(name: str | None = None) -> dict[str, dict]:
    rows = Invocation.objects.all()
    if name is not None:
        rows = rows.filter(function=name)
    return {
        row["function"]: row
        for row in rows.values("function").annotate(
            total=Count("id"), failed=Count("id", filter=Q(status__gte=500))
        )
    }


def _summary(name: str, counts: dict[str, dict]) -> FunctionSummary:
    try:
        settings = config.get_config(name)
        verify_jwt, problem = settings.verify_jwt, ""
    except config.InvalidFunctionConfig as error:
        verify_jwt, problem = True, str(error)
    deployment = deno.last_deployment(name)
    entry = config.functions_dir() / name / config.ENTRYPOINT
    row = counts.get(name, {})
    return FunctionSummary(
        name=name,
        verify_jwt=verify_jwt,
        deployed_at=_stamp(deployment.deployed_at) if deployment else None,
        modified_at=_stamp(entry.stat().st_mtime),
        invocations=row.get("total", 0),
        errors=row.get("failed", 0),
        error=problem,
    )


def list_functions() -> list[FunctionSummary]:
    counts = _invocation_counts()
    return [_summary(name, counts) for name in config.function_names()]


def get_function(name: str) -> FunctionSummary:
    """One function's summary; FunctionNotFound when it has no index.ts."""
    config.function_directory(name)
    return _summary(name, _invocation_counts(name))


def create_function(name: str) -> Path:
    """Scaffold functions/<name>/index.ts."""
    config.validate_name(name)
    directory = config.functions_dir() / name
    if (directory / config.ENTRYPOINT).exists():
        raise FunctionExists(name)
    directory.mkdir(parents=True, exist_ok=True)
    entry = directory / config.ENTRYPOINT
    entry.write_text(TEMPLATE.format(name=name))
    return entry


def read_source(name: str) -> str:
    return config.get_config(name).entrypoint.read_text()


def write_source(name: str, source: str) -> None:
    """Save the function's index.ts without deploying it (the Studio's editor)."""
    entry = config.get_config(name).entrypoint
    content = source.encode()
    release.validate_file(entry.name, content)
    release.write_file(entry, content)


def deploy_function(name: str) -> deno.Deployment:
    """Type-check and bundle; processes of the function restart on their next
    call (in every server process: they watch the deploy stamp)."""
    deployment = deno.deploy(config.get_config(name))
    supervisor().stop(name)
    return deployment


def deploy_files(name: str, files: Mapping[str, bytes]) -> deno.Deployment:
    """Deploy new code (file name → content) to function `name`, created if
    new; on a type error nothing changes (edge_functions.release)."""
    deployment = release.deploy_files(name, files)
    supervisor().stop(name)
    return deployment


def delete_function(name: str) -> None:
    supervisor().stop(name)
    release.delete_function(name)


def invoke_function(
    name: str,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    *,
    path: str = "",
    query: str = "",
    source: str = Invocation.Source.JOB,
) -> CompletedInvocation:
    """Call a function from inside KoyaLite (the Studio, scheduled jobs) and
    read its whole response. It runs as the service role unless `headers`
    carry another Authorization."""
    sent = {
        "Authorization": f"Bearer {service_role_key()}",
        "apikey": service_role_key(),
    }
    for key, value in (headers or {}).items():
        sent = {k: v for k, v in sent.items() if k.lower() != key.lower()}
        sent[key] = value
    response = invoke(
        FunctionCall(
            name=name,
            method=method.upper(),
            path=f"/{name}" + (f"/{path.lstrip('/')}" if path else ""),
            query=query,
            headers=list(sent.items()),
            body=body,
            source=source,
        )
    )
    content = response.read()
    return CompletedInvocation(
        status=response.status,
        headers=response.headers,
        body=content,
        relay_error=response.error.code if response.error else "",
    )


def invocation_log(
    *,
    function: str | None = None,
    status: str | None = None,
    since: datetime.datetime | None = None,
    search: str | None = None,
):
    """The log, newest first, filtered: status is "ok" (<400), "client" (4xx),
    "error" (5xx and relay errors) or a number."""
    rows = Invocation.objects.all()
    if function:
        rows = rows.filter(function=function)
    if status == "ok":
        rows = rows.filter(status__lt=400)
    elif status == "client":
        rows = rows.filter(status__gte=400, status__lt=500)
    elif status == "error":
        rows = rows.filter(Q(status__gte=500) | ~Q(error=""))
    elif status and status.isdigit():
        rows = rows.filter(status=int(status))
    if since is not None:
        rows = rows.filter(started_at__gte=since)
    if search:
        rows = rows.filter(output__icontains=search)
    return rows


def function_metrics(name: str, hours: int = 24) -> FunctionMetrics:
    rows = Invocation.objects.filter(
        function=name, started_at__gte=timezone.now() - datetime.timedelta(hours=hours)
    )
    summary = rows.aggregate(
        total=Count("id"),
        failed=Count("id", filter=Q(status__gte=500)),
        cold=Count("id", filter=Q(cold_start=True)),
        average=Avg("duration_ms"),
        memory=Max("memory_kb"),
    )
    p95 = None
    if summary["total"]:
        offset = int(summary["total"] * 0.95)
        durations = rows.order_by("duration_ms").values_list("duration_ms", flat=True)
        p95 = durations[min(offset, summary["total"] - 1)]
    return FunctionMetrics(
        invocations=summary["total"],
        errors=summary["failed"],
        cold_starts=summary["cold"],
        average_ms=round(summary["average"], 1) if summary["average"] else None,
        p95_ms=round(p95, 1) if p95 is not None else None,
        max_memory_kb=summary["memory"],
    )
