"""`/functions/admin/v1`: list, read, deploy and delete functions over HTTP
with the service_role key, in the shape of Supabase's Management API
(`/v1/projects/{ref}/functions…`, without the project: a KoyaLite server is
one project).

Deploys go through `edge_functions.services`, the path the CLI and the Studio
take: the code is type-checked and bundled before it replaces the old, so a
type error is a 400 with Deno's diagnostics and the function stays as it was.
Settings (`verify_jwt`, `allow_net`, …) stay in `config.toml`; this API
deploys code only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from django.http import HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.service_api import service_role_view
from edge_functions import config, deno, release, services
from edge_functions.config import ENTRYPOINT
from edge_functions.errors import InvalidFunctionConfig
from studio.api.functions import FunctionsApiView, summary_json


def function_json(summary: services.FunctionSummary) -> dict[str, Any]:
    """A function as Supabase's Management API names it, plus KoyaLite's own
    fields (deployed_at, invocations, errors, error) and its files."""
    return {
        "slug": summary.name,
        "status": "ACTIVE",
        "entrypoint_path": config.ENTRYPOINT,
        **summary_json(summary),
        "files": release.function_files(summary.name),
    }


def _detail_json(name: str) -> dict[str, Any]:
    found = function_json(services.get_function(name))
    settings = config.get_config(name)
    found.update(
        allow_net=True if settings.allow_net is None else list(settings.allow_net),
        allow_env=list(settings.allow_env),
        timeout_seconds=settings.timeout_seconds,
        memory_mb=settings.memory_mb,
        max_concurrency=settings.max_concurrency,
    )
    return found


def _refuse_settings(name: str, fields: dict[str, Any], allowed: set[str]) -> None:
    """Settings belong in config.toml: a `verify_jwt` that differs from it is
    refused rather than ignored, so no caller believes a function is open
    (or closed) when it is not."""
    unknown = sorted(set(fields) - allowed - {"verify_jwt"})
    if unknown:
        raise InvalidFunctionConfig(f"unknown key(s) {', '.join(unknown)}")
    if "verify_jwt" in fields:
        configured = config.function_settings(name).get("verify_jwt", True)
        if fields["verify_jwt"] != configured:
            raise InvalidFunctionConfig(
                f"verify_jwt of '{name}' is {str(configured).lower()}: settings "
                f"belong in config.toml ([functions.{name}])"
            )


def _metadata(request: Request, name: str) -> None:
    raw = request.data.get("metadata") or "{}"
    try:
        metadata = orjson.loads(raw)
    except orjson.JSONDecodeError:
        metadata = None
    if not isinstance(metadata, dict):
        raise InvalidFunctionConfig("metadata must be a JSON object")
    _refuse_settings(name, metadata, {"name", "entrypoint_path", "import_map_path"})
    if metadata.get("name", name) != name:
        raise InvalidFunctionConfig("metadata name must be the slug")
    if metadata.get("entrypoint_path", ENTRYPOINT) not in (
        ENTRYPOINT,
        f"./{ENTRYPOINT}",
    ):
        raise InvalidFunctionConfig(
            f"the entry point must be {ENTRYPOINT}: KoyaLite serves "
            f"functions/<slug>/{ENTRYPOINT}"
        )
    import_map = metadata.get("import_map_path")
    if import_map and str(import_map).removeprefix("./") not in deno.CONFIG_FILES:
        raise InvalidFunctionConfig(
            "import maps other than the function's deno.json are not read"
        )


def _uploaded_files(request: Request) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for upload in request.FILES.getlist("file"):
        # One byte past the limit is enough to refuse the file.
        content = upload.read(release.MAX_SOURCE_BYTES + 1)
        if upload.name in files:
            raise InvalidFunctionConfig(f"file {upload.name!r} is sent twice")
        release.validate_file(upload.name, content)
        files[upload.name] = content
    return files


class FunctionList(FunctionsApiView):
    def get(self, request: Request) -> Response:
        return Response([function_json(s) for s in services.list_functions()])


class FunctionDetail(FunctionsApiView):
    def get(self, request: Request, slug: str) -> Response:
        return Response(_detail_json(slug))

    def patch(self, request: Request, slug: str) -> Response:
        """New index.ts as `{"body": "<source>"}`, deployed."""
        services.get_function(slug)
        fields = request.data if isinstance(request.data, dict) else {}
        _refuse_settings(slug, fields, {"body", "name"})
        if fields.get("name", slug) != slug:
            raise InvalidFunctionConfig(
                "a function is not renamed: name must be the slug"
            )
        source = fields.get("body")
        if not isinstance(source, str):
            raise InvalidFunctionConfig('send {"body": "<the text of index.ts>"}')
        deployment = services.deploy_files(slug, {ENTRYPOINT: source.encode()})
        return _deployed(slug, deployment, status=200)

    def delete(self, request: Request, slug: str) -> Response:
        services.delete_function(slug)
        return Response(status=204)


def _deployed(name: str, deployment, *, status: int) -> Response:
    found = _detail_json(name)
    found["deployment"] = dataclasses.asdict(deployment)
    return Response(found, status=status)


class FunctionDeploy(FunctionDetail):
    """`POST functions/deploy?slug=<name>`, multipart: `metadata` (JSON) and
    one `file` part per file, named by its file name; 201 as Supabase
    answers, whether the function is new or not. A function called `deploy`
    is still read, patched and deleted at this URL."""

    def post(self, request: Request, slug: str) -> Response:
        name = config.validate_name(request.query_params.get("slug", ""))
        _metadata(request, name)
        deployment = services.deploy_files(name, _uploaded_files(request))
        return _deployed(name, deployment, status=201)


class FunctionBody(FunctionsApiView):
    def get(self, request: Request, slug: str) -> HttpResponse:
        return HttpResponse(
            services.read_source(slug), content_type="text/plain; charset=utf-8"
        )


def _view(view_class):
    return service_role_view(view_class, "functions")


urlpatterns = [
    path("functions", _view(FunctionList)),
    path("functions/deploy", _view(FunctionDeploy), {"slug": "deploy"}),
    path("functions/<str:slug>", _view(FunctionDetail)),
    path("functions/<str:slug>/body", _view(FunctionBody)),
]
