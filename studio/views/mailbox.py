"""The Mailbox page: mails KoyaLite sent with a local email backend."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from studio.api.mailbox import mail_page
from studio.models import CapturedMail
from studio.permissions import operator_required

# Links in a mail's HTML open in a new tab, outside the sandboxed frame.
LINKS_IN_NEW_TAB = '<base target="_blank">'


@operator_required
def mail_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page = mail_page(query, request.GET.get("page"))
    return render(
        request,
        "studio/mailbox.html",
        {"page": page, "query": query, "enabled": settings.MAILBOX_ENABLED},
    )


@operator_required
def mail_detail(request: HttpRequest, mail_id: int) -> HttpResponse:
    mail = get_object_or_404(CapturedMail, id=mail_id)
    srcdoc = LINKS_IN_NEW_TAB + mail.html_body if mail.html_body else ""
    return render(
        request, "studio/mailbox_detail.html", {"mail": mail, "srcdoc": srcdoc}
    )
