"""Password strength, as GoTrue judges it, through Django's validators.

GoTrue refuses a weak password with `weak_password` and the reasons:
`length` (shorter than the minimum), `characters` (a required kind of
character missing) and `pwned` (known from breaches). Each is a Django
password validator here (AUTH_PASSWORD_VALIDATORS, built in settings); the
reason comes from the validator's error code. `pwned` checks Django's list of
20,000 common passwords, offline, rather than a breach service.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from accounts.errors import ValidationFailed, WeakPassword

# GoTrue's MaxPasswordLength (bcrypt reads no further), in UTF-8 bytes as Go
# counts them: a password GoTrue refuses is refused here too.
MAX_PASSWORD_BYTES = 72
# Django's error codes (and this module's) → GoTrue's reasons.
_REASONS = {
    "password_too_short": "length",
    "password_missing_characters": "characters",
    "password_too_common": "pwned",
}


class RequiredCharactersValidator:
    """At least one character of each group, as GoTrue's
    PASSWORD_REQUIRED_CHARACTERS (e.g. lower case, upper case, digits)."""

    def __init__(self, groups: list[str]) -> None:
        self.groups = groups

    def validate(self, password: str, user=None) -> None:
        if any(not set(group) & set(password) for group in self.groups):
            raise ValidationError(
                self.get_help_text(), code="password_missing_characters"
            )

    def get_help_text(self) -> str:
        kinds = ", ".join(_describe(group) for group in self.groups)
        return f"Password should contain at least one character of each: {kinds}."


def _describe(group: str) -> str:
    return group if len(group) <= 12 else f"{group[:10]}…"


def validate_password(password: object) -> str:
    """`password` if it is strong enough, else 422 `weak_password` with reasons."""
    if not isinstance(password, str) or not password:
        raise ValidationFailed("Password is required")
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ValidationFailed(
            f"Password cannot be longer than {MAX_PASSWORD_BYTES} characters"
        )
    try:
        password_validation.validate_password(password)
    except ValidationError as error:
        problems = error.error_list
        reasons = sorted({_REASONS.get(e.code, "characters") for e in problems})
        raise WeakPassword(reasons, " ".join(_message(e) for e in problems)) from None
    return password


def _message(error: ValidationError) -> str:
    if error.code == "password_too_short":  # GoTrue's words
        minimum = error.params["min_length"]
        return f"Password should be at least {minimum} characters."
    if error.code == "password_too_common":
        return "Password is known to be weak and easy to guess, please choose a different one."
    return " ".join(error.messages)
