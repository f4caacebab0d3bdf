"""KoyaLite's user table, `auth.users` in the SQL users write."""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

from accounts.fields import DashedUUIDField


class KoyaUserManager(BaseUserManager):
    def create_user(self, email=None, password=None, **extra_fields):
        email = self.normalize_email(email) if email else None
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """An app user. Operators of the Studio and admin are `studio.Operator`.

    The primary key is the canonical dashed UUID everywhere: in this table, in the
    JWT `sub`, in `auth.uid()` and in user tables that reference `auth.users(id)`.
    """

    id = DashedUUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True, null=True, blank=True)
    phone = models.CharField(max_length=32, unique=True, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_anonymous_user = models.BooleanField(default=False)
    raw_app_meta_data = models.JSONField(default=dict, blank=True)
    raw_user_meta_data = models.JSONField(default=dict, blank=True)
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    new_email = models.EmailField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    email_change_sent_at = models.DateTimeField(null=True, blank=True)
    banned_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = KoyaUserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        db_table = "auth_users"

    def __str__(self) -> str:
        return self.email or self.phone or str(self.id)


class Session(models.Model):
    """A signed-in device: the `session_id` claim of its access tokens."""

    id = DashedUUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    aal = models.CharField(max_length=8, default="aal1")
    amr = models.JSONField(default=list)
    user_agent = models.TextField(blank=True, default="")
    ip = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    # When it was last refreshed is its newest refresh token's created_at.

    class Meta:
        db_table = "auth_sessions"

    def __str__(self) -> str:
        return f"session {self.id} of {self.user_id}"


class RefreshToken(models.Model):
    """One link of a session's refresh-token chain; only its hash is stored.

    Only the newest token of a session is live: each refresh adds a child of
    the presented token, which revokes it. Presenting a revoked token again
    (outside a short grace interval) revokes the whole session, since only a
    stolen copy would be replayed.
    """

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="refresh_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    parent_hash = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "auth_refresh_tokens"

    def __str__(self) -> str:
        return f"refresh token {self.pk} of session {self.session_id}"


class OneTimeToken(models.Model):
    """A token mailed to a user (confirm sign-up, recover, ...); stored hashed."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation"
        MAGIC_LINK = "magic_link"
        RECOVERY = "recovery"
        # An email change is confirmed from both addresses, as GoTrue's
        # secure email change does.
        EMAIL_CHANGE_CURRENT = "email_change_current"
        EMAIL_CHANGE_NEW = "email_change_new"
        INVITE = "invite"
        REAUTHENTICATION = "reauthentication"

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="one_time_tokens"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)  # the link's token
    code_hash = models.CharField(max_length=64, default="")  # the 6-digit code
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    # PKCE: the app's code challenge; the link then yields an auth code.
    code_challenge = models.CharField(max_length=128, blank=True, default="")
    code_challenge_method = models.CharField(max_length=8, blank=True, default="")
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "auth_one_time_tokens"
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="one_token_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} token of {self.user_id}"


class RateLimitWindow(models.Model):
    """Requests counted for one (bucket, key) in the current fixed window."""

    bucket = models.CharField(max_length=32)
    key = models.CharField(max_length=255)
    window_start = models.BigIntegerField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "auth_rate_limits"
        constraints = [
            models.UniqueConstraint(fields=["bucket", "key"], name="one_window_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.bucket}:{self.key}"


class FlowState(models.Model):
    """An issued PKCE auth code, waiting to be exchanged for a session."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="flow_states")
    auth_code_hash = models.CharField(max_length=64, unique=True)
    code_challenge = models.CharField(max_length=128)
    code_challenge_method = models.CharField(max_length=8)
    authentication_method = models.CharField(max_length=32)
    # An OAuth provider's tokens, handed to the app once with the session (as
    # GoTrue's `provider_token`); the row lives minutes and is deleted on use.
    provider_access_token = models.TextField(blank=True, default="")
    provider_refresh_token = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "auth_flow_states"

    def __str__(self) -> str:
        return f"flow of {self.user_id}"


class Factor(models.Model):
    """An MFA factor: a TOTP authenticator app enrolled by the user."""

    class Status(models.TextChoices):
        UNVERIFIED = "unverified"
        VERIFIED = "verified"

    id = DashedUUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="factors")
    friendly_name = models.CharField(max_length=120, blank=True, default="")
    factor_type = models.CharField(max_length=16, default="totp")
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.UNVERIFIED
    )
    secret = models.CharField(max_length=64)
    # The last accepted TOTP time step: a code is good once, not for its window.
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "auth_mfa_factors"

    def __str__(self) -> str:
        return f"{self.factor_type} factor of {self.user_id}"


class Challenge(models.Model):
    id = DashedUUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    factor = models.ForeignKey(
        Factor, on_delete=models.CASCADE, related_name="challenges"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "auth_mfa_challenges"

    def __str__(self) -> str:
        return f"challenge {self.id}"


class Identity(models.Model):
    """A sign-in provider account (GitHub, Google, OpenID Connect) of a user."""

    id = DashedUUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identities")
    provider = models.CharField(max_length=64)
    provider_id = models.CharField(max_length=255)
    identity_data = models.JSONField(default=dict)
    email = models.EmailField(null=True, blank=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "auth_identities"
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_id"], name="one_identity_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} identity of {self.user_id}"
