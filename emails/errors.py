"""What can go wrong when a mail is asked for (KL6xx)."""

from __future__ import annotations

from koyalite.errors import KoyaError


class EmailTemplateNotFound(KoyaError):
    code = "KL601"

    def __init__(self, name: str) -> None:
        super().__init__(f"email template '{name}' does not exist")


class InvalidEmailTemplate(KoyaError):
    """A template part does not compile, or fails while rendering."""

    code = "KL602"

    def __init__(self, name: str, part: str, cause: str) -> None:
        super().__init__(f"email template '{name}' has an error in its {part}: {cause}")
        self.part = part
        self.cause = cause


class InvalidEmailRequest(KoyaError):
    """The recipient, template name or context of a send is malformed."""

    code = "KL603"


class ServiceRoleRequired(KoyaError):
    status = 403
    code = "42501"

    def __init__(self) -> None:
        super().__init__(
            "sending email requires the service role",
            hint="Call this endpoint from a server with the service_role key.",
        )


class EmailNotFound(KoyaError):
    status = 404
    code = "KL604"

    def __init__(self, email_id: str) -> None:
        super().__init__(f"outgoing email '{email_id}' does not exist")
