"""Properties of purchase evaluation over random small programs and purchases: deterministic,
never negative, never above what the daily cap leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty.domain.awards import MemberFacts, Purchase
from loyalty.domain.rules import evaluate_purchase
from loyalty.models.api import PurchaseRequest
from loyalty.models.program import Program
from loyalty.operations.purchases import purchase_of

SKUS = ["A", "B", "C"]
CATEGORIES = ["shoes", "food", "misc"]
CHANNELS = ["app", "store", "online"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
START = datetime(2026, 1, 1, tzinfo=UTC)

multipliers = st.sampled_from(["0", "0.5", "1", "1.25", "2", "3"])
campaign_multipliers = st.sampled_from(["1", "1.5", "2", "3"])
amounts = st.integers(min_value=1, max_value=2_000_000).map(lambda cents: f"{cents // 100}.{cents % 100:02d}")


@st.composite
def programs(draw: st.DrawFn) -> Program:
    item_rules = [
        {
            "id": f"r{index}",
            "match": draw(
                st.sampled_from(
                    [
                        {"skus": [draw(st.sampled_from(SKUS))]},
                        {"categories": [draw(st.sampled_from(CATEGORIES))]},
                    ]
                )
            ),
            "multiplier": draw(multipliers),
            "bonus_points": draw(st.none() | st.integers(0, 100)),
        }
        for index in range(draw(st.integers(0, 3)))
    ]
    campaigns = []
    for index in range(draw(st.integers(0, 3))):
        target: dict[str, Any] = {}
        if draw(st.booleans()):
            target["categories"] = [draw(st.sampled_from(CATEGORIES))]
        if draw(st.booleans()):
            target["channels"] = [draw(st.sampled_from(CHANNELS))]
        campaigns.append(
            {
                "id": f"c{index}",
                "name": f"Campaign {index}",
                "recurrence": draw(
                    st.none()
                    | st.builds(
                        lambda days: {"weekly": days},
                        st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True),
                    )
                ),
                "multiplier": draw(campaign_multipliers),
                "bonus_points": draw(st.none() | st.integers(0, 200)),
                "target": target,
            }
        )
    return Program.model_validate(
        {
            "timezone": draw(st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "UTC"])),
            "earn": {
                "points_per_unit": draw(st.integers(0, 10)),
                "rounding": draw(st.sampled_from(["down", "nearest", "up"])),
                "minimum_purchase": draw(st.none() | st.sampled_from(["1.00", "50.00"])),
                "max_age_days": draw(st.none() | st.integers(0, 30)),
                "pending_days": draw(st.integers(0, 14)),
            },
            "item_rules": item_rules,
            "channel_rules": draw(st.dictionaries(st.sampled_from(CHANNELS), multipliers, max_size=3)),
            "tiers": [
                {"id": "base", "name": "Base"},
                {"id": "silver", "name": "Silver", "earn_multiplier": draw(multipliers)},
            ],
            "campaigns": campaigns,
            "campaign_stacking": draw(st.sampled_from(["multiply", "add", "best"])),
            "caps": {"daily_points_per_member": draw(st.none() | st.integers(0, 5000))},
        }
    )


@st.composite
def purchases(draw: st.DrawFn, now: datetime) -> Purchase:
    lines = draw(
        st.none()
        | st.lists(
            st.fixed_dictionaries(
                {
                    "sku": st.sampled_from(SKUS),
                    "category": st.none() | st.sampled_from(CATEGORIES),
                    "amount": amounts,
                    "quantity": st.integers(1, 5),
                }
            ),
            min_size=1,
            max_size=4,
        )
    )
    occurred = draw(
        st.none() | st.integers(-72, 72).map(lambda hours: (now + timedelta(hours=hours)).isoformat())
    )
    body = {
        "order_id": "o",
        "member_id": "m",
        "amount": draw(amounts),
        "currency": "CNY",
        "items": lines,
        "channel": draw(st.none() | st.sampled_from(CHANNELS)),
        "occurred_at": occurred,
    }
    return purchase_of(PurchaseRequest.model_validate(body))


@st.composite
def cases(draw: st.DrawFn) -> tuple[Program, Purchase, MemberFacts, datetime]:
    now = START + timedelta(minutes=draw(st.integers(0, 366 * 24 * 60)))
    member = MemberFacts(
        tier=draw(st.sampled_from([None, "base", "silver", "gone"])),
        points_earned_today=draw(st.integers(0, 6000)),
    )
    return draw(programs()), draw(purchases(now)), member, now


@settings(max_examples=200, deadline=None)
@given(cases())
def test_given_any_program_and_purchase_when_evaluated_then_deterministic_non_negative_and_within_the_cap(
    case,
):
    program, purchase, member, now = case
    award = evaluate_purchase(program, purchase, member, now)
    assert award == evaluate_purchase(program, purchase, member, now)
    assert isinstance(award.points, int)
    assert award.points >= 0
    assert award.explanation
    cap = program.caps.daily_points_per_member
    if cap is not None:
        assert award.points <= max(0, cap - member.points_earned_today)
    if award.points == 0:
        assert award.pending_until is None
