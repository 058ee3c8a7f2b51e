"""Campaigns: windows and recurrences in the program's time zone (DST, month ends, leap years),
targets, and the three stacking modes on overlapping campaigns."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from loyalty.domain.awards import MemberFacts, Purchase
from loyalty.domain.calendar import matches_monthly_day
from loyalty.domain.rules import evaluate_purchase
from loyalty.models.api import PurchaseRequest
from loyalty.models.program import Program
from loyalty.operations.purchases import purchase_of


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def program(campaigns: list[dict[str, Any]], **fields: Any) -> Program:
    return Program.model_validate({"campaigns": campaigns, **fields})


def purchase(amount: str = "100.00", items: list[dict[str, Any]] | None = None, **fields: Any) -> Purchase:
    body = {
        "order_id": "o1",
        "member_id": "m1",
        "amount": amount,
        "currency": "CNY",
        "items": items,
        **fields,
    }
    return purchase_of(PurchaseRequest.model_validate(body))


def points(rules: Program, when: datetime, member: MemberFacts | None = None, **fields: Any) -> int:
    return evaluate_purchase(rules, purchase(**fields), member or MemberFacts(), when).points


WEDNESDAY_X2 = {"id": "wed", "name": "Double Wednesday", "recurrence": {"weekly": ["wed"]}, "multiplier": "2"}


@pytest.mark.parametrize(
    ("timezone", "when", "expected"),
    [
        ("Asia/Shanghai", "2026-11-24T15:59:59", 100),  # Tuesday 23:59:59 in Shanghai
        ("Asia/Shanghai", "2026-11-24T16:00:00", 200),  # Wednesday 00:00 in Shanghai, Tuesday in UTC
        ("Asia/Shanghai", "2026-11-25T15:59:59", 200),
        ("Asia/Shanghai", "2026-11-25T16:00:00", 100),  # Thursday in Shanghai, still Wednesday in UTC
        ("UTC", "2026-11-24T16:00:00", 100),
        ("Europe/Berlin", "2026-10-20T21:59:59", 100),  # summer time (UTC+2): Tuesday 23:59:59
        ("Europe/Berlin", "2026-10-20T22:00:00", 200),  # Wednesday 00:00 CEST
        ("Europe/Berlin", "2026-10-27T22:30:00", 100),  # after the switch (UTC+1): Tuesday 23:30 CET
        ("Europe/Berlin", "2026-10-27T23:00:00", 200),  # Wednesday 00:00 CET
        ("Europe/Berlin", "2026-10-28T22:59:59", 200),
        ("Europe/Berlin", "2026-10-28T23:00:00", 100),
    ],
    ids=[
        "sh-tue-last-second",
        "sh-wed-starts-tue-16utc",
        "sh-wed-last-second",
        "sh-thu",
        "utc-program-still-tuesday",
        "berlin-cest-tue",
        "berlin-cest-wed",
        "berlin-cet-tue-2230utc",
        "berlin-cet-wed-23utc",
        "berlin-cet-wed-last-second",
        "berlin-cet-thu",
    ],
)
def test_given_a_wednesday_campaign_when_buying_then_wednesday_is_the_program_local_day(
    timezone, when, expected
):
    assert points(program([WEDNESDAY_X2], timezone=timezone), at(when)) == expected


MONTH_END_BONUS = {
    "id": "eom",
    "name": "Month end",
    "recurrence": {"monthly_days": [31]},
    "bonus_points": 100,
}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-02-27T12:00:00", 100),
        ("2026-02-28T12:00:00", 200),  # 31 falls on the 28th in a common year
        ("2028-02-28T12:00:00", 100),  # ...but not in a leap year
        ("2028-02-29T12:00:00", 200),
        ("2026-04-30T12:00:00", 200),
        ("2026-05-30T12:00:00", 100),
        ("2026-05-31T12:00:00", 200),
        ("2026-02-28T16:30:00", 100),  # 1 March 00:30 in Shanghai: February is over there
        ("2026-03-31T15:59:59", 200),
    ],
    ids=[
        "feb-27",
        "feb-28-common",
        "feb-28-leap",
        "feb-29-leap",
        "apr-30",
        "may-30",
        "may-31",
        "tz-march",
        "mar-31",
    ],
)
def test_given_a_monthly_day_31_campaign_when_the_month_is_shorter_then_its_last_day_counts(when, expected):
    assert points(program([MONTH_END_BONUS]), at(when)) == expected


@pytest.mark.parametrize(
    ("days", "day", "expected"),
    [
        ([30], date(2026, 2, 28), True),
        ([29], date(2026, 2, 28), True),
        ([29], date(2028, 2, 28), False),
        ([29], date(2028, 2, 29), True),
        ([8], date(2026, 12, 8), True),
        ([8, 31], date(2026, 12, 9), False),
        ([1, 15], date(2026, 6, 15), True),
        ([31], date(2026, 6, 29), False),
    ],
    ids=[
        "30-in-feb",
        "29-common",
        "29-leap-28th",
        "29-leap-29th",
        "8th",
        "not-9th",
        "list",
        "31-in-june-29th",
    ],
)
def test_given_monthly_days_when_matching_a_day_then_overflow_means_the_last_day(days, day, expected):
    assert matches_monthly_day(day, days) is expected


GOLDEN_WEEK = {
    "id": "golden-week",
    "name": "National Day",
    "recurrence": {"dates": [{"start": "2026-10-01", "end": "2026-10-07"}]},
    "multiplier": "3",
}


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-09-30T15:59:59", 100),
        ("2026-09-30T16:00:00", 300),  # 1 October 00:00 in Shanghai
        ("2026-10-07T15:59:59", 300),  # the end day is included
        ("2026-10-07T16:00:00", 100),
    ],
    ids=["before", "first-local-day", "last-local-second", "after"],
)
def test_given_holiday_date_windows_when_buying_then_only_local_days_inside_count(when, expected):
    assert points(program([GOLDEN_WEEK]), at(when)) == expected


@pytest.mark.parametrize(
    ("bounds", "timezone", "when", "expected"),
    [
        (
            {"starts_at": "2026-11-11T00:00:00", "ends_at": "2026-11-12T00:00:00"},
            "Asia/Shanghai",
            "2026-11-10T15:59:59",
            100,
        ),
        (
            {"starts_at": "2026-11-11T00:00:00", "ends_at": "2026-11-12T00:00:00"},
            "Asia/Shanghai",
            "2026-11-10T16:00:00",
            500,
        ),
        (
            {"starts_at": "2026-11-11T00:00:00", "ends_at": "2026-11-12T00:00:00"},
            "Asia/Shanghai",
            "2026-11-11T16:00:00",
            100,
        ),
        ({"starts_at": "2026-11-11T00:00:00+00:00"}, "Asia/Shanghai", "2026-11-10T23:59:59", 100),
        ({"starts_at": "2026-11-11T00:00:00+00:00"}, "Asia/Shanghai", "2026-11-11T00:00:00", 500),
        # local 03:00 on the day summer time starts is 01:00 UTC (not 02:00)
        ({"starts_at": "2026-03-29T03:00:00"}, "Europe/Berlin", "2026-03-29T00:59:59", 100),
        ({"starts_at": "2026-03-29T03:00:00"}, "Europe/Berlin", "2026-03-29T01:00:00", 500),
        ({"ends_at": "2026-11-11T00:00:00"}, "Asia/Shanghai", "2026-11-10T15:59:59", 500),
    ],
    ids=[
        "local-start-before",
        "local-start",
        "end-exclusive",
        "aware-start-before",
        "aware-start",
        "berlin-dst-before",
        "berlin-dst-start",
        "open-start",
    ],
)
def test_given_a_campaign_window_when_buying_then_bounds_without_offset_are_program_local(
    bounds, timezone, when, expected
):
    campaign = {"id": "w", "name": "Window", "multiplier": "5", **bounds}
    assert points(program([campaign], timezone=timezone), at(when)) == expected


def test_given_a_window_and_a_recurrence_when_buying_then_both_must_hold():
    campaign = {**WEDNESDAY_X2, "starts_at": "2026-12-01T00:00:00"}
    rules = program([campaign])
    assert points(rules, at("2026-11-25T04:00:00")) == 100  # a Wednesday before the start
    assert points(rules, at("2026-12-02T04:00:00")) == 200


def test_given_a_purchase_in_the_past_when_evaluated_later_then_campaigns_run_at_occurred_at():
    rules = program([WEDNESDAY_X2])
    thursday = at("2026-11-26T04:00:00")
    assert points(rules, thursday, occurred_at="2026-11-25T04:00:00+00:00") == 200
    assert points(rules, thursday) == 100


def test_given_an_occurred_at_in_the_future_when_evaluated_then_campaigns_run_at_now():
    # A shop clock ahead (or a forged date) must not reach a campaign that has not started.
    monday = at("2026-11-23T04:00:00")
    assert points(program([WEDNESDAY_X2]), monday, occurred_at="2026-11-25T04:00:00+00:00") == 100


TARGETED = [
    {
        "id": "silver-wed",
        "name": "Silver day",
        "recurrence": {"weekly": ["wed"]},
        "multiplier": "2",
        "target": {"tiers": ["silver"]},
    },
    {
        "id": "app-wed",
        "name": "App day",
        "recurrence": {"weekly": ["wed"]},
        "bonus_points": 30,
        "target": {"channels": ["app"]},
    },
]
TIERS = [{"id": "base", "name": "Regular"}, {"id": "silver", "name": "Silver"}]


@pytest.mark.parametrize(
    ("tier", "channel", "expected", "campaigns"),
    [
        (None, None, 100, []),
        ("silver", None, 200, ["campaign:silver-wed"]),
        (None, "app", 130, ["campaign:app-wed"]),
        (None, "store", 100, []),
        ("silver", "app", 230, ["campaign:silver-wed", "campaign:app-wed"]),
    ],
    ids=["neither", "silver", "app", "other-channel", "both-multiply"],
)
def test_given_tier_and_channel_targets_when_buying_then_only_matching_purchases_are_boosted(
    tier, channel, expected, campaigns
):
    rules = program(TARGETED, tiers=TIERS, campaign_stacking="multiply")
    award = evaluate_purchase(
        rules, purchase(channel=channel), MemberFacts(tier=tier), at("2026-11-25T04:00:00")
    )
    assert award.points == expected
    assert [rule for rule in award.rule_ids if rule.startswith("campaign:")] == campaigns


def test_given_a_category_campaign_when_the_purchase_has_no_items_then_it_does_not_apply():
    shoes = {"id": "shoes", "name": "Shoes", "multiplier": "3", "target": {"categories": ["shoes"]}}
    assert points(program([shoes]), at("2026-11-23T04:00:00")) == 100


# Overlapping on Wednesday 25 November: A doubles everything, B triples shoes, C gives 30 points.
OVERLAPPING = [
    WEDNESDAY_X2,
    {"id": "shoes", "name": "Shoes x3", "multiplier": "3", "target": {"categories": ["shoes"]}},
    {"id": "bonus", "name": "Wednesday bonus", "recurrence": {"weekly": ["wed"]}, "bonus_points": 30},
]
BASKET = [
    {"sku": "S1", "category": "shoes", "amount": "60.00"},
    {"sku": "M1", "category": "misc", "amount": "40.00"},
]


@pytest.mark.parametrize(
    ("stacking", "tier", "expected", "applied"),
    [
        # shoes 60 x 2 x 3 + misc 40 x 2 + 30
        ("multiply", None, 470, ["wed", "shoes", "bonus"]),
        # shoes 60 x (1 + 1 + 2) + misc 40 x (1 + 1) + 30
        ("add", None, 350, ["wed", "shoes", "bonus"]),
        # gains: wed +100, shoes +120, bonus +30 -> shoes only: 60 x 3 + 40
        ("best", None, 220, ["shoes"]),
        # silver doubles every gain: shoes still best, (60 x 3 + 40) x 2
        ("best", "silver", 440, ["shoes"]),
        ("multiply", "silver", 910, ["wed", "shoes", "bonus"]),  # (360 + 80) x 2 + 30
    ],
    ids=["multiply", "add", "best", "best-with-tier", "multiply-with-tier"],
)
def test_given_overlapping_campaigns_when_stacked_then_the_mode_decides(stacking, tier, expected, applied):
    tiers = [{"id": "base", "name": "Regular"}, {"id": "silver", "name": "Silver", "earn_multiplier": "2"}]
    rules = program(OVERLAPPING, campaign_stacking=stacking, tiers=tiers)
    award = evaluate_purchase(
        rules, purchase(items=BASKET), MemberFacts(tier=tier), at("2026-11-25T04:00:00")
    )
    assert award.points == expected
    assert [rule[len("campaign:") :] for rule in award.rule_ids if rule.startswith("campaign:")] == applied


def test_given_best_stacking_with_equal_gains_when_buying_then_the_first_campaign_wins_and_it_is_explained():
    twins = [WEDNESDAY_X2, {**WEDNESDAY_X2, "id": "wed2", "name": "Twin"}]
    award = evaluate_purchase(program(twins), purchase(), MemberFacts(), at("2026-11-25T04:00:00"))
    assert (award.points, award.rule_ids) == (200, ["base", "campaign:wed"])
    assert "campaigns stack by best: wed (+100) over wed2" in award.explanation
