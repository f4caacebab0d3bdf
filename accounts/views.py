"""`/auth/v1`: GoTrue-compatible endpoints. Each parses, calls a service,
renders; every failure leaves through `accounts.render.error_response`."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from accounts import (
    catalogue,
    id_tokens,
    identities,
    keys,
    mfa,
    params,
    ratelimits,
    services,
    sessions,
)
from accounts.errors import (
    AuthApiError,
    BadJwt,
    InvalidApiKey,
    InvalidToken,
    MissingApiKey,
    NoAuthorization,
    NotFound,
    OtpExpired,
    SamlDisabled,
    UnexpectedFailure,
    UserBanned,
    ValidationFailed,
)
from accounts.mail import safe_redirect
from accounts.render import error_response, json_response
from accounts.users import is_banned, user_json
from koyalite.logging import get_logger

log = get_logger("koyalite.auth")


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind a proxy the last address
    in KOYALITE_AUTH_RATE_LIMIT_HEADER — the one the proxy itself wrote; any
    before it came from the client and could be anything."""
    if settings.AUTH_RATE_LIMIT_HEADER:
        forwarded = request.META.get(settings.AUTH_RATE_LIMIT_HEADER, "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return request.META.get("REMOTE_ADDR", "")


def _client(request: HttpRequest) -> dict[str, str]:
    return {
        "user_agent": request.META.get("HTTP_USER_AGENT", ""),
        "ip": client_ip(request),
    }


def _limit(request: HttpRequest, bucket: str, body: dict[str, Any] | None) -> None:
    email = body.get("email") if body else None
    ratelimits.hit(
        bucket,
        client_ip(request),
        email if isinstance(email, str) else None,
    )


def _require_apikey(request: HttpRequest) -> None:
    try:
        keys.authenticate(request.META.get("HTTP_APIKEY"), None)
    except (MissingApiKey, InvalidApiKey) as error:
        raise NoAuthorization(str(error)) from None


def _claims(request: HttpRequest) -> dict[str, Any]:
    """The verified claims of the request's user access token."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NoAuthorization()
    try:
        claims = keys.decode_token(token.strip())
    except InvalidToken as error:
        raise BadJwt(
            f"invalid JWT: unable to parse or verify signature, {error}"
        ) from None
    if claims.get("role") != "authenticated":
        raise BadJwt("invalid JWT: not a user's access token")
    return claims


def _current_session(request: HttpRequest) -> sessions.Session:
    session = sessions.require_session(_claims(request))
    if is_banned(session.user):
        raise UserBanned()
    return session


def endpoint(methods: tuple[str, ...], public: tuple[str, ...] = ()) -> Callable:
    """Wrap an /auth/v1 view: method check, `apikey` (except for `public`
    methods, such as the GET of a link in an email), GoTrue error rendering."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise NotFound(f"{request.method} is not allowed here")
                if request.method not in public:
                    _require_apikey(request)
                return view(request, *args, **kwargs)
            except AuthApiError as error:
                return error_response(request, error)
            except Exception:  # the top-level handler of the API
                log.exception(
                    "request.failed", path=request.path, method=request.method
                )
                return error_response(request, UnexpectedFailure())

        return wrapper

    return decorate


@endpoint(("POST",))
def signup(request: HttpRequest) -> HttpResponse:
    body = params.read_body(request, params.SIGNUP)
    _limit(request, "sign_in", body)
    return json_response(
        services.sign_up(body, request.GET.get("redirect_to"), **_client(request))
    )


# GoTrue's grant types, each with its params struct.
_GRANTS = {
    "password": params.PASSWORD_GRANT,
    "refresh_token": params.REFRESH_TOKEN_GRANT,
    "pkce": params.PKCE_GRANT,
    "id_token": params.ID_TOKEN_GRANT,
}


@endpoint(("POST",))
def token(request: HttpRequest) -> HttpResponse:
    grant = request.GET.get("grant_type", "")
    if grant not in _GRANTS:
        raise ValidationFailed(f"unsupported_grant_type: {grant[:64]!r}")
    body = params.read_body(request, _GRANTS[grant])
    _limit(request, "refresh" if grant == "refresh_token" else "sign_in", body)
    if grant == "password":
        return json_response(
            services.sign_in_with_password(body, **_client(request)).as_json()
        )
    if grant == "refresh_token":
        presented = body.get("refresh_token")
        if not presented:
            raise ValidationFailed("refresh_token required")
        return json_response(sessions.refresh_session(presented).as_json())
    if grant == "pkce":
        return json_response(services.exchange_code(body, **_client(request)).as_json())
    # An ID token; with link_identity, the account is linked to the signed-in user.
    link_to = (
        str(_current_session(request).user_id) if body.get("link_identity") else ""
    )
    return json_response(
        id_tokens.sign_in(request, body, link_to, **_client(request)).as_json()
    )


@endpoint(("GET", "PUT"))
def user(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        profile = sessions.session_profile(_claims(request))
        return HttpResponse(profile, content_type="application/json")
    session = _current_session(request)
    changed = services.update_user(
        session.user,
        params.read_body(request, params.USER_UPDATE),
        request.GET.get("redirect_to"),
    )
    return json_response(user_json(changed))


@endpoint(("POST",))
def logout(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("scope", "global")
    if scope not in ("global", "local", "others"):
        raise ValidationFailed("scope must be global, local or others")
    session = _current_session(request)
    sessions.end_sessions(str(session.id), str(session.user_id), scope)
    return HttpResponse(status=204)


@endpoint(("GET", "POST"), public=("GET",))
def verify(request: HttpRequest) -> HttpResponse:
    _limit(request, "verify", None)
    if request.method == "POST":
        body = params.read_body(request, params.VERIFY)
        verified = services.verify(
            str(body.get("type", "")),
            token=_text(body.get("token_hash")),
            email=_text(body.get("email")),
            code=_text(body.get("token")),
            **_client(request),
        )
        if verified.session is None:
            return json_response({"msg": services.EMAIL_CHANGE_HALFWAY, "code": 200})
        return json_response(verified.session.as_json())
    # A link from an email: redirect back to the app with the session in the
    # fragment (GoTrue's implicit flow), or with the error if it failed.
    target = safe_redirect(request.GET.get("redirect_to"))
    kind_type = request.GET.get("type", "")
    try:
        verified = services.verify(
            kind_type,
            token=request.GET.get("token", ""),
            from_link=True,
            **_client(request),
        )
    except (OtpExpired, ValidationFailed, UserBanned) as error:
        fragment = {
            "error": "access_denied",
            "error_code": error.error_code,
            "error_description": error.message,
        }
        return HttpResponseRedirect(f"{target}#{urlencode(fragment)}")
    if verified.auth_code is not None:
        separator = "&" if "?" in target else "?"
        return HttpResponseRedirect(
            f"{target}{separator}{urlencode({'code': verified.auth_code})}"
        )
    if verified.session is None:
        message = urlencode({"message": services.EMAIL_CHANGE_HALFWAY})
        return HttpResponseRedirect(f"{target}#{message}")
    session = verified.session.as_json()
    fragment = {
        "access_token": session["access_token"],
        "expires_at": session["expires_at"],
        "expires_in": session["expires_in"],
        "refresh_token": session["refresh_token"],
        "token_type": "bearer",
        "type": kind_type,
    }
    return HttpResponseRedirect(f"{target}#{urlencode(fragment)}")


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _mailing(
    send: Callable[[dict[str, Any], str | None], None], fields: params.Fields
) -> Callable:
    """A POST endpoint that mails the user something and answers `{}` alike
    whether or not the address has an account."""

    @endpoint(("POST",))
    def view(request: HttpRequest) -> HttpResponse:
        body = params.read_body(request, fields)
        _limit(request, "otp", body)
        send(body, request.GET.get("redirect_to"))
        return json_response({})

    return view


recover = _mailing(services.recover, params.RECOVER)
otp = _mailing(services.send_one_time_code, params.OTP)
resend = _mailing(services.resend, params.RESEND)


@endpoint(("GET",))
def reauthenticate(request: HttpRequest) -> HttpResponse:
    _limit(request, "otp", None)
    services.reauthenticate(_current_session(request).user)
    return json_response({})


@endpoint(("POST",))
def factors(request: HttpRequest) -> HttpResponse:
    session = _current_session(request)
    return json_response(
        mfa.enroll(session, params.read_body(request, params.ENROLL_FACTOR))
    )


@endpoint(("DELETE",))
def factor(request: HttpRequest, factor_id: str) -> HttpResponse:
    return json_response(mfa.unenroll(_current_session(request), factor_id))


@endpoint(("POST",))
def factor_challenge(request: HttpRequest, factor_id: str) -> HttpResponse:
    return json_response(mfa.challenge(_current_session(request), factor_id))


@endpoint(("POST",))
def factor_verify(request: HttpRequest, factor_id: str) -> HttpResponse:
    _limit(request, "verify", None)
    session = _current_session(request)
    body = params.read_body(request, params.VERIFY_FACTOR)
    return json_response(mfa.verify(session, factor_id, body).as_json())


@endpoint(("GET",))
def auth_settings(request: HttpRequest) -> HttpResponse:
    return json_response(
        {
            "external": {
                "email": True,
                "phone": False,
                "anonymous_users": settings.AUTH_ANONYMOUS_USERS,
                # Every provider KoyaLite knows, as GoTrue lists them: on or off.
                **dict.fromkeys(sorted(catalogue.PROVIDERS.keys() - {"oidc"}), False),
                **dict.fromkeys(settings.AUTH_EXTERNAL_PROVIDERS, True),
            },
            "disable_signup": not settings.AUTH_ENABLE_SIGNUP,
            "mailer_autoconfirm": settings.AUTH_AUTOCONFIRM,
            "phone_autoconfirm": False,
            "sms_provider": "",
            "saml_enabled": False,
        }
    )


_ANY = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


@endpoint(_ANY, public=_ANY)
def sso(request: HttpRequest) -> HttpResponse:
    """`sign_in_with_sso`: SAML is not offered, as GoTrue answers with it off."""
    raise SamlDisabled()


@endpoint(_ANY, public=_ANY)
def not_found(request: HttpRequest, path: str) -> HttpResponse:
    """Any other /auth/v1 path: GoTrue's JSON 404, not an HTML page."""
    raise NotFound(f"{request.method} {request.path} is not an auth endpoint")


@csrf_exempt
def health(request: HttpRequest) -> HttpResponse:
    return json_response(
        {"version": "koyalite", "name": "GoTrue", "description": "KoyaLite auth"}
    )


def _provider_url(request: HttpRequest, link_to: str | None = None) -> str:
    from accounts import oauth, pkce

    challenge = pkce.challenge_from(
        {
            "code_challenge": request.GET.get("code_challenge"),
            "code_challenge_method": request.GET.get("code_challenge_method"),
        }
    )
    return oauth.authorization_url(
        request,
        request.GET.get("provider"),
        request.GET.get("redirect_to"),
        request.GET.get("scopes"),
        challenge,
        link_to=link_to,
    )


@endpoint(("GET",), public=("GET",))
def authorize(request: HttpRequest) -> HttpResponse:
    """GET /authorize?provider=…: a browser goes on to the provider's consent page."""
    return HttpResponseRedirect(_provider_url(request))


@endpoint(("GET",))
def link_identity(request: HttpRequest) -> HttpResponse:
    """GET /user/identities/authorize?provider=…: the signed-in user goes to the
    provider; the callback links that account to them."""
    identities.require_manual_linking()
    session = _current_session(request)
    url = _provider_url(request, link_to=str(session.user_id))
    if request.GET.get("skip_http_redirect") == "true":
        return json_response({"url": url})
    return HttpResponseRedirect(url)


@endpoint(("DELETE",))
def identity(request: HttpRequest, identity_id: str) -> HttpResponse:
    """DELETE /user/identities/<identity_id>: unlink one of the user's identities."""
    identities.require_manual_linking()
    session = _current_session(request)
    identities.unlink(session.user, identity_id)
    return json_response({})


def _form(request: HttpRequest) -> QueryDict:
    """A POSTed form (a provider's `response_mode=form_post`), read as Go's
    FormValue reads it: a body that cannot be parsed as a form (multipart
    without a boundary, too large, too many fields) has no fields."""
    try:
        return request.POST
    except (
        MultiPartParserError,
        RequestDataTooBig,
        TooManyFieldsSent,
        TooManyFilesSent,
    ):
        return QueryDict()


@endpoint(("GET", "POST"), public=("GET", "POST"))
def callback(request: HttpRequest) -> HttpResponse:
    """GET|POST /callback?code=&state=: the provider sends the browser back here;
    it goes on to `redirect_to` signed in, or with the error in the fragment."""
    from accounts import oauth

    query = _form(request) if request.method == "POST" else request.GET
    try:
        state = oauth.read_state(query.get("state"))
    except AuthApiError as error:
        fragment = urlencode(oauth.error_fragment(error))
        return HttpResponseRedirect(f"{safe_redirect(None)}#{fragment}")
    target = safe_redirect(state.redirect_to)
    if query.get("error"):
        fragment = {
            "error": query.get("error", ""),
            "error_code": "bad_oauth_callback",
            "error_description": query.get("error_description", ""),
        }
        return HttpResponseRedirect(f"{target}#{urlencode(fragment)}")
    try:
        signed_in = oauth.complete(
            request, state, query.get("code"), **_client(request)
        )
    except AuthApiError as error:
        log.warning("oauth.failed", provider=state.provider, code=error.error_code)
        fragment = urlencode(oauth.error_fragment(error))
        return HttpResponseRedirect(f"{target}#{fragment}")
    if signed_in.auth_code is not None:
        separator = "&" if "?" in target else "?"
        return HttpResponseRedirect(
            f"{target}{separator}{urlencode({'code': signed_in.auth_code})}"
        )
    session = signed_in.session.as_json()
    fragment = {
        "access_token": session["access_token"],
        "expires_at": session["expires_at"],
        "expires_in": session["expires_in"],
        "refresh_token": session["refresh_token"],
        "token_type": "bearer",
        **signed_in.session.provider_tokens,
    }
    return HttpResponseRedirect(f"{target}#{urlencode(fragment)}")
