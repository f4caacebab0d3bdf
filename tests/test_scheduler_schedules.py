"""Cron schedules step in the job's time zone, across daylight saving changes,
as Vixie cron does; bad schedules are refused with what is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from database.errors import SqlScriptError
from database.sqlscript import split_statements, translate_statement
from database.sqlscript.cron import CronCall
from scheduler.errors import InvalidJob, InvalidSchedule
from scheduler.schedules import parse_schedule, upcoming

NEW_YORK = "America/New_York"


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_every_five_minutes_in_utc():
    slots = upcoming("*/5 * * * *", "UTC", at(2026, 1, 10, 12, 3, 20), 3)

    assert slots == [
        at(2026, 1, 10, 12, 5),
        at(2026, 1, 10, 12, 10),
        at(2026, 1, 10, 12, 15),
    ]


def test_wall_clock_slot_follows_the_zone_in_summer_and_winter():
    winter = upcoming("0 9 * * *", "Europe/Paris", at(2026, 1, 10, 0, 0), 1)
    summer = upcoming("0 9 * * *", "Europe/Paris", at(2026, 7, 10, 0, 0), 1)

    assert winter == [at(2026, 1, 10, 8, 0)]  # UTC+1
    assert summer == [at(2026, 7, 10, 7, 0)]  # UTC+2


def test_slot_in_the_skipped_hour_runs_when_the_clock_jumps():
    # 2026-03-08: New York's clocks go from 02:00 EST to 03:00 EDT.
    slots = upcoming("30 2 * * *", NEW_YORK, at(2026, 3, 7, 12, 0), 3)

    assert slots == [
        at(2026, 3, 8, 7, 0),  # 03:00 EDT, the moment 02:30 would have been
        at(2026, 3, 9, 6, 30),  # 02:30 EDT
        at(2026, 3, 10, 6, 30),
    ]


def test_slot_in_the_repeated_hour_runs_once():
    # 2026-11-01: 01:00-02:00 happens twice in New York (EDT, then EST).
    slots = upcoming("30 1 * * *", NEW_YORK, at(2026, 11, 1, 4, 0), 2)

    assert slots == [at(2026, 11, 1, 5, 30), at(2026, 11, 2, 6, 30)]


def test_every_hour_job_runs_in_both_copies_of_the_repeated_hour():
    slots = upcoming("*/30 * * * *", NEW_YORK, at(2026, 11, 1, 4, 50), 5)

    assert slots == [
        at(2026, 11, 1, 5, 0),  # 01:00 EDT
        at(2026, 11, 1, 5, 30),
        at(2026, 11, 1, 6, 0),  # 01:00 EST
        at(2026, 11, 1, 6, 30),
        at(2026, 11, 1, 7, 0),  # 02:00 EST
    ]


def test_interval_keeps_its_phase_and_skips_missed_slots():
    schedule = parse_schedule("10 seconds")
    previous = at(2026, 1, 1, 0, 0, 0)

    on_time = schedule.following(previous, previous + timedelta(seconds=1), "UTC")
    after_downtime = schedule.following(previous, at(2026, 1, 1, 1, 0, 0), "UTC")

    assert on_time == at(2026, 1, 1, 0, 0, 10)
    assert after_downtime == at(2026, 1, 1, 1, 0, 10)


def test_cron_after_downtime_gives_the_next_future_slot_only():
    slots = upcoming("0 * * * *", "UTC", at(2026, 1, 1, 5, 59, 59), 1)

    assert slots == [at(2026, 1, 1, 6, 0)]


@pytest.mark.parametrize(
    ("schedule", "reason"),
    [
        ("61 * * * *", "out of range"),
        ("* * * *", "has 5 fields, this has 4"),
        ("* * * * * *", "has 5 fields, this has 6"),
        ("@hourly", "has 5 fields, this has 1"),
        ("0 seconds", "1 to 59 seconds"),
        ("60 seconds", "1 to 59 seconds"),
        ("* * * * mon;", "a character cron does not take"),
        ("", "has 5 fields, this has 0"),
    ],
)
def test_bad_schedules_are_refused_with_the_reason(schedule, reason):
    with pytest.raises(InvalidSchedule) as raised:
        parse_schedule(schedule)

    assert raised.value.message.startswith(f"invalid schedule: {schedule!r}")
    assert reason in raised.value.message


def test_unknown_time_zone_is_refused():
    with pytest.raises(InvalidJob, match="unknown time zone 'Mars/Olympus'"):
        upcoming("* * * * *", "Mars/Olympus", at(2026, 1, 1), 1)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_parsing_any_schedule_raises_only_invalid_schedule(text):
    try:
        parsed = parse_schedule(text)
    except InvalidSchedule:
        return
    assert parsed.following(None, at(2026, 1, 1), "UTC") > at(2026, 1, 1)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["schedule", "unschedule", "alter_job", "nope"]),
    st.text(max_size=40),
)
def test_reading_any_cron_call_raises_only_script_errors(function, arguments):
    first = split_statements(f"select cron.{function}({arguments})")[0]

    try:
        translation = translate_statement(first)
    except SqlScriptError as error:
        assert error.message.startswith("statement 1 (line 1): ")
        return
    assert translation.cron_call is not None
    assert translation.cron_call.function == function


def test_cron_call_arguments_are_read_as_literals():
    (statement,) = split_statements(
        "select cron.alter_job(job_id := 3, command => $b$ it's; $b$, "
        "active := false, schedule := '5 * * * *'::text)"
    )

    call = translate_statement(statement).cron_call

    assert call == CronCall(
        "alter_job",
        (),
        (
            ("job_id", 3),
            ("command", " it's; "),
            ("active", False),
            ("schedule", "5 * * * *"),
        ),
    )
