"""Program-local time: days, months, campaign windows and recurrences in the program's time zone.

Pure functions of their arguments. A campaign "on Wednesday" in Asia/Shanghai runs from
Tuesday 16:00 UTC; bounds written without an offset are program-local wall-clock times.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from loyalty.errors import OccurredInTheFutureError
from loyalty.models.program import Recurrence

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# The time zones' horizon: local time runs from UTC-12 to UTC+14, so at any instant the dates in
# use somewhere on Earth run from `earliest_local_date` to `latest_local_date`.
BEHIND_UTC, AHEAD_OF_UTC = timedelta(hours=12), timedelta(hours=14)


MAX_CLOCK_SKEW = timedelta(minutes=5)  # how far ahead of our clock a sender's `occurred_at` may be


def refuse_the_future(occurred_at: datetime | None, now: datetime) -> None:
    """A purchase or an activity cannot have happened later than now, give or take the clock skew
    a sender may have: crediting it would pay points for what did not happen (yet)."""
    if occurred_at is not None and occurred_at - now > MAX_CLOCK_SKEW:
        minutes = int(MAX_CLOCK_SKEW.total_seconds() // 60)
        raise OccurredInTheFutureError(
            f"occurred_at {occurred_at.isoformat()} is more than {minutes} minutes after "
            f"now ({now.isoformat()})"
        )


def earliest_local_date(now: datetime) -> date:
    """The date in the zone furthest behind UTC: no day before it is still running anywhere."""
    return (now - BEHIND_UTC).date()


def latest_local_date(now: datetime) -> date:
    """The date in the zone furthest ahead of UTC: no day after it has begun anywhere."""
    return (now + AHEAD_OF_UTC).date()


def local_time(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def local_date(moment: datetime, timezone: str) -> date:
    return local_time(moment, timezone).date()


def weekday_code(day: date) -> str:
    return WEEKDAYS[day.weekday()]


def last_day_of_month(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def matches_monthly_day(day: date, monthly_days: list[int]) -> bool:
    """A configured day beyond the month's end (31 in February) falls on the month's last day."""
    last = last_day_of_month(day.year, day.month)
    return any(min(wanted, last) == day.day for wanted in monthly_days)


def matches_recurrence(recurrence: Recurrence, day: date) -> bool:
    """Whether a program-local day is one of the recurrence's days (any of its parts)."""
    if recurrence.weekly is not None and weekday_code(day) in recurrence.weekly:
        return True
    if recurrence.monthly_days is not None and matches_monthly_day(day, recurrence.monthly_days):
        return True
    return any(window.start <= day <= window.end for window in recurrence.dates or ())


def as_aware(moment: datetime, timezone: str) -> datetime:
    """A bound without an offset is program-local wall-clock time (DST-aware via zoneinfo)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo(timezone))


def within(moment: datetime, starts_at: datetime | None, ends_at: datetime | None, timezone: str) -> bool:
    """starts_at inclusive, ends_at exclusive; a missing bound is open."""
    if starts_at is not None and moment < as_aware(starts_at, timezone):
        return False
    return ends_at is None or moment < as_aware(ends_at, timezone)
