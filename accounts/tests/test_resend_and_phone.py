"""`/resend` for email changes, and the answers to phone and SAML sign-in,
which KoyaLite does not offer (as a GoTrue with those providers off)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from accounts import services
from accounts.errors import (
    OverEmailSendRateLimit,
    PhoneLoginsDisabled,
    PhoneProviderDisabled,
    ValidationFailed,
)
from accounts.models import OneTimeToken, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def changing(settings) -> User:
    settings.AUTH_EMAIL_INTERVAL = 0
    user = User.objects.create_user(
        email="old@example.com", password="x" * 12, email_confirmed_at=timezone.now()
    )
    services.update_user(user, {"email": "new@example.com"})
    return user


def test_resend_mails_both_addresses_of_a_pending_change(
    changing, django_capture_on_commit_callbacks
) -> None:
    mail.outbox.clear()

    # Mail leaves when the request's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        services.resend({"type": "email_change", "email": "old@example.com"}, None)

    assert sorted(m.to[0] for m in mail.outbox) == [
        "new@example.com",
        "old@example.com",
    ]
    assert OneTimeToken.objects.filter(user=changing).count() == 2


def test_resend_without_a_pending_change_sends_nothing(
    changing, django_capture_on_commit_callbacks
) -> None:
    User.objects.filter(pk=changing.pk).update(new_email=None)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.resend({"type": "email_change", "email": "old@example.com"}, None)
        services.resend({"type": "email_change", "email": "nobody@example.com"}, None)

    assert mail.outbox == []


def test_resend_keeps_the_mail_interval(changing, settings) -> None:
    settings.AUTH_EMAIL_INTERVAL = 60
    with pytest.raises(OverEmailSendRateLimit):
        services.resend({"type": "email_change", "email": "old@example.com"}, None)


def test_resend_names_the_types_it_knows() -> None:
    with pytest.raises(ValidationFailed) as error:
        services.resend({"type": "recovery", "email": "a@example.com"}, None)
    assert "signup, email_change, sms, phone_change" in error.value.message


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: services.sign_up(
                {"phone": "+15555550100", "password": "x" * 12}, None
            ),
            PhoneProviderDisabled,
            "Phone signups are disabled",
        ),
        (
            lambda: services.sign_in_with_password(
                {"phone": "+15555550100", "password": "x" * 12}
            ),
            PhoneLoginsDisabled,
            "Phone logins are disabled",
        ),
        (
            lambda: services.send_one_time_code({"phone": "+15555550100"}, None),
            PhoneProviderDisabled,
            "Unsupported phone provider",
        ),
        (
            lambda: services.resend({"type": "sms", "phone": "+15555550100"}, None),
            PhoneProviderDisabled,
            "Phone logins are disabled",
        ),
    ],
)
def test_phone_sign_in_answers_as_a_gotrue_without_sms(call, error, message) -> None:
    with pytest.raises(error) as raised:
        call()
    assert raised.value.message == message
    assert raised.value.error_code == "phone_provider_disabled"
    assert not User.objects.filter(phone="+15555550100").exists()
