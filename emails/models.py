"""Email templates and the mails sent from them.

A template is Django template syntax in three parts (subject, HTML, text),
stored in the database so the Studio can edit it. An outgoing mail keeps what
was rendered when it was queued: a later edit of its template never changes a
mail already on its way, and the log shows exactly what was sent.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class EmailTemplate(models.Model):
    name = models.CharField(max_length=100, unique=True)
    subject = models.CharField(max_length=998)
    html = models.TextField(blank=True, default="")
    text = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "emails_templates"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OutgoingEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"  # waiting for its next attempt
        SENDING = "sending"  # an attempt is under way
        SENT = "sent"
        FAILED = "failed"  # refused for good, or out of attempts

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    to = models.EmailField(max_length=254)
    from_email = models.CharField(max_length=320)
    # The template's name, not a key: deleting a template keeps its mails' log.
    template = models.CharField(max_length=100)
    subject = models.CharField(max_length=998)
    text = models.TextField(blank=True, default="")
    html = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=7, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A queued or sending mail whose lease passed is taken up again: the
    # process trying it died.
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    provider_message_id = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "emails_outgoing"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name = "outgoing email"

    def __str__(self) -> str:
        return f"{self.template} to {self.to}"
