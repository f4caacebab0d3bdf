"""The Django admin's page for users: list, search, ban, unban, confirm, delete.

Every change with a rule behind it goes through `accounts.admin_users`, the
functions the `/auth/v1/admin/users` API calls.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import admin_users
from accounts.errors import AuthApiError
from accounts.models import User
from accounts.services import normalize_email


class UserChangeForm(forms.ModelForm):
    class Meta:
        model = User
        fields = (
            "email",
            "is_active",
            "raw_user_meta_data",
            "raw_app_meta_data",
        )

    def clean_email(self) -> str | None:
        email = self.cleaned_data.get("email")
        if not email:
            return None  # NULL, not "": many users may have no email
        try:
            return normalize_email(email)
        except AuthApiError as error:
            raise ValidationError(error.message) from None


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    form = UserChangeForm
    list_display = (
        "email",
        "created_at",
        "email_confirmed_at",
        "banned_until",
    )
    list_filter = ("is_anonymous_user",)
    search_fields = ("email",)
    ordering = ("-created_at",)
    readonly_fields = (
        "id",
        "phone",
        "is_anonymous_user",
        "email_confirmed_at",
        "confirmation_sent_at",
        "banned_until",
        "last_login",
        "created_at",
        "updated_at",
    )
    actions = ("ban_for_24_hours", "unban", "confirm_email")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A user needs a password or hash that passes the API's rules and,
        # usually, a confirmation mail; create users through sign-up or
        # POST /auth/v1/admin/users.
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], bool]:
        results, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        # Django's UUID lookups strip dashes from the term, but ids are stored
        # dashed; an exact match on the parsed id finds the user.
        try:
            user_id = uuid.UUID(search_term.strip())
        except ValueError:
            return results, may_have_duplicates
        return results | queryset.filter(pk=user_id), may_have_duplicates

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        self._delete(request, [obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        self._delete(request, list(queryset))

    def _delete(self, request: HttpRequest, users: list[User]) -> None:
        for user in users:
            try:
                admin_users.delete_user(str(user.pk))
            except AuthApiError as error:
                self.message_user(request, f"{user}: {error.message}", messages.ERROR)

    @admin.action(description="Ban for 24 hours")
    def ban_for_24_hours(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            admin_users.ban_user(user, timedelta(hours=24))
        self.message_user(request, f"Banned {len(queryset)} user(s) for 24 hours.")

    @admin.action(description="Unban")
    def unban(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            admin_users.ban_user(user, timedelta(0))
        self.message_user(request, f"Unbanned {len(queryset)} user(s).")

    @admin.action(description="Confirm email")
    def confirm_email(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            admin_users.confirm_email(user)
        self.message_user(request, f"Confirmed the email of {len(queryset)} user(s).")


# allauth is KoyaLite's OAuth provider catalogue only: providers are enabled in
# .env (accounts.catalogue) and identities live in KoyaLite's own table, so
# allauth's pages for apps, accounts, tokens and addresses would show nothing
# true and configure nothing.
for _model in (EmailAddress, EmailConfirmation, SocialAccount, SocialApp, SocialToken):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
