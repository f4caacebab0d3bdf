"""When a job runs: pg_cron's schedules, read and stepped in a time zone.

Two forms, as pg_cron takes them: five cron fields (minute hour day-of-month
month day-of-week, stepped by croniter in the job's IANA zone) and an interval
of 1 to 59 seconds ('30 seconds'). Slots are wall-clock times of the zone:
'0 9 * * *' in Europe/Paris runs at 09:00 Paris time, summer and winter.

Across daylight saving changes, as Vixie cron (whose parser pg_cron uses): a
slot in the skipped hour runs when the clock jumps; a slot in the repeated
hour runs once, unless the hour field is '*', whose job runs every hour that
passes, the repeated one included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

from scheduler.errors import InvalidJob, InvalidSchedule

_INTERVAL = re.compile(r"\s*(\d+)\s+seconds?\s*", re.IGNORECASE)
# croniter takes 6 and 7 fields (seconds, years) and @-words; pg_cron does not.
_FIELD = re.compile(r"[0-9A-Za-z*/,\-]+")


@dataclass(frozen=True, slots=True)
class Schedule:
    text: str
    interval: timedelta | None = None  # for '30 seconds'
    cron: str | None = None  # the five fields, single-spaced

    def following(
        self, previous: datetime | None, now: datetime, zone: str
    ) -> datetime:
        """The first slot after `now`; an interval keeps the phase of `previous`
        (the slot just run), so a 10-second job does not drift."""
        if self.interval is not None:
            if previous is None or previous + self.interval <= now:
                return now + self.interval
            return previous + self.interval
        return next_cron_slot(self.cron or "", now, zone)


def parse_schedule(text: str) -> Schedule:
    """Read a schedule; `InvalidSchedule` naming what is wrong."""
    text = (text or "").strip()
    interval = _INTERVAL.fullmatch(text)
    if interval is not None:
        seconds = int(interval.group(1))
        if not 1 <= seconds <= 59:
            raise InvalidSchedule(text, "an interval takes 1 to 59 seconds")
        return Schedule(text, interval=timedelta(seconds=seconds))
    fields = text.split()
    if len(fields) != 5:
        raise InvalidSchedule(
            text, f"a cron schedule has 5 fields, this has {len(fields)}"
        )
    if not all(_FIELD.fullmatch(field) for field in fields):
        raise InvalidSchedule(text, "a field holds a character cron does not take")
    cron = " ".join(fields)
    try:
        croniter(cron)
    except (CroniterError, ValueError) as error:
        raise InvalidSchedule(text, str(error).removeprefix(f"[{cron}] ")) from None
    return Schedule(text, cron=cron)


def zone_info(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidJob(f"unknown time zone {name!r}; use an IANA name") from None


def next_cron_slot(cron: str, after: datetime, zone: str) -> datetime:
    """The first slot of `cron` after `after` in `zone`, as an aware UTC datetime."""
    tz = zone_info(zone)
    steps = croniter(cron, after.astimezone(tz))
    every_hour = cron.split()[1] == "*"
    while True:
        slot = steps.get_next(datetime)
        if every_hour or not _is_repeat(slot, tz):
            return slot.astimezone(UTC)


def _is_repeat(slot: datetime, tz: ZoneInfo) -> bool:
    """Whether `slot` is the second time its wall-clock time comes round
    (the hour a daylight saving change repeats)."""
    wall = slot.replace(tzinfo=None)
    first = wall.replace(tzinfo=tz, fold=0)
    # Same-zone comparisons look at wall time only; compare the instants.
    return first.astimezone(UTC) < slot.astimezone(UTC)


def upcoming(schedule: str, zone: str, after: datetime, count: int) -> list[datetime]:
    """The next `count` slots after `after` (UTC), for showing a schedule."""
    parsed = parse_schedule(schedule)
    slots: list[datetime] = []
    previous = None
    moment = after
    for _ in range(count):
        slot = parsed.following(previous, moment, zone)
        slots.append(slot)
        previous = moment = slot
    return slots
