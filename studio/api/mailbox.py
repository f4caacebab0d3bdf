"""The Mailbox's JSON twin: captured mails listed, read, and deleted."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studio.models import CapturedMail

PAGE_SIZE = 50


def mail_summary(mail: CapturedMail) -> dict[str, Any]:
    return {
        "id": mail.id,
        "from": mail.sender,
        "to": mail.to,
        "subject": mail.subject,
        "sent_at": mail.sent_at.isoformat(),
    }


def mail_detail(mail: CapturedMail) -> dict[str, Any]:
    return mail_summary(mail) | {
        "headers": mail.headers,
        "text_body": mail.text_body,
        "html_body": mail.html_body,
    }


def mail_page(query: str, number: object) -> Any:
    """One page of captured mails, newest first; `query` matches to or subject."""
    mails = CapturedMail.objects.all()
    if query:
        mails = mails.filter(to__icontains=query) | mails.filter(
            subject__icontains=query
        )
    return Paginator(mails.order_by("-sent_at", "-id"), PAGE_SIZE).get_page(number)


class MailList(APIView):
    def get(self, request: Request) -> Response:
        page = mail_page(
            request.query_params.get("q", ""), request.query_params.get("page")
        )
        return Response(
            {
                "mails": [mail_summary(mail) for mail in page],
                "page": page.number,
                "pages": page.paginator.num_pages,
                "total": page.paginator.count,
            }
        )

    def delete(self, request: Request) -> Response:
        deleted, _ = CapturedMail.objects.all().delete()
        return Response({"deleted": deleted})


class MailDetail(APIView):
    def get(self, request: Request, mail_id: int) -> Response:
        return Response(mail_detail(get_object_or_404(CapturedMail, id=mail_id)))

    def delete(self, request: Request, mail_id: int) -> Response:
        get_object_or_404(CapturedMail, id=mail_id).delete()
        return Response(status=204)
