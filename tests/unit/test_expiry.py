"""Lot expiry dates in the program's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from loyalty.domain.expiry import ProgramAt, add_months, expiry_under, lot_expiry
from loyalty.models.program import ExpiryPolicy, Program


def test_rolling_to_end_of_month_uses_the_program_day_not_utc():
    # 23:30 UTC on 31 Jan is already 1 Feb in Shanghai: the lot belongs to February.
    earned = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)
    policy = ExpiryPolicy(policy="rolling", months=12, end_of_month=True)
    assert expiry_under(policy, earned, "Asia/Shanghai") == date(2028, 2, 29)
    assert expiry_under(policy, earned, "UTC") == date(2028, 1, 31)


def test_add_months_clamps_to_the_month_end():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 12, 15), 2) == date(2028, 2, 15)


def test_fixed_and_never_policies():
    earned = datetime(2027, 6, 1, tzinfo=UTC)
    assert expiry_under(ExpiryPolicy(policy="fixed", years_after=1), earned, "UTC") == date(2028, 12, 31)
    assert expiry_under(ExpiryPolicy(policy="never"), earned, "UTC") is None


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
    assert expiry_under(policy, earned_utc, zone) == expected


def _program(**expiry: object) -> Program:
    return Program.model_validate({"timezone": "UTC", "expiry": expiry})


EARNED = datetime(2027, 6, 15, 12, tzinfo=UTC)
BY_SOURCE = {
    "policy": "rolling",
    "months": 24,
    "end_of_month": True,
    "by_source": {
        "activity": {"policy": "days", "days": 90},
        "birthday": {"policy": "rolling", "months": 3, "end_of_month": False},
        "referral": {"policy": "fixed", "years_after": 0, "month": 12, "day": 31},
        "import": {"policy": "never"},
    },
}


@pytest.mark.parametrize(
    ("source", "explicit", "expected"),
    [
        ("purchase", None, date(2029, 6, 30)),  # no rule of its own: the program's default
        ("signup", None, date(2029, 6, 30)),
        ("adjustment", None, date(2029, 6, 30)),
        ("activity", None, date(2027, 9, 13)),  # sooner: 90 days
        ("birthday", None, date(2027, 9, 15)),
        ("referral", None, date(2027, 12, 31)),
        ("import", None, None),  # the source's rule: never
        ("import", date(2027, 7, 1), date(2027, 7, 1)),  # an imported lot keeps its own date
        ("adjustment", date(2030, 1, 1), date(2030, 1, 1)),
    ],
)
def test_each_source_takes_its_own_rule_or_the_programs_default(source, explicit, expected):
    assert lot_expiry(_program(**BY_SOURCE), source, EARNED, explicit=explicit) == expected


def test_without_source_rules_every_source_takes_the_default():
    program = _program(policy="fixed", years_after=1)
    sources = ("purchase", "activity", "signup", "birthday", "referral", "adjustment", "import")
    assert {lot_expiry(program, source, EARNED) for source in sources} == {date(2028, 12, 31)}


def test_fixed_day_beyond_the_month_end_is_its_last_day():
    rule = ExpiryPolicy(policy="fixed", years_after=1, month=2, day=31)
    assert expiry_under(rule, datetime(2027, 3, 1, tzinfo=UTC), "UTC") == date(2028, 2, 29)
    assert expiry_under(rule, datetime(2028, 3, 1, tzinfo=UTC), "UTC") == date(2029, 2, 28)


def test_days_rule_counts_program_local_days():
    # 20:00 UTC on 30 June is 1 July in Shanghai: 10 days after 1 July.
    rule = ExpiryPolicy(policy="days", days=10)
    assert expiry_under(rule, datetime(2027, 6, 30, 20, tzinfo=UTC), "Asia/Shanghai") == date(2027, 7, 11)


def test_unknown_source_in_the_program_is_refused():
    with pytest.raises(ValidationError):
        _program(by_source={"lottery": {"policy": "never"}})


def test_given_the_program_at_a_moment_then_its_today_and_expiries_are_the_program_local_ones():
    # 23:30 UTC on 31 Jan is already 1 Feb in Shanghai: today and every expiry count from 1 Feb.
    expiry = {"policy": "days", "days": 10, "by_source": {"birthday": {"policy": "days", "days": 30}}}
    program = Program.model_validate({"timezone": "Asia/Shanghai", "expiry": expiry})
    at = ProgramAt(program, datetime(2027, 1, 31, 23, 30, tzinfo=UTC))
    assert at.today == date(2027, 2, 1)
    assert at.expiry() == date(2027, 2, 11)  # the program's default rule
    assert at.expiry("birthday") == date(2027, 3, 3)  # the source's own rule
    assert at.expiry("purchase") == date(2027, 2, 11) == lot_expiry(program, "purchase", at.now)
