"""Refresh-token chains: rotation keeps only the newest live, and forgets
tokens rotated more than a day ago."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import sessions
from accounts.errors import RefreshTokenAlreadyUsed, RefreshTokenNotFound
from accounts.models import RefreshToken, User

pytestmark = pytest.mark.django_db(transaction=True)


def chain(count: int) -> tuple[str, list[str], str]:
    user = User.objects.create_user(email="chain@example.com", password="x" * 12)
    issued = sessions.start_session(user, "password")
    presented = [issued.refresh_token]
    for _ in range(count):
        presented.append(sessions.refresh_session(presented[-1]).refresh_token)
    session_id = RefreshToken.objects.get(
        token_hash=sessions.token_hash(presented[-1])
    ).session_id
    return str(session_id), presented, presented[-1]


def test_tokens_rotated_over_a_day_ago_are_forgotten(monkeypatch) -> None:
    monkeypatch.setattr(sessions, "FORGET_EVERY", 1)
    session_id, presented, live = chain(5)
    tokens = RefreshToken.objects.filter(session_id=session_id).order_by("id")
    assert tokens.count() == 6
    # The first three were issued (and the first two rotated) two days ago.
    old = [t.pk for t in tokens[:3]]
    RefreshToken.objects.filter(pk__in=old).update(
        created_at=timezone.now() - timedelta(days=2)
    )

    live = sessions.refresh_session(live).refresh_token

    kept = list(RefreshToken.objects.filter(session_id=session_id).order_by("id"))
    assert [t.pk for t in kept][:1] == [old[2]]  # the first two are gone
    assert len(kept) == 5
    with pytest.raises(RefreshTokenNotFound):
        sessions.refresh_session(presented[0])
    assert sessions.refresh_session(live).refresh_token  # the chain goes on


def test_a_recent_rotated_token_replayed_late_still_ends_the_session(
    settings,
) -> None:
    settings.AUTH_REFRESH_REUSE_INTERVAL = 0
    session_id, presented, live = chain(2)
    with pytest.raises(RefreshTokenAlreadyUsed):
        sessions.refresh_session(presented[0])
    assert not RefreshToken.objects.filter(session_id=session_id).exists()
    with pytest.raises(RefreshTokenNotFound):
        sessions.refresh_session(live)


def test_the_sweep_runs_on_every_nth_token_only(monkeypatch) -> None:
    monkeypatch.setattr(sessions, "FORGET_EVERY", 4)
    session_id, _, live = chain(1)
    RefreshToken.objects.filter(session_id=session_id).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    for _ in range(4):
        live = sessions.refresh_session(live).refresh_token
    # Exactly one sweep ran in those four refreshes and dropped the old ones.
    assert (
        RefreshToken.objects.filter(
            session_id=session_id, created_at__lt=timezone.now() - timedelta(days=1)
        ).count()
        <= 1
    )
    assert RefreshToken.objects.filter(session_id=session_id).count() <= 5
