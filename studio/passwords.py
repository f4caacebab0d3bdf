"""How strong an operator's password must be: Django's four validators
(OPERATOR_PASSWORD_VALIDATORS), not the app users' GoTrue rules."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError


def validate_operator_password(password: str, operator=None) -> None:
    """Raise ValidationError with every reason the password is too weak."""
    password_validation.validate_password(
        password,
        operator,
        password_validation.get_password_validators(
            settings.OPERATOR_PASSWORD_VALIDATORS
        ),
    )


class OperatorPasswordMixin:
    """For Django's password forms: check with the operators' validators, and
    say what they ask for."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        help_text = password_validation.password_validators_help_text_html(
            password_validation.get_password_validators(
                settings.OPERATOR_PASSWORD_VALIDATORS
            )
        )
        for name in ("new_password1", "password1"):
            if name in self.fields:
                self.fields[name].help_text = help_text

    def validate_password_for_user(self, user, password_field_name="password2"):
        password = self.cleaned_data.get(password_field_name)
        if password:
            try:
                validate_operator_password(password, user)
            except ValidationError as error:
                self.add_error(password_field_name, error)


class OperatorPasswordChangeForm(OperatorPasswordMixin, PasswordChangeForm):
    pass
