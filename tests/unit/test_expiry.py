"""Lot expiry dates in the program's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from loyalty.domain.expiry import add_months, lot_expiry
from loyalty.models.program import ExpiryPolicy


def test_rolling_to_end_of_month_uses_the_program_day_not_utc():
    # 23:30 UTC on 31 Jan is already 1 Feb in Shanghai: the lot belongs to February.
    earned = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)
    policy = ExpiryPolicy(policy="rolling", months=12, end_of_month=True)
    assert lot_expiry(policy, earned, "Asia/Shanghai") == date(2028, 2, 29)
    assert lot_expiry(policy, earned, "UTC") == date(2028, 1, 31)


def test_add_months_clamps_to_the_month_end():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 12, 15), 2) == date(2028, 2, 15)


def test_fixed_and_never_policies():
    earned = datetime(2027, 6, 1, tzinfo=UTC)
    assert lot_expiry(ExpiryPolicy(policy="fixed", years_after=1), earned, "UTC") == date(2028, 12, 31)
    assert lot_expiry(ExpiryPolicy(policy="never"), earned, "UTC") is None


@pytest.mark.parametrize(
    ("earned_utc", "zone", "policy", "expected"),
    [
        # rolling, to the end of the month: leap day and month ends
        (datetime(2026, 2, 28, 12, tzinfo=UTC), "UTC", ExpiryPolicy(months=24), date(2028, 2, 29)),
        (
            datetime(2028, 2, 29, 12, tzinfo=UTC),
            "UTC",
            ExpiryPolicy(months=12, end_of_month=False),
            date(2029, 2, 28),
        ),
        (
            datetime(2027, 1, 31, 12, tzinfo=UTC),
            "UTC",
            ExpiryPolicy(months=1, end_of_month=False),
            date(2027, 2, 28),
        ),
        # Europe/Berlin across daylight saving: 23:30 UTC on 30 March (CEST, +2) is already 31 March
        (
            datetime(2027, 3, 30, 23, 30, tzinfo=UTC),
            "Europe/Berlin",
            ExpiryPolicy(months=1, end_of_month=False),
            date(2027, 4, 30),
        ),
        # ... and 22:30 UTC on 30 October (CET again, +1) is 23:30 the same day
        (
            datetime(2027, 10, 30, 22, 30, tzinfo=UTC),
            "Europe/Berlin",
            ExpiryPolicy(months=1, end_of_month=False),
            date(2027, 11, 30),
        ),
        # a zone without daylight saving
        (
            datetime(2027, 12, 31, 16, 30, tzinfo=UTC),
            "Asia/Shanghai",
            ExpiryPolicy(policy="fixed", years_after=1),
            date(2029, 12, 31),
        ),
        (
            datetime(2027, 12, 31, 15, 30, tzinfo=UTC),
            "Asia/Shanghai",
            ExpiryPolicy(policy="fixed", years_after=1),
            date(2028, 12, 31),
        ),
    ],
)
def test_expiry_dates_follow_the_programs_calendar(earned_utc, zone, policy, expected):
    assert lot_expiry(policy, earned_utc, zone) == expected
