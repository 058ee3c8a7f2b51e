"""A program's sunset in the program's time zone: when earning stops, which notice is due, and
the final expiry of every lot."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from loyalty.domain.awards import MemberFacts
from loyalty.domain.ledger import Account, Lot, expire
from loyalty.domain.rules import (
    evaluate_activity,
    evaluate_purchase,
    evaluate_referral,
    evaluate_signup,
)
from loyalty.domain.sunset import earning_ended, notice_due, redeeming_ended, sunset_posting
from loyalty.models.api import PurchaseRequest
from loyalty.models.program import Program
from loyalty.operations.purchases import purchase_of

LAST_EARNING, LAST_REDEEMING = date(2027, 6, 30), date(2027, 7, 31)


def program(**sunset: object) -> Program:
    return Program.model_validate(
        {
            "timezone": "Asia/Shanghai",
            "referral": {"referrer_points": 500},
            "sunset": {"last_earning_day": LAST_EARNING, "last_redeeming_day": LAST_REDEEMING, **sunset},
        }
    )


def shanghai(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def test_the_last_redeeming_day_cannot_come_before_the_last_earning_day():
    with pytest.raises(ValidationError, match="last_redeeming_day is before last_earning_day"):
        program(last_redeeming_day=date(2027, 6, 29))
    assert program(last_redeeming_day=LAST_EARNING).sunset.last_redeeming_day == LAST_EARNING


@pytest.mark.parametrize(
    ("occurred", "now", "ended"),
    [
        (shanghai(LAST_EARNING, 23, 59), shanghai(LAST_EARNING, 23, 59), False),  # its last local minute
        (
            shanghai(LAST_EARNING + timedelta(days=1), 0, 1),
            shanghai(LAST_EARNING + timedelta(days=1), 0, 1),
            True,
        ),
        # made in time, reported late: still earns, until the last redeeming day
        (shanghai(LAST_EARNING, 12), shanghai(LAST_REDEEMING, 23), False),
        (shanghai(LAST_EARNING, 12), shanghai(LAST_REDEEMING + timedelta(days=1), 0), True),
    ],
    ids=["last-minute", "next-local-day", "reported-late", "after-the-end"],
)
def test_earning_ends_after_the_last_earning_day_in_the_programs_zone(occurred, now, ended):
    assert (earning_ended(program(), occurred, now) is not None) is ended


def test_no_sunset_never_ends():
    plain = Program()
    far = datetime(2099, 1, 1, tzinfo=UTC)
    assert (earning_ended(plain, far, far), redeeming_ended(plain, far), notice_due(plain, far)) == (
        None,
        False,
        None,
    )


def test_after_the_last_earning_day_every_earn_rule_gives_nothing_and_says_why():
    ended = program()
    later = shanghai(LAST_EARNING + timedelta(days=1), 9)
    request = PurchaseRequest(order_id="o-1", member_id="m1", amount=Decimal("100.00"), currency="CNY")
    awards = [
        evaluate_purchase(ended, purchase_of(request), MemberFacts(), later),
        evaluate_activity(ended, "survey", MemberFacts(), later),
        evaluate_signup(ended, later),
        evaluate_referral(ended, MemberFacts(first_purchase=True), later),
    ]
    assert {(award.points, award.reason) for award in awards} == {(0, "program_ended")}
    assert "last earning day was 2027-06-30" in awards[0].explanation[0]
    on_time = evaluate_purchase(ended, request, MemberFacts(), shanghai(LAST_EARNING, 9))
    assert (on_time.points, on_time.reason) == (100, None)


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (LAST_REDEEMING - timedelta(days=31), None),  # before the first offset
        (LAST_REDEEMING - timedelta(days=30), 30),
        (LAST_REDEEMING - timedelta(days=8), 30),
        (LAST_REDEEMING - timedelta(days=7), 7),  # the tightest offset reached
        (LAST_REDEEMING, 7),
        (LAST_REDEEMING + timedelta(days=1), None),  # over
    ],
)
def test_the_notice_due_is_the_tightest_offset_reached(today, due):
    assert notice_due(program(notices=[30, 7]), shanghai(today, 10)) == due


def test_the_sunset_expires_every_lot_dated_undated_and_pending():
    lots = [
        Lot(date(2029, 1, 31), 100),
        Lot(None, 50),
        Lot(date(2029, 1, 31), 30, available_on=date(2027, 9, 1)),
    ]
    account = Account(available=150, pending=30, version=4)

    regular = expire(account, lots, date(2027, 8, 1))
    sunset = expire(account, lots, date(2027, 8, 1), everything=True)

    assert regular is None
    assert sunset is not None
    assert (sunset.points, sunset.lots_after, sunset.after) == (-180, (), Account(version=5))


def test_the_sunset_expires_the_points_on_open_holds_in_the_same_posting():
    # Given 100 available and 50 on holds (taken from the same lot, kept on the hold records)
    lots = [Lot(date(2028, 1, 31), 100)]
    held = [Lot(date(2028, 1, 31), 30), Lot(None, 20)]
    account = Account(available=100, held=50, version=7)

    posting = sunset_posting(account, lots, held, today=date(2027, 8, 1))

    # Then one posting from the stored account ends all 150: nothing available, held or left
    assert posting is not None
    assert (posting.points, posting.lots_after) == (-150, ())
    assert (posting.before, posting.after) == (account, Account(version=8))
    assert sunset_posting(Account(), [], [], today=date(2027, 8, 1)) is None


@pytest.mark.parametrize("available", [100, 0])
def test_the_sunset_ends_a_frozen_members_withheld_points_in_the_same_posting(available):
    # Given a frozen member with 40 points withheld (and 100 available, or nothing else)
    lots = [Lot(date(2028, 1, 31), available)] if available else []
    account = Account(available=available, withheld=40, status="frozen", version=3)

    posting = sunset_posting(account, lots, [], today=date(2027, 8, 1))

    # Then one posting ends all of it: the entry's points and its withheld move say so
    assert posting is not None
    assert (posting.points, posting.withheld, posting.lots_after) == (-(available + 40), -40, ())
    assert posting.after == Account(status="frozen", version=4)
