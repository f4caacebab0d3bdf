"""The admin's page for operators: list, add, deactivate, set a password.

Passwords are checked by OPERATOR_PASSWORD_VALIDATORS (`studio.passwords`),
not the app users' GoTrue rules. There are no per-operator permissions, so
the form has no groups or flags beyond `is_active`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, BaseUserCreationForm
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest

from studio.models import Operator
from studio.passwords import OperatorPasswordMixin


class OperatorCreationForm(OperatorPasswordMixin, BaseUserCreationForm):
    class Meta:
        model = Operator
        fields = ("email",)


class OperatorSetPasswordForm(OperatorPasswordMixin, AdminPasswordChangeForm):
    pass


class OperatorChangeForm(forms.ModelForm):
    class Meta:
        model = Operator
        fields = ("email", "is_active")


@admin.register(Operator)
class OperatorAdmin(UserAdmin):
    form = OperatorChangeForm
    add_form = OperatorCreationForm
    change_password_form = OperatorSetPasswordForm
    list_display = ("email", "is_active", "has_totp", "date_joined", "last_login")
    list_filter = ("is_active",)
    search_fields = ("email",)
    ordering = ("email",)
    filter_horizontal = ()
    readonly_fields = ("date_joined", "last_login", "has_totp")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Status", {"fields": ("is_active", "has_totp", "date_joined", "last_login")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "password1", "password2"),
            },
        ),
    )
    actions = ("deactivate", "activate")

    @admin.display(boolean=True, description="Authenticator app")
    def has_totp(self, operator: Operator) -> bool:
        return operator.has_totp

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Deactivate instead: log entries and audit trails keep the operator.
        return False

    @admin.action(description="Deactivate selected operators")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Operator]) -> None:
        others = queryset.exclude(pk=request.user.pk)
        if others.count() != queryset.count():
            self.message_user(
                request, "You cannot deactivate yourself.", messages.WARNING
            )
        count = others.update(is_active=False)
        self.message_user(request, f"Deactivated {count} operator(s).")

    @admin.action(description="Activate selected operators")
    def activate(self, request: HttpRequest, queryset: QuerySet[Operator]) -> None:
        count = queryset.update(is_active=True)
        self.message_user(request, f"Activated {count} operator(s).")


# Operators have no per-operator permissions (studio.models.Operator), so
# groups would configure nothing.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)
