"""The Functions pages: the list (with a form to scaffold one), one function
(code editor with save and deploy, invoke form, metrics) and the invocation
log with filters in the query string. Their JSON twin is
`studio.api.functions`; the scripts call it."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from edge_functions import config, deno, services
from edge_functions.errors import FunctionError, FunctionNotFound
from studio.api.functions import LOG_PAGE_SIZE, METHODS, STATUS_FILTERS, log_rows
from studio.permissions import operator_required


@operator_required
def function_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "studio/functions.html",
        {
            "functions": services.list_functions(),
            "directory": config.functions_dir(),
        },
    )


@operator_required
def function_detail(request: HttpRequest, name: str) -> HttpResponse:
    """The page; its form posted without JavaScript saves and deploys (the
    script does the same through the JSON twin)."""
    deploy_error = ""
    if request.method == "POST":
        try:
            services.write_source(name, request.POST.get("source", ""))
            services.deploy_function(name)
        except FunctionNotFound as error:
            raise Http404(str(error)) from None
        except FunctionError as error:
            deploy_error = str(error)
        else:
            messages.success(request, f"Deployed {name}.")
            return redirect("studio:function", name=name)
    try:
        source = services.read_source(name)
        settings = config.get_config(name)
    except FunctionError as error:
        raise Http404(str(error)) from None
    deployment = deno.last_deployment(name)
    return render(
        request,
        "studio/function.html",
        {
            "name": name,
            "source": source,
            "settings": settings,
            "deployment": deployment,
            "deployed_at": datetime.datetime.fromtimestamp(
                deployment.deployed_at, tz=datetime.UTC
            )
            if deployment
            else None,
            "metrics": services.function_metrics(name),
            "methods": METHODS,
            "recent": services.invocation_log(function=name)[:10],
            "deploy_error": deploy_error,
        },
        status=400 if deploy_error else 200,
    )


@operator_required
def invocation_log(request: HttpRequest) -> HttpResponse:
    rows, filters, page = log_rows(request.GET)
    base = {k: v for k, v in filters.items() if v}
    return render(
        request,
        "studio/function_logs.html",
        {
            "rows": rows[:LOG_PAGE_SIZE],
            "filters": filters,
            "names": config.function_names(),
            "statuses": STATUS_FILTERS,
            "newer": urlencode({**base, "page": page - 1}) if page > 1 else "",
            "older": urlencode({**base, "page": page + 1})
            if len(rows) > LOG_PAGE_SIZE
            else "",
        },
    )
