"""Who may call the Studio's JSON endpoints: signed-in, active operators."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from studio.models import Operator


class IsOperator(BasePermission):
    message = "Sign in to the Studio as an operator."

    def has_permission(self, request, view) -> bool:
        return is_operator(getattr(request, "user", None))


def is_operator(user) -> bool:
    return isinstance(user, Operator) and user.is_active


def operator_required(view):
    """For page views: an operator's session, or the sign-in page."""
    from django.contrib.auth.decorators import user_passes_test

    return user_passes_test(is_operator)(view)
