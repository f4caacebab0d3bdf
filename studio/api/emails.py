"""The Emails page's JSON twin: the mail log (filtered, resent) and the
templates (listed, created, changed, deleted, previewed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from database.executor import locked_atomic
from emails import services
from emails.errors import (
    EmailNotFound,
    EmailTemplateNotFound,
    InvalidEmailRequest,
    InvalidEmailTemplate,
)
from emails.models import EmailTemplate, OutgoingEmail
from emails.rendering import render_template, validate_template
from koyalite.errors import KoyaError

PAGE_SIZE = 50
NAME_MAX = EmailTemplate._meta.get_field("name").max_length


def error_json(error: KoyaError) -> dict[str, Any]:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    if isinstance(error, InvalidEmailTemplate):
        body["part"] = error.part
    return body


def _failed(error: KoyaError) -> Response:
    return Response(error_json(error), status=error.status)


# ------------------------------------------------------------------ the log


@dataclass(frozen=True, slots=True)
class LogFilters:
    status: str = ""
    template: str = ""
    query: str = ""

    @classmethod
    def from_query(cls, params: QueryDict) -> LogFilters:
        status = params.get("status", "").strip()
        if status not in OutgoingEmail.Status.values:
            status = ""
        return cls(
            status=status,
            template=params.get("template", "").strip(),
            query=params.get("q", "").strip(),
        )

    def apply(self, emails: QuerySet) -> QuerySet:
        if self.status:
            emails = emails.filter(status=self.status)
        if self.template:
            emails = emails.filter(template=self.template)
        if self.query:
            emails = emails.filter(
                Q(to__icontains=self.query) | Q(subject__icontains=self.query)
            )
        return emails


def email_page(filters: LogFilters, number: object) -> Page:
    emails = filters.apply(OutgoingEmail.objects.all()).order_by("-created_at", "-id")
    return Paginator(emails, PAGE_SIZE).get_page(number)


def email_summary(email: OutgoingEmail) -> dict[str, Any]:
    return {
        "id": str(email.id),
        "to": email.to,
        "template": email.template,
        "subject": email.subject,
        "status": email.status,
        "attempts": email.attempts,
        "last_error": email.last_error,
        "created_at": email.created_at.isoformat(),
        "sent_at": email.sent_at.isoformat() if email.sent_at else None,
        "next_attempt_at": (
            email.next_attempt_at.isoformat()
            if email.status == OutgoingEmail.Status.QUEUED
            else None
        ),
    }


def email_detail(email: OutgoingEmail) -> dict[str, Any]:
    return email_summary(email) | {
        "from": email.from_email,
        "provider_message_id": email.provider_message_id,
        "text": email.text,
        "html": email.html,
    }


def find_email(email_id: str) -> OutgoingEmail:
    try:
        found = OutgoingEmail.objects.filter(pk=email_id).first()
    except ValidationError:  # not a UUID
        found = None
    if found is None:
        raise EmailNotFound(email_id)
    return found


class EmailList(APIView):
    def get(self, request: Request) -> Response:
        filters = LogFilters.from_query(request.query_params)
        page = email_page(filters, request.query_params.get("page"))
        return Response(
            {
                "emails": [email_summary(email) for email in page],
                "page": page.number,
                "pages": page.paginator.num_pages,
                "total": page.paginator.count,
            }
        )


class EmailDetail(APIView):
    def get(self, request: Request, email_id: str) -> Response:
        try:
            return Response(email_detail(find_email(email_id)))
        except EmailNotFound as error:
            return _failed(error)


class EmailResend(APIView):
    def post(self, request: Request, email_id: str) -> Response:
        try:
            with transaction.atomic():
                email = services.resend(find_email(email_id).id)
        except EmailNotFound as error:
            return _failed(error)
        return Response({"id": str(email.id)}, status=202)


# ------------------------------------------------------------- templates


def template_json(template: EmailTemplate) -> dict[str, Any]:
    return {
        "name": template.name,
        "subject": template.subject,
        "html": template.html,
        "text": template.text,
        "updated_at": template.updated_at.isoformat(),
    }


def template_fields(data: object, *, name: str | None = None) -> dict[str, str]:
    """The template in a request body, checked: it compiles, its name is sane."""
    if not isinstance(data, dict):
        raise InvalidEmailRequest("the body must be a JSON object")
    fields = {}
    for field in ("name", "subject", "html", "text"):
        value = data.get(field, "") if name is None or field != "name" else name
        if not isinstance(value, str):
            raise InvalidEmailRequest(f"'{field}' must be text")
        fields[field] = value
    fields["name"] = fields["name"].strip()
    if not fields["name"] or len(fields["name"]) > NAME_MAX:
        raise InvalidEmailRequest(f"'name' must be 1 to {NAME_MAX} characters")
    if any(c.isspace() for c in fields["name"]):
        raise InvalidEmailRequest("'name' cannot contain spaces")
    if fields["name"].startswith("/") or fields["name"].endswith("/"):
        raise InvalidEmailRequest("'name' cannot start or end with '/'")
    if not fields["subject"].strip():
        raise InvalidEmailRequest("'subject' cannot be empty")
    validate_template(fields["name"], fields["subject"], fields["html"], fields["text"])
    return fields


def find_template(name: str) -> EmailTemplate:
    found = EmailTemplate.objects.filter(name=name).first()
    if found is None:
        raise EmailTemplateNotFound(name)
    return found


class TemplateList(APIView):
    def get(self, request: Request) -> Response:
        templates = EmailTemplate.objects.order_by("name")
        return Response({"templates": [template_json(t) for t in templates]})

    def post(self, request: Request) -> Response:
        try:
            fields = template_fields(request.data)
            with locked_atomic():
                template = EmailTemplate.objects.create(**fields)
        except KoyaError as error:
            return _failed(error)
        except IntegrityError:
            error = InvalidEmailRequest(
                f"an email template named '{request.data['name']}' already exists"
            )
            return _failed(error)
        return Response(template_json(template), status=201)


class TemplateDetail(APIView):
    def get(self, request: Request, name: str) -> Response:
        try:
            return Response(template_json(find_template(name)))
        except EmailTemplateNotFound as error:
            return _failed(error)

    def put(self, request: Request, name: str) -> Response:
        try:
            template = find_template(name)
            fields = template_fields(request.data, name=name)
            with locked_atomic():
                for field in ("subject", "html", "text"):
                    setattr(template, field, fields[field])
                template.save()
        except KoyaError as error:
            return _failed(error)
        return Response(template_json(template))

    def delete(self, request: Request, name: str) -> Response:
        try:
            template = find_template(name)
        except EmailTemplateNotFound as error:
            return _failed(error)
        with locked_atomic():
            template.delete()
        return Response(status=204)


class Preview(APIView):
    """Render a template as it is being edited, with the operator's sample
    context; errors come back as data, the editor shows them."""

    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        try:
            context = services.validate_context(data.get("context", {}))
            parts = {}
            for field in ("subject", "html", "text"):
                value = data.get(field, "")
                if not isinstance(value, str):
                    raise InvalidEmailRequest(f"'{field}' must be text")
                parts[field] = value
            name = str(data.get("name") or "preview")
            rendered = render_template(
                name, parts["subject"], parts["html"], parts["text"], context
            )
        except KoyaError as error:
            return Response({"ok": False, "error": error_json(error)})
        return Response(
            {
                "ok": True,
                "subject": rendered.subject,
                "html": rendered.html,
                "text": rendered.text,
            }
        )
