"""Expiry dates of new lots under the program's policy, in the program's time zone."""

from __future__ import annotations

import calendar
from datetime import date, datetime

from loyalty.domain.calendar import local_date
from loyalty.models.program import ExpiryPolicy


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def lot_expiry(policy: ExpiryPolicy, earned_at: datetime, timezone: str) -> date | None:
    """The last day (inclusive, program-local) on which the points can be spent."""
    if policy.policy == "never":
        return None
    local_day = local_date(earned_at, timezone)
    if policy.policy == "fixed":
        return date(local_day.year + policy.years_after, policy.month, policy.day)
    until = add_months(local_day, policy.months)
    if policy.end_of_month:
        until = until.replace(day=calendar.monthrange(until.year, until.month)[1])
    return until
