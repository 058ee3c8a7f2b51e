"""Birthdays in the program's calendar: 29 February is celebrated on 28 February in other years."""

from __future__ import annotations

import calendar
from datetime import date


def celebrated_on(birthday: date, year: int) -> date:
    if birthday.month == 2 and birthday.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return birthday.replace(year=year)


def month_days_celebrated(day: date) -> list[str]:
    """The birthdays ("MM-DD") celebrated on `day`: its own, and 29 February on 28 February of
    common years."""
    days = [f"{day:%m-%d}"]
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        days.append("02-29")
    return days
