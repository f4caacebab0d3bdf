"""The Auth page's JSON twin: app users, their sessions and MFA factors, the
auth settings in force, and the auth email templates.

Every operation calls the function `/auth/v1/admin/*` and `/auth/v1/invite`,
`/recover` call (`accounts.admin_users`, `accounts.services`,
`accounts.sessions`, `accounts.mfa`), so the Studio cannot drift from the API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import admin_users, catalogue, mfa, services, sessions
from accounts.errors import ValidationFailed
from accounts.mail import KINDS, render_auth_email, verify_link
from accounts.models import Session, User
from accounts.tokens import LINK_TYPE
from accounts.users import user_json
from emails.errors import EmailTemplateNotFound, InvalidEmailTemplate
from koyalite.errors import KoyaError

PER_PAGE = 25
# GoTrue's ban_duration for "until lifted": 100 years.
BAN_FOREVER = "876000h"


def koya_errors(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Render a `KoyaError` from a service as `{message, code}` with its status."""

    @wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return handler(*args, **kwargs)
        except KoyaError as error:
            code = getattr(error, "error_code", error.code)
            return Response({"message": str(error), "code": code}, status=error.status)

    return wrapper


def page_number(raw: object) -> int:
    text = str(raw or "1")
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) < 1:
        raise ValidationFailed(f"page must be a whole number from 1, not {text!r}")
    return int(text)


def users_page(search: str, page: int) -> dict[str, Any]:
    found = admin_users.list_users(page, PER_PAGE, search=search)
    return {
        "users": [user_json(user) for user in found.users],
        "total": found.total,
        "page": found.page,
        "pages": found.last_page,
    }


def session_json(session: Session) -> dict[str, Any]:
    return {
        "id": str(session.pk),
        "created_at": session.created_at.isoformat(),
        "aal": session.aal,
        "user_agent": session.user_agent,
        "ip": session.ip,
    }


def user_detail(user: User) -> dict[str, Any]:
    """The user as GoTrue shows it, with their sessions, newest first."""
    return user_json(user) | {
        "sessions": [
            session_json(s)
            for s in Session.objects.filter(user=user).order_by("-created_at")
        ]
    }


def _text(data: Any, name: str) -> str:
    value = data.get(name, "") if isinstance(data, dict) else ""
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be a string")
    return value.strip()


class UserList(APIView):
    @koya_errors
    def get(self, request: Request) -> Response:
        search = request.query_params.get("q", "").strip()
        return Response(
            users_page(search, page_number(request.query_params.get("page")))
        )

    @koya_errors
    def post(self, request: Request) -> Response:
        """Create a user, as POST /admin/users does: no mail is sent."""
        password = _text(request.data, "password")
        created = admin_users.create_user(
            admin_users.UserAttributes(
                email=_text(request.data, "email"),
                password=password or None,
                email_confirm=request.data.get("email_confirm") is True,
            )
        )
        return Response(user_json(created), status=201)


class Invite(APIView):
    @koya_errors
    def post(self, request: Request) -> Response:
        """Mail an invite, as POST /invite does (creating the user if new)."""
        redirect_to = _text(request.data, "redirect_to") or None
        invited = services.invite({"email": _text(request.data, "email")}, redirect_to)
        return Response(user_json(invited), status=201)


class UserDetail(APIView):
    @koya_errors
    def get(self, request: Request, user_id: str) -> Response:
        return Response(user_detail(admin_users.get_user(user_id)))

    @koya_errors
    def delete(self, request: Request, user_id: str) -> Response:
        admin_users.delete_user(user_id)
        return Response(status=204)


def _ban(user: User, data: Any) -> None:
    text = _text(data, "duration") or BAN_FOREVER
    duration = admin_users.parse_ban_duration(text)
    # GoTrue reads "none" or "0" as lifting a ban; asked to ban, that would
    # quietly do the opposite.
    if duration <= timedelta(0):
        raise ValidationFailed(
            f"A ban needs a duration longer than zero, not {text!r}; "
            "use unban to lift one"
        )
    admin_users.ban_user(user, duration)


def _recover(user: User, data: Any) -> None:
    if not user.email:
        raise ValidationFailed("The user has no email address to send a link to")
    services.recover({"email": user.email}, None)


# POST /users/<id>/<action>/: each a call of the service GoTrue's API uses.
ACTIONS: dict[str, Callable[[User, Any], object]] = {
    "confirm": lambda user, data: admin_users.confirm_email(user),
    "ban": _ban,
    "unban": lambda user, data: admin_users.ban_user(user, timedelta(0)),
    "send-recovery": _recover,
    "sign-out": lambda user, data: admin_users.end_sessions(user),
}


class UserAction(APIView):
    @koya_errors
    def post(self, request: Request, user_id: str, action: str) -> Response:
        run = ACTIONS.get(action)
        if run is None:
            return Response({"message": f"No action {action!r}"}, status=404)
        user = admin_users.get_user(user_id)
        run(user, request.data)
        return Response(user_detail(admin_users.get_user(user_id)))


class UserSession(APIView):
    @koya_errors
    def delete(self, request: Request, user_id: str, session_id: str) -> Response:
        user = admin_users.get_user(user_id)
        sessions.end_sessions(session_id, str(user.pk), "local")
        return Response(status=204)


class UserFactor(APIView):
    @koya_errors
    def delete(self, request: Request, user_id: str, factor_id: str) -> Response:
        """As DELETE /admin/users/<id>/factors/<id>: the user's sessions drop to aal1."""
        mfa.remove_factor(mfa.factor_of(admin_users.get_user(user_id), factor_id))
        return Response(status=204)


def auth_settings() -> dict[str, Any]:
    """The auth settings in force, without a secret: no JWT secret, no keys,
    no OAuth client secrets (only which providers are on)."""
    return {
        "site_url": settings.AUTH_SITE_URL,
        "redirect_urls": list(settings.AUTH_REDIRECT_URLS),
        "signup_enabled": settings.AUTH_ENABLE_SIGNUP,
        "mailer_autoconfirm": settings.AUTH_AUTOCONFIRM,
        "anonymous_users": settings.AUTH_ANONYMOUS_USERS,
        "manual_linking": settings.AUTH_MANUAL_LINKING,
        "providers": {
            name: name in settings.AUTH_EXTERNAL_PROVIDERS
            for name in sorted(catalogue.PROVIDERS)
        },
        "jwt_expiry_seconds": settings.AUTH_JWT_EXPIRY,
        "otp_expiry_seconds": settings.AUTH_OTP_EXPIRY,
        "email_interval_seconds": settings.AUTH_EMAIL_INTERVAL,
        "refresh_reuse_interval_seconds": settings.AUTH_REFRESH_REUSE_INTERVAL,
        "rate_limits_per_5_minutes": dict(settings.AUTH_RATE_LIMITS),
        "password_rules": [
            {
                "validator": rule["NAME"].rsplit(".", 1)[-1],
                "options": rule.get("OPTIONS", {}),
            }
            for rule in settings.AUTH_PASSWORD_VALIDATORS
        ],
        "mailbox_capturing": settings.MAILBOX_ENABLED,
        "email_from": settings.DEFAULT_FROM_EMAIL,
    }


class AuthSettings(APIView):
    def get(self, request: Request) -> Response:
        return Response(auth_settings())


def sample_context(kind: str) -> dict[str, str]:
    """What a template sees when sent, with a sample token: a preview never
    issues a real one."""
    return {
        "link": verify_link(
            "sample-token", LINK_TYPE.get(kind, kind), settings.AUTH_SITE_URL
        ),
        "code": "123456",
        "email": "someone@example.com",
        "new_email": "new-address@example.com",
    }


def email_previews() -> list[dict[str, str]]:
    previews = []
    for kind in KINDS:
        preview = {"kind": kind, "template": f"auth/{kind}", "error": ""}
        try:
            rendered = render_auth_email(kind, sample_context(kind))
        except (EmailTemplateNotFound, InvalidEmailTemplate) as error:
            preview.update(subject=kind, text="", html="", error=error.message)
        else:
            preview.update(
                subject=rendered.subject, text=rendered.text, html=rendered.html
            )
        previews.append(preview)
    return previews


class EmailTemplates(APIView):
    def get(self, request: Request) -> Response:
        return Response({"templates": email_previews()})
