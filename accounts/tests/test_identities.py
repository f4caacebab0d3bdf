"""Linking an identity, however it is asked for, needs manual linking on."""

from __future__ import annotations

import pytest

from accounts import identities
from accounts.errors import ManualLinkingDisabled
from accounts.models import Identity, User

pytestmark = pytest.mark.django_db


def test_link_refuses_while_manual_linking_is_off(settings) -> None:
    settings.AUTH_MANUAL_LINKING = False
    user = User.objects.create_user(email="a@example.com", password="x" * 12)

    with pytest.raises(ManualLinkingDisabled):
        identities.link(str(user.pk), "github", {"sub": "42"})

    assert not Identity.objects.exists()


def test_link_attaches_the_account_when_on(settings) -> None:
    settings.AUTH_MANUAL_LINKING = True
    user = User.objects.create_user(email="a@example.com", password="x" * 12)

    identities.link(str(user.pk), "github", {"sub": "42", "email": "a@example.com"})

    assert Identity.objects.get().user_id == user.pk
