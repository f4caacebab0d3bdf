"""`/auth/v1/admin/users`: GoTrue's user admin API, for the service role only.

Each view checks the caller holds the service role, parses, calls one service
of `accounts.admin_users` and renders GoTrue's JSON.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse

from accounts import admin_users, keys, mfa, params, services
from accounts.errors import (
    BadJwt,
    InvalidApiKey,
    InvalidToken,
    MissingApiKey,
    NoAuthorization,
    NotAdmin,
    ValidationFailed,
)
from accounts.models import User
from accounts.render import json_response
from accounts.users import user_json
from accounts.views import endpoint

# Large enough for any real page; small enough that OFFSET fits SQLite's int64.
_MAX_PAGE_DIGITS = 9


def _require_service_role(request: HttpRequest) -> None:
    """GoTrue's requireAdminCredentials: the Bearer must carry the service role.

    The `apikey` header only admits the request (checked by `endpoint`); a
    request with the service key as apikey but a user's token as Bearer is
    that user's, and not an admin's.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NoAuthorization()
    try:
        auth = keys.authenticate(request.META.get("HTTP_APIKEY"), header)
    except (MissingApiKey, InvalidApiKey) as error:
        raise NoAuthorization(str(error)) from None
    except InvalidToken as error:
        raise BadJwt(
            f"invalid JWT: unable to parse or verify signature, {error}"
        ) from None
    if auth.role != "service_role":
        raise NotAdmin()


def _attributes(request: HttpRequest) -> admin_users.UserAttributes:
    """The body as GoTrue's AdminUserParams."""
    values = params.read_body(request, params.ADMIN_USER)
    aud = values.pop("aud", "")
    if aud not in ("", "authenticated"):
        raise ValidationFailed(
            f"aud {aud!r} is not supported; users have the audience 'authenticated'"
        )
    return admin_users.UserAttributes(**values)


def _positive_int(request: HttpRequest, name: str, default: int) -> int:
    # Clients send `page=&per_page=` when they have no preference.
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > _MAX_PAGE_DIGITS:
        raise ValidationFailed(
            f"Bad Pagination Parameters: {name} must be a whole number below 10^9, "
            f"not {raw!r}"
        )
    return int(raw)


def _ascending(request: HttpRequest) -> bool:
    ascending = False
    for value in request.GET.getlist("sort"):
        field, _, direction = value.partition(" ")
        if field != "created_at":
            raise ValidationFailed(f"Bad Sort Parameters: bad field for sort {field!r}")
        if direction.lower() not in ("", "asc", "desc"):
            raise ValidationFailed(
                f"Bad Sort Parameters: bad direction for sort {direction!r}, "
                "only 'asc' and 'desc' allowed"
            )
        ascending = direction.lower() == "asc"
    return ascending


def _page_link(request: HttpRequest, page: int, per_page: int) -> str:
    # `page` goes first: supabase-js reads the page number after the first "=".
    query = [("page", str(page))] + sorted(
        # A per_page above the maximum was served as the maximum; say so.
        (key, str(per_page) if key == "per_page" and value else value)
        for key, values in request.GET.lists()
        if key != "page"
        for value in values
    )
    return f"<{request.path}?{urlencode(query)}>"


def _paging_headers(
    request: HttpRequest, response: HttpResponse, page: admin_users.UserPage
) -> None:
    """GoTrue's X-Total-Count and Link (rel next, rel last) headers."""
    links = []
    if page.last_page > page.page:
        links.append(f'{_page_link(request, page.page + 1, page.per_page)}; rel="next"')
    links.append(f'{_page_link(request, page.last_page, page.per_page)}; rel="last"')
    response["Link"] = ", ".join(links)
    response["X-Total-Count"] = str(page.total)


@endpoint(("GET", "POST"))
def users(request: HttpRequest) -> HttpResponse:
    _require_service_role(request)
    if request.method == "POST":
        created = admin_users.create_user(_attributes(request))
        return json_response(user_json(created))
    page = admin_users.list_users(
        _positive_int(request, "page", 1),
        _positive_int(request, "per_page", admin_users.DEFAULT_PER_PAGE),
        search=request.GET.get("filter", ""),
        ascending=_ascending(request),
    )
    response = json_response(
        {"users": [user_json(user) for user in page.users], "aud": "authenticated"}
    )
    _paging_headers(request, response, page)
    return response


@endpoint(("GET", "PUT", "DELETE"))
def user(request: HttpRequest, user_id: str) -> HttpResponse:
    _require_service_role(request)
    if request.method == "PUT":
        updated = admin_users.update_user(user_id, _attributes(request))
        return json_response(user_json(updated))
    if request.method == "DELETE":
        body = params.read_body(request, params.ADMIN_DELETE_USER, optional=True)
        soft_delete = body.get("should_soft_delete", False)
        admin_users.delete_user(user_id, soft_delete=soft_delete)
        return json_response({})
    return json_response(user_json(admin_users.get_user(user_id)))


@endpoint(("GET",))
def factors(request: HttpRequest, user_id: str) -> HttpResponse:
    """GET /admin/users/<id>/factors: the user's MFA factors."""
    _require_service_role(request)
    return json_response(user_json(admin_users.get_user(user_id))["factors"])


@endpoint(("PUT", "DELETE"))
def factor(request: HttpRequest, user_id: str, factor_id: str) -> HttpResponse:
    """PUT renames a user's factor; DELETE removes it (a user who lost their
    authenticator app), taking their sessions back to aal1."""
    _require_service_role(request)
    user = admin_users.get_user(user_id)
    found = mfa.factor_of(user, factor_id)
    if request.method == "DELETE":
        shown = _factor_json(user, factor_id)
        mfa.remove_factor(found)
        return json_response(shown)
    name = params.read_body(request, params.ADMIN_UPDATE_FACTOR).get("friendly_name")
    if name is None:
        raise ValidationFailed("friendly_name must be a string")
    found.friendly_name = name[:120]
    found.save(update_fields=["friendly_name", "updated_at"])
    return json_response(_factor_json(user, factor_id))


def _factor_json(user: User, factor_id: str) -> dict:
    return next(f for f in user_json(user)["factors"] if f["id"] == factor_id)


@endpoint(("POST",))
def invite(request: HttpRequest) -> HttpResponse:
    _require_service_role(request)
    body = params.read_body(request, params.INVITE)
    return json_response(
        user_json(services.invite(body, request.GET.get("redirect_to")))
    )


@endpoint(("POST",))
def generate_link(request: HttpRequest) -> HttpResponse:
    _require_service_role(request)
    return json_response(
        services.generate_link(params.read_body(request, params.GENERATE_LINK))
    )
