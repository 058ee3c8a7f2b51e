"""Lot expiry dates in the program's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

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
