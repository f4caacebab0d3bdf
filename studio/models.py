"""Operators: the accounts of the Studio and the Django admin.

They live apart from `auth.users` (the app's users), as PocketBase keeps
`_superusers` apart from `users`: an operator never signs in through
`/auth/v1`, never appears in the app's user list, and no app user's session
or token can reach `/studio/` or `/admin/`.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone


class OperatorManager(BaseUserManager):
    def create_user(self, email: str, password: str | None = None, **fields):
        operator = self.model(email=self.normalize_email(email), **fields)
        operator.set_password(password)
        operator.save(using=self._db)
        return operator

    # Every operator may do everything: Django's createsuperuser calls this.
    create_superuser = create_user


class Operator(AbstractBaseUser):
    """One person who runs the project: full access to the Studio and admin.

    There are no per-operator permissions: an operator acts as the service
    role, as a Supabase project member with the owner role does.
    """

    email = models.EmailField(unique=True)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Base32 TOTP secret once the operator has confirmed an authenticator app;
    # empty means password-only sign-in.
    totp_secret = models.CharField(max_length=64, blank=True, default="")

    objects = OperatorManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        db_table = "koyalite_operators"
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    # Django admin asks these of request.user.
    @property
    def is_staff(self) -> bool:
        return self.is_active

    @property
    def is_superuser(self) -> bool:
        return self.is_active

    def has_perm(self, perm: str, obj=None) -> bool:
        return self.is_active

    def has_perms(self, perm_list, obj=None) -> bool:
        return self.is_active

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret)


class SqlRun(models.Model):
    """One run of the SQL editor, kept per operator as its history."""

    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="sql_runs"
    )
    sql = models.TextField()
    explain = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "koyalite_studio_sql_runs"
        ordering = ["-created_at", "-id"]


class SqlSnippet(models.Model):
    """A named piece of SQL an operator saved in the SQL editor."""

    operator = models.ForeignKey(
        Operator, on_delete=models.CASCADE, related_name="sql_snippets"
    )
    name = models.CharField(max_length=200)
    sql = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "koyalite_studio_sql_snippets"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "name"], name="studio_snippet_unique_name"
            )
        ]


class CapturedMail(models.Model):
    """A mail KoyaLite sent while a local backend (console, file) was set.

    The Studio's Mailbox reads these, as Supabase's local stack keeps mail in
    Inbucket, so sign-up, invite and recovery links can be followed without a
    real mail server. `studio.mail_capture` writes them and keeps the newest
    `MAILBOX_LIMIT`.
    """

    sender = models.CharField(max_length=998)
    to = models.TextField(help_text="Recipients, comma-separated.")
    subject = models.CharField(max_length=998, blank=True)
    headers = models.JSONField(default=list, help_text="[[name, value], …]")
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "koyalite_captured_mails"
        ordering = ["-sent_at", "-id"]
        verbose_name = "captured mail"

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"


class RequestLog(models.Model):
    """One API request, for the Studio's Logs page: what was asked and how it
    went, never headers, bodies or query strings (they carry keys and tokens).

    Bounded: `studio.request_log` keeps the newest `KOYALITE_REQUEST_LOG_ROWS`.
    Written in batches by a background thread, off the request's path.
    """

    time = models.DateTimeField()
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    status = models.PositiveSmallIntegerField()
    role = models.CharField(max_length=32, blank=True, default="")
    user_id = models.CharField(max_length=64, blank=True, default="")
    duration_ms = models.FloatField()
    request_id = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        db_table = "koyalite_request_log"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"
