"""Edge functions: TypeScript on Deno at /functions/v1/<name>.

The Django app is `edge_functions`, not `functions`: a project keeps its
functions' code in a `functions/` directory, and a project directory on
`sys.path` (it is the working directory of `koyalite serve`) would let that
directory shadow a `functions` package.
"""

from __future__ import annotations


def invoke(
    name: str,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    **options,
):
    """Call function `name` and return its `CompletedInvocation`; the one path
    jobs and the Studio take (edge_functions.services.invoke_function)."""
    from edge_functions.services import invoke_function

    return invoke_function(name, method, headers, body, **options)
