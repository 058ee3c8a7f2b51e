"""Paid membership plans in the program (validated like the rest of it), calendar-month ends, and
the tier a membership holds: at once, as a floor at evaluation, and what is left when it goes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from loyalty.domain.memberships import add_months, buy, cancel, lapse
from loyalty.domain.tiers import Figures, TierStatus, evaluate
from loyalty.models.program import Program
from tests.support.programs import tiered_program

ENROLLED = date(2026, 1, 10)


def program(**more: Any) -> Program:
    plan = {
        "plan_id": "vip-1y",
        "tier_id": "vip",
        "price": {"amount": "199.00", "currency": "CNY"},
        "months": 12,
    }
    return tiered_program(plan, **more)


def plan_errors(plans: list[dict[str, Any]]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as raised:
        program(membership_plans=plans)
    return [(error["loc"], error["msg"]) for error in raised.value.errors()]


def plan(**more: Any) -> dict[str, Any]:
    return {
        "plan_id": "p",
        "tier_id": "vip",
        "price": {"amount": "9.90", "currency": "CNY"},
        "months": 1,
        **more,
    }


def test_plans_name_a_tier_above_the_base_in_the_program_currency_with_decimal_string_prices():
    sold = program().plan("vip-1y")
    assert sold is not None
    assert (sold.price.amount, sold.months) == (Decimal("199.00"), 12)
    assert plan_errors([plan(tier_id="platinum")]) == [
        (("membership_plans", 0, "tier_id"), "unknown tier 'platinum'")
    ]
    assert plan_errors([plan(tier_id="base")]) == [
        (("membership_plans", 0, "tier_id"), "a plan gives a tier above the base tier")
    ]
    assert plan_errors([plan(price={"amount": "9.90", "currency": "USD"})]) == [
        (("membership_plans", 0, "price", "currency"), "the price is in the program's currency CNY")
    ]
    assert plan_errors([plan(), plan()]) == [(("membership_plans", 1, "plan_id"), "duplicate id 'p'")]
    floats = plan_errors([plan(price={"amount": 9.9, "currency": "CNY"})])
    assert floats[0][0] == ("membership_plans", 0, "price", "amount")
    assert plan_errors([plan(months=0)])[0][0] == ("membership_plans", 0, "months")
    assert plan_errors([plan(months="1")])[0][0] == ("membership_plans", 0, "months")


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 12, 14), 3, date(2027, 3, 14)),
        (date(2026, 11, 30), 12, date(2027, 11, 30)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
    ],
)
def test_a_membership_ends_calendar_months_later_on_the_months_last_day_when_it_lacks_the_day(
    start, months, end
):
    assert add_months(start, months) == end


def test_a_membership_holds_its_tier_through_an_evaluation_and_its_end_leaves_the_earned_tier():
    rules = program()
    silver_spend = TierStatus(buckets={"2026-06": Figures(spend=rules.tiers[1].qualify.spend)})  # type: ignore[union-attr]
    today = date(2026, 6, 10)
    decision, period = buy(rules, silver_spend, ENROLLED, today, "m-1", rules.membership_plans[0])
    assert (decision.status.tier_id, period.ends_on, decision.status.review_on) == (
        "vip",
        date(2027, 6, 10),
        date(2027, 1, 10),
    )
    assert [event.kind for event in decision.membership_events] == ["started"]

    # The anniversary evaluation inside the membership keeps VIP (no grace, no level down)
    kept = evaluate(rules, decision.status, ENROLLED, date(2027, 1, 10))
    assert (kept.status.tier_id, kept.change, kept.status.review_on) == ("vip", None, date(2027, 6, 10))

    # Its end: straight to what the figures reach in the window then (nothing: base), no grace
    ended = lapse(rules, kept.status, ENROLLED, date(2027, 6, 10))
    assert ended is not None
    assert (ended.status.tier_id, ended.status.memberships, ended.status.grace_until) == (None, (), None)
    assert ended.change is not None
    assert ended.change.reason == "membership_lapsed"
    # Nothing to lapse the day before
    assert lapse(rules, kept.status, ENROLLED, date(2027, 6, 9)) is None


def test_a_cancelled_membership_leaves_a_member_whose_own_tier_is_higher_where_they_are():
    rules = program(
        membership_plans=[
            {
                "plan_id": "silver-1m",
                "tier_id": "silver",
                "price": {"amount": "9.90", "currency": "CNY"},
                "months": 1,
            }
        ]
    )
    gold = TierStatus(tier_id="gold", review_on=date(2027, 1, 10))
    decision, _ = buy(rules, gold, ENROLLED, date(2026, 6, 10), "m-1", rules.membership_plans[0])
    assert (decision.status.tier_id, decision.change) == ("gold", None)
    withdrawn = cancel(rules, decision.status, ENROLLED, date(2026, 6, 20), "m-1")
    assert withdrawn is not None
    assert (withdrawn.status.tier_id, withdrawn.change, withdrawn.status.memberships) == ("gold", None, ())
    assert cancel(rules, withdrawn.status, ENROLLED, date(2026, 6, 20), "m-1") is None


def test_a_cancellation_to_the_base_tier_keeps_an_ended_membership_under_review_the_next_day():
    # Given a membership ended on 10 July and not lapsed yet, and a second one bought on 20 July
    rules = program()
    vip = rules.membership_plans[0]
    first, _ = buy(
        rules, TierStatus(), ENROLLED, date(2026, 6, 10), "m-1", vip.model_copy(update={"months": 1})
    )
    second, _ = buy(rules, first.status, ENROLLED, date(2026, 7, 20), "m-2", vip)
    # The first one's end is still the review day the run has to make: the run lapses it then
    assert second.status.review_on == date(2026, 7, 10)
    # When the second is cancelled the same day, dropping the member to the base tier
    cancelled = cancel(rules, second.status, ENROLLED, date(2026, 7, 20), "m-2")
    assert cancelled is not None
    # Then the ended one keeps its review day, and lapses on it, moving no tier
    assert (cancelled.status.tier_id, cancelled.status.review_on) == (None, date(2026, 7, 10))
    lapsed = lapse(rules, cancelled.status, ENROLLED, date(2026, 7, 10))
    assert lapsed is not None
    assert [(event.kind, event.period.membership_id) for event in lapsed.membership_events] == [
        ("lapsed", "m-1")
    ]
    assert (lapsed.change, lapsed.status.memberships, lapsed.status.review_on) == (None, (), None)
    # With no review still to come (a status left without one): the next day
    unreviewed = replace(cancelled.status, review_on=None)
    again, _ = buy(rules, unreviewed, ENROLLED, date(2026, 7, 25), "m-3", vip)
    assert again.status.review_on == date(2026, 7, 26)
