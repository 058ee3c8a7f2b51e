"""Purchase rules: base rate, rounding, minimum, item rules on mixed baskets, channels, tiers,
back-dating, daily cap and pending period; exact points for each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from loyalty.domain.awards import MemberFacts, Purchase
from loyalty.domain.rules import evaluate_purchase
from loyalty.models.api import PurchaseRequest
from loyalty.models.program import Program
from loyalty.operations.purchases import purchase_of

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai: no weekday campaign here

ITEM_RULES = [
    {"id": "shoes", "match": {"categories": ["shoes"]}, "multiplier": "2"},
    {"id": "sku9", "match": {"skus": ["SKU-9"]}, "bonus_points": 50},
    {"id": "tobacco", "match": {"categories": ["tobacco"]}, "multiplier": "0"},
]


def program(**fields: Any) -> Program:
    return Program.model_validate(fields)


def purchase(amount: str, items: list[dict[str, Any]] | None = None, **fields: Any) -> Purchase:
    body = {
        "order_id": "o1",
        "member_id": "m1",
        "amount": amount,
        "currency": "CNY",
        "items": items,
        **fields,
    }
    return purchase_of(PurchaseRequest.model_validate(body))


def line(sku: str, amount: str, category: str | None = None, quantity: int = 1) -> dict[str, Any]:
    return {"sku": sku, "amount": amount, "category": category, "quantity": quantity}


@pytest.mark.parametrize(
    ("rate", "rounding", "amount", "points"),
    [
        (1, "down", "129.90", 129),
        (1, "nearest", "129.90", 130),
        (1, "up", "129.90", 130),
        (1, "nearest", "129.49", 129),
        (1, "nearest", "129.50", 130),
        (1, "up", "129.01", 130),
        (1, "up", "129.00", 129),
        (3, "down", "0.10", 0),
        (3, "up", "0.10", 1),
        (3, "nearest", "0.17", 1),
        (0, "up", "500.00", 0),
    ],
    ids=[
        "down",
        "nearest-up",
        "up",
        "nearest-below-half",
        "nearest-half-rounds-up",
        "up-any-fraction",
        "up-exact",
        "rate3-down-to-zero",
        "rate3-up-to-one",
        "rate3-nearest",
        "rate0",
    ],
)
def test_given_a_rounding_mode_when_a_purchase_is_evaluated_then_rounded_once(rate, rounding, amount, points):
    rules = program(earn={"points_per_unit": rate, "rounding": rounding})
    assert evaluate_purchase(rules, purchase(amount), MemberFacts(), NOW).points == points


@pytest.mark.parametrize(
    ("amount", "points", "reason"),
    [("9.99", 0, "below_minimum"), ("10.00", 10, None), ("10.01", 10, None)],
    ids=["below", "at-minimum", "above"],
)
def test_given_a_minimum_purchase_when_evaluated_then_smaller_purchases_earn_nothing(amount, points, reason):
    award = evaluate_purchase(
        program(earn={"minimum_purchase": "10.00"}), purchase(amount), MemberFacts(), NOW
    )
    assert (award.points, award.reason) == (points, reason)


@pytest.mark.parametrize(
    ("amount", "items", "points"),
    [
        # shoes 200 x2 + SKU-9 50 x1 + 2 units x 50 bonus + misc 50 = 400 + 50 + 100 + 50
        (
            "300.00",
            [line("S1", "200.00", "shoes"), line("SKU-9", "50.00", "misc", 2), line("M", "50.00")],
            600,
        ),
        # the first matching rule wins: SKU-9 in category shoes is doubled, no sku bonus
        ("50.00", [line("SKU-9", "50.00", "shoes")], 100),
        # lines short of the amount: the unitemized rest earns the base rate
        ("400.00", [line("S1", "200.00", "shoes")], 600),
        # lines over the amount (order discount): each line counts for its share, 0.75 here
        ("150.00", [line("S1", "100.00", "shoes"), line("M", "100.00", "misc")], 225),
        # shares of 5/6 stay exact: 25 + 25 + 50, not 99.999...
        ("100.00", [line("A", "30.00"), line("B", "30.00"), line("C", "60.00")], 100),
        # a zero multiplier excludes a category
        ("100.00", [line("T", "60.00", "tobacco"), line("M", "40.00", "misc")], 40),
        # lines without matching rules earn the base rate
        ("80.00", [line("X", "30.00", "misc"), line("Y", "50.00")], 80),
    ],
    ids=[
        "mixed-basket",
        "first-rule-wins",
        "unitemized-rest",
        "lines-over-amount",
        "exact-shares",
        "excluded",
        "none",
    ],
)
def test_given_item_rules_when_a_basket_is_evaluated_then_each_line_earns_under_its_rule(
    amount, items, points
):
    rules = program(item_rules=ITEM_RULES)
    assert evaluate_purchase(rules, purchase(amount, items), MemberFacts(), NOW).points == points


def test_given_a_mixed_basket_when_evaluated_then_the_explanation_names_each_line_and_rule():
    items = [line("S1", "200.00", "shoes"), line("SKU-9", "50.00", "misc", 2)]
    award = evaluate_purchase(program(item_rules=ITEM_RULES), purchase("260.00", items), MemberFacts(), NOW)
    assert award.points == 400 + 50 + 100 + 10
    assert award.rule_ids == ["base", "item:shoes", "item:sku9"]
    assert "line S1: 200 -> 400 (item:shoes x2)" in award.explanation
    assert "line SKU-9: 50 -> 50 (item:sku9, +50 x 2 unit(s))" in award.explanation
    assert "unitemized rest 10.00: 10" in award.explanation
    assert award.explanation[-1] == "total 560 rounded down: 560"


@pytest.mark.parametrize(
    ("channel", "points", "rule_ids"),
    [
        ("app", 151, ["base", "channel:app"]),
        ("store", 101, ["base", "channel:store"]),
        ("online", 101, ["base"]),
        (None, 101, ["base"]),
    ],
    ids=["app-1.5", "store-1", "no-rule", "no-channel"],
)
def test_given_channel_rules_when_evaluated_then_the_channel_multiplier_applies(channel, points, rule_ids):
    rules = program(channel_rules={"app": "1.5", "store": "1"})
    award = evaluate_purchase(rules, purchase("101.00", channel=channel), MemberFacts(), NOW)
    assert (award.points, award.rule_ids) == (points, rule_ids)


TIERS = [
    {"id": "base", "name": "Regular", "earn_multiplier": "1"},
    {"id": "silver", "name": "Silver", "earn_multiplier": "2"},
    {"id": "gold", "name": "Gold", "earn_multiplier": "2.5"},
]


@pytest.mark.parametrize(
    ("tier", "points"),
    [(None, 101), ("base", 101), ("silver", 202), ("gold", 252), ("removed", 101)],
    ids=["no-tier", "base", "silver", "gold-2.5", "unknown-tier-earns-base"],
)
def test_given_tiers_when_a_member_buys_then_the_tier_multiplier_applies(tier, points):
    award = evaluate_purchase(program(tiers=TIERS), purchase("101.00"), MemberFacts(tier=tier), NOW)
    assert award.points == points
    assert ("tier 'removed' is not in the program: base tier used" in award.explanation) is (
        tier == "removed"
    )


def test_given_item_channel_and_tier_when_combined_then_multipliers_multiply_and_bonuses_do_not():
    rules = program(item_rules=ITEM_RULES, channel_rules={"app": "1.5"}, tiers=TIERS)
    items = [line("S1", "100.00", "shoes"), line("SKU-9", "10.00", "misc")]
    award = evaluate_purchase(
        rules, purchase("110.00", items, channel="app"), MemberFacts(tier="silver"), NOW
    )
    # (100 x 2 + 10) x 1.5 x 2 = 630, plus the fixed 50 per unit of SKU-9
    assert award.points == 680
    assert award.rule_ids == ["base", "item:shoes", "item:sku9", "channel:app", "tier:silver"]


@pytest.mark.parametrize(
    ("age", "points", "reason"),
    [
        (timedelta(days=31), 0, "too_old"),
        (timedelta(days=30, seconds=1), 0, "too_old"),
        (timedelta(days=30), 100, None),
        (timedelta(hours=1), 100, None),
        (None, 100, None),
    ],
    ids=["31-days", "just-over-30", "exactly-30", "an-hour", "no-occurred-at"],
)
def test_given_a_max_age_when_a_purchase_is_back_dated_then_too_old_earns_nothing(age, points, reason):
    occurred = None if age is None else (NOW - age).isoformat()
    award = evaluate_purchase(
        program(earn={"max_age_days": 30}), purchase("100.00", occurred_at=occurred), MemberFacts(), NOW
    )
    assert (award.points, award.reason) == (points, reason)
    if reason:
        assert "over 30 day(s) old" in award.explanation[0]


@pytest.mark.parametrize(
    ("earned_today", "amount", "points", "capped", "reason"),
    [
        (0, "300.00", 300, False, None),
        (200, "300.00", 300, False, None),
        (300, "300.00", 200, True, None),
        (499, "300.00", 1, True, None),
        (500, "300.00", 0, True, "daily_cap"),
        (900, "300.00", 0, True, "daily_cap"),
    ],
    ids=["fresh", "exactly-reaches", "crosses-mid-award", "one-left", "reached", "already-over"],
)
def test_given_a_daily_cap_when_an_award_would_cross_it_then_it_is_cut(
    earned_today, amount, points, capped, reason
):
    rules = program(caps={"daily_points_per_member": 500})
    award = evaluate_purchase(rules, purchase(amount), MemberFacts(points_earned_today=earned_today), NOW)
    assert (award.points, award.capped, award.reason) == (points, capped, reason)
    assert ("cap:daily" in award.rule_ids) is capped
    if capped:
        assert (
            award.explanation[-1]
            == f"daily cap 500: {earned_today} already earned today, 300 cut to {points}"
        )


def test_given_absurd_multipliers_when_evaluated_then_the_award_is_held_to_the_maximum():
    rules = program(
        earn={"points_per_unit": 1000},
        channel_rules={"app": "100"},
        tiers=[{"id": "b", "name": "B", "earn_multiplier": "100"}],
    )
    award = evaluate_purchase(rules, purchase("99999999.99", channel="app"), MemberFacts(), NOW)
    assert (award.points, award.capped, award.rule_ids[-1]) == (1_000_000_000, True, "cap:award")


@pytest.mark.parametrize(
    ("pending_days", "now", "amount", "pending_until"),
    [
        (0, NOW, "100.00", None),
        (7, NOW, "100.00", date(2026, 11, 30)),
        # 20:00 UTC on the 23rd is already the 24th in Shanghai
        (7, datetime(2026, 11, 23, 20, 0, tzinfo=UTC), "100.00", date(2026, 12, 1)),
        (7, NOW, "0.50", None),  # nothing earned, nothing pending
    ],
    ids=["no-return-window", "seven-days", "program-local-day", "zero-points"],
)
def test_given_pending_days_when_evaluated_then_pending_until_is_the_local_day_plus_n(
    pending_days, now, amount, pending_until
):
    rules = program(earn={"pending_days": pending_days})
    assert evaluate_purchase(rules, purchase(amount), MemberFacts(), now).pending_until == pending_until


@pytest.mark.parametrize(
    ("rate", "rounding", "amount", "points", "words"),
    [
        ("0.1", "down", "129.90", 12, "1 point(s) per 10 CNY"),
        ("0.1", "up", "120.01", 13, "1 point(s) per 10 CNY"),
        ("0.3", "down", "10.00", 3, "3 point(s) per 10 CNY"),  # a float would make it 2.9999...
        ("0.15", "nearest", "10.00", 2, "3 point(s) per 20 CNY"),  # 1.5 exact, halves up
        ("2.5", "down", "3.00", 7, "5 point(s) per 2 CNY"),
        (2, "down", "3.00", 6, "2 point(s) per 1 CNY"),
    ],
)
def test_given_a_decimal_base_rate_when_evaluated_then_exact_rounded_once_and_said_in_words(
    rate, rounding, amount, points, words
):
    award = evaluate_purchase(
        program(earn={"points_per_unit": rate, "rounding": rounding}), purchase(amount), MemberFacts(), NOW
    )
    assert (award.points, award.explanation[0]) == (points, f"base: {words}")


@pytest.mark.parametrize("bad", [0.1, 1.0, True, "0.10000", "1e-1", "-0.1", "0", "1000.5", " 1", 1001])
def test_given_a_base_rate_that_is_no_integer_or_decimal_string_then_the_program_is_refused(bad):
    with pytest.raises(ValueError, match="base rate"):
        program(earn={"points_per_unit": bad})
