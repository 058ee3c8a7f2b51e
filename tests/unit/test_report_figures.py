"""Report arithmetic on hand-computed cases: what each stream record adds, and the figures."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from loyalty.domain import customers, reports
from loyalty.domain.analytics import StreamChange, answered, changes_to_tally, member_state, report_shard
from loyalty.models.program import default_program

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 2026-11-24 01:00 in Shanghai


def zone(_: str) -> ZoneInfo:
    return SHANGHAI


def entry(**fields):
    base = {"PK": "T#t#M#m1", "SK": "LEDGER#000000000002", "tenant_id": "t", "member_id": "m1"}
    return StreamChange("1", "INSERT", {**base, "created_at": AT.isoformat(), **fields}, None, AT)


def day_counts(change):
    tally = changes_to_tally(change, zone).nonzero()
    return tally[("t", report_shard("t", "m1"), "DAY#2026-11-24")]


def test_an_entry_counts_on_its_program_local_day_by_type_and_source():
    assert day_counts(entry(type="earn", source="purchase", points=30, rule_ids=["base", "promo"])) == {
        "issued|purchase": 30,
        "liability_change": 30,
        "rule|base|points": 30,
        "rule|base|credits": 1,
        "rule|promo|points": 30,
        "rule|promo|credits": 1,
    }
    assert day_counts(entry(type="adjust", source="import", points=50)) == {
        "issued|import": 50,
        "liability_change": 50,
    }
    assert day_counts(entry(type="adjust", source="admin", points=-10)) == {
        "adjusted": -10,
        "liability_change": -10,
    }
    assert day_counts(entry(type="redeem", source="catalog", points=-40)) == {
        "redeemed": 40,
        "redemptions": 1,
        "liability_change": -40,
    }
    assert day_counts(entry(type="redeem_cancel", source="catalog", points=40)) == {
        "redeemed": -40,
        "liability_change": 40,
    }
    assert day_counts(entry(type="redeem_refund", source="checkout", points=25)) == {
        "redeemed": -25,
        "liability_change": 25,
    }
    assert day_counts(entry(type="expire", points=-7)) == {"expired": 7, "liability_change": -7}
    assert day_counts(entry(type="clawback", points=-5)) == {"clawed_back": 5, "liability_change": -5}
    assert changes_to_tally(entry(type="hold", points=0), zone).nonzero() == {}


def test_a_members_state_counts_balances_tier_and_lots_by_expiry_and_maturity():
    image = {
        "available": 100,
        "pending": 30,
        "held": 5,
        "tier": {"id": "silver"},
        "lots": {"A#2027-01-31": 60, "A#9999-12-31": 40, "P#2026-12-01#2028-11-30": 30},
    }
    assert member_state(image) == Counter(
        {
            "available": 100,
            "pending": 30,
            "held": 5,
            "members": 1,
            "tier|silver": 1,
            "expires|2027-01-31": 60,
            "expires|2028-11-30": 30,
            "matures|2026-12-01": 30,
        }
    )
    assert member_state({"lots": {}})["tier|_base"] == 1


def test_a_member_modify_counts_only_the_difference():
    old = {
        "PK": "T#t#M#m1",
        "SK": "MEMBER",
        "tenant_id": "t",
        "member_id": "m1",
        "available": 100,
        "lots": {"A#2027-01-31": 100},
    }
    new = {**old, "available": 70, "lots": {"A#2027-01-31": 70}}
    tally = changes_to_tally(StreamChange("2", "MODIFY", new, old, AT), zone).nonzero()
    shard = report_shard("t", "m1")
    assert tally == {
        ("t", shard, "STATE"): {"available": -30},
        ("t", shard, "EXPIRES#2027-01"): {"d31": -30},
    }


def test_liability_counts_pending_points_past_their_date_as_available_and_values_them():
    program = default_program()  # 100 points = 1.00 CNY
    state = {"available": 1000, "pending": 300, "held": 34}
    matures = {date(2026, 11, 20): 100, date(2026, 12, 5): 200}
    assert reports.liability(state, matures, date(2026, 11, 24), program) == {
        "points": 1334,
        "available": 1100,
        "pending": 200,
        "held": 34,
        "withheld": 0,
        "value": {"amount": "13.34", "currency": "CNY"},
    }


def test_the_expiry_forecast_includes_lots_overdue_and_within_each_horizon():
    expires = {date(2026, 11, 20): 5, date(2026, 12, 20): 10, date(2027, 2, 1): 20, date(2027, 11, 24): 40}
    assert reports.expiring(expires, date(2026, 11, 24)) == {
        "next_30_days": 15,
        "next_90_days": 35,
        "next_365_days": 75,
    }


def test_periods_start_on_mondays_and_first_days_of_months():
    assert reports.periods(date(2026, 11, 27), date(2026, 12, 8), "week") == [
        date(2026, 11, 23),
        date(2026, 11, 30),
        date(2026, 12, 7),
    ]
    assert reports.periods(date(2026, 11, 27), date(2027, 1, 1), "month") == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]


def test_the_top_20_percent_is_rounded_up_to_whole_members():
    assert customers.pareto([80000, 80000, *[5000] * 8])["top_20_percent_share"] == 0.8  # 2 x 800 of 2,000
    eleven = customers.pareto([100] * 11)
    assert (eleven["top_members"], eleven["top_20_percent_share"]) == (3, 0.2727)
    assert customers.pareto([])["top_20_percent_share"] is None


def test_rfm_segments_from_recency_and_frequency_scores():
    assert customers.segment(customers.recency_score(0), customers.frequency_score(5)) == "champions"
    assert customers.segment(customers.recency_score(2), customers.frequency_score(3)) == "loyal"
    assert customers.segment(customers.recency_score(1), customers.frequency_score(1)) == "new"
    assert customers.segment(customers.recency_score(2), customers.frequency_score(2)) == "promising"
    assert customers.segment(customers.recency_score(4), customers.frequency_score(6)) == "at_risk"
    assert customers.segment(customers.recency_score(4), customers.frequency_score(1)) == "hibernating"
    assert customers.segment(customers.recency_score(9), customers.frequency_score(1)) == "lost"


def test_a_customer_row_sums_the_windows_of_its_monthly_buckets():
    buckets = {
        "2026-11": {"s": "100.50", "n": 2},
        "2026-09": {"s": "40.00", "n": 1},
        "2025-10": {"s": "9.00", "n": 1},
    }
    row = customers.customer_row(buckets, date(2026, 11, 24))
    assert row == customers.CustomerRow(
        revenue=(10050, 14050, 14050, 14050), purchases=(2, 3, 3, 3), recency=0
    )
    assert customers.CustomerRow.decode(row.encode()) == row
    assert customers.customer_row({"2026-11": {"s": "-5.00", "n": 0}}, date(2026, 11, 24)) is None
    assert customers.window_months(date(2026, 11, 24), date(2026, 9, 1)) == 3


def test_a_spend_answers_each_open_cue_of_the_last_30_days_once():
    cues = {
        ("reminder", date(2026, 11, 1)): False,
        ("reminder", date(2026, 10, 1)): False,
        ("birthday", date(2026, 11, 2)): True,
    }
    assert answered(cues, date(2026, 11, 20)) == [("reminder", date(2026, 11, 1))]
