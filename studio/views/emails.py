"""The Emails page: the mail log (filters in the query string, resend) and
the email templates (edited with a live preview). Its JSON twin is
`studio.api.emails`."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.mail import KINDS
from emails.errors import EmailNotFound, EmailTemplateNotFound, InvalidEmailTemplate
from emails.models import EmailTemplate, OutgoingEmail
from emails.rendering import render_template
from studio.api.auth_users import sample_context
from studio.api.emails import LogFilters, email_page, find_email, find_template
from studio.permissions import operator_required

TABS = [("Log", "studio:emails"), ("Templates", "studio:emails_templates")]
# Links in a mail's HTML open in a new tab, outside the sandboxed frame.
LINKS_IN_NEW_TAB = '<base target="_blank">'


@operator_required
def log_page(request: HttpRequest) -> HttpResponse:
    filters = LogFilters.from_query(request.GET)
    page = email_page(filters, request.GET.get("page"))
    templates = (
        OutgoingEmail.objects.order_by("template")
        .values_list("template", flat=True)
        .distinct()
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "studio/emails.html",
        {
            "page": page,
            "filters": filters,
            "statuses": OutgoingEmail.Status.choices,
            "templates": list(templates),
            "filter_query": query.urlencode(),
            "tabs": TABS,
            "tab": "studio:emails",
        },
    )


@operator_required
def email_page_detail(request: HttpRequest, email_id: str) -> HttpResponse:
    try:
        email = find_email(email_id)
    except EmailNotFound:
        raise Http404(f"no email {email_id}") from None
    srcdoc = LINKS_IN_NEW_TAB + email.html if email.html else ""
    return render(
        request,
        "studio/email_detail.html",
        {"email": email, "srcdoc": srcdoc, "tabs": TABS, "tab": "studio:emails"},
    )


@operator_required
def templates_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "studio/emails_templates.html",
        {
            "templates": EmailTemplate.objects.order_by("name"),
            "tabs": TABS,
            "tab": "studio:emails_templates",
        },
    )


def sample_for(name: str) -> dict[str, str]:
    """Values to preview a template with: an auth template's own, else a few
    an operator can edit."""
    kind = name.removeprefix("auth/")
    if name.startswith("auth/") and kind in KINDS:
        return sample_context(kind)
    return {"name": "Ada", "email": "someone@example.com"}


@operator_required
def template_page(request: HttpRequest, name: str = "") -> HttpResponse:
    if name:
        try:
            template = find_template(name)
        except EmailTemplateNotFound:
            raise Http404(f"no email template {name}") from None
    else:
        template = EmailTemplate(subject="Hello {{ name }}", html="", text="")
    context = sample_for(name)
    preview: dict[str, str] = {"error": ""}
    try:
        rendered = render_template(
            name or "new", template.subject, template.html, template.text, context
        )
    except InvalidEmailTemplate as error:
        preview["error"] = error.message
    else:
        preview.update(subject=rendered.subject, text=rendered.text, html=rendered.html)
    return render(
        request,
        "studio/email_template.html",
        {
            "template": template,
            "is_new": not name,
            "editor": {
                "name": template.name,
                "is_new": not name,
                "context": context,
            },
            "preview": preview,
            "tabs": TABS,
            "tab": "studio:emails_templates",
        },
    )
