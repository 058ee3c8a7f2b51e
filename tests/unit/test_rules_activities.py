"""Activities (limits per period, per-activity caps, the daily cap), signup and referral."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from loyalty.domain.awards import MemberFacts
from loyalty.domain.counters import activity_keys, activity_period_key
from loyalty.domain.rules import (
    evaluate_activity,
    evaluate_referral,
    evaluate_signup,
)
from loyalty.errors import InvalidRequestError
from loyalty.models.program import Program, standard_activities

NOW = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 23 November 12:00 in Shanghai
LATE = datetime(2026, 11, 23, 16, 30, tzinfo=UTC)  # already 24 November 00:30 in Shanghai


def program(**fields: Any) -> Program:
    activities = {key: rule.model_dump() for key, rule in standard_activities().items()}
    activities["webinar"] = {"points": 40}
    defaults = {
        "activities": activities,
        "caps": {
            "daily_points_per_member": 1000,
            "per_activity": {"review": {"points": 50, "period": "month"}},
        },
    }
    return Program.model_validate({**defaults, **fields})


@pytest.mark.parametrize(
    ("period", "day", "key"),
    [
        ("ever", date(2026, 11, 23), "test_drive#ever"),
        ("day", date(2026, 11, 23), "test_drive#D#2026-11-23"),
        ("month", date(2026, 11, 23), "test_drive#M#2026-11"),
        ("month", date(2027, 1, 5), "test_drive#M#2027-01"),
    ],
    ids=["ever", "day", "month", "month-padded"],
)
def test_given_a_period_when_keyed_then_the_key_names_the_program_local_period(period, day, key):
    assert activity_period_key("test_drive", period, day) == key


@pytest.mark.parametrize(
    ("activity", "counts", "now", "points", "reason"),
    [
        ("test_drive", {}, NOW, 200, None),
        ("test_drive", {"test_drive#ever": 1}, NOW, 0, "limit_reached"),
        ("review", {"review#D#2026-11-23": 2}, NOW, 20, None),
        ("review", {"review#D#2026-11-23": 3}, NOW, 0, "limit_reached"),
        ("review", {"review#D#2026-11-22": 3}, NOW, 20, None),
        ("review", {"review#D#2026-11-23": 3}, LATE, 20, None),  # a new program-local day
        ("review", {"review#D#2026-11-24": 3}, LATE, 0, "limit_reached"),
        ("survey", {"survey#M#2026-11": 1}, NOW, 0, "limit_reached"),
        ("survey", {"survey#M#2026-10": 1}, NOW, 50, None),
        ("repair", {"repair#M#2026-11": 1}, NOW, 100, None),
        ("repair", {"repair#M#2026-11": 2}, NOW, 0, "limit_reached"),
        ("webinar", {"webinar#ever": 99}, NOW, 40, None),  # program-defined, no limit
    ],
    ids=[
        "once-ever-first",
        "once-ever-again",
        "3-per-day-third",
        "3-per-day-fourth",
        "yesterday-does-not-count",
        "shanghai-day-rolled-over",
        "shanghai-day-counted",
        "1-per-month-reached",
        "last-month-does-not-count",
        "2-per-month-second",
        "2-per-month-third",
        "program-defined",
    ],
)
def test_given_activity_limits_when_an_activity_is_reported_then_the_limit_decides(
    activity, counts, now, points, reason
):
    award = evaluate_activity(program(), activity, MemberFacts(activity_counts=counts), now)
    assert (award.points, award.reason) == (points, reason)
    assert award.rule_ids[0] == f"activity:{activity}"


@pytest.mark.parametrize(
    ("earned_this_month", "points", "capped", "reason"),
    [(0, 20, False, None), (30, 20, False, None), (40, 10, True, None), (50, 0, True, "activity_cap")],
    ids=["fresh", "reaches-exactly", "cut-mid-award", "cap-reached"],
)
def test_given_a_per_activity_cap_when_it_is_crossed_then_the_award_is_cut(
    earned_this_month, points, capped, reason
):
    member = MemberFacts(activity_points={"review#M#2026-11": earned_this_month})
    award = evaluate_activity(program(), "review", member, NOW)
    assert (award.points, award.capped, award.reason) == (points, capped, reason)
    if capped:
        assert f"review cap 50 per month: {earned_this_month} earned, cut to {points}" in award.explanation
        assert "cap:activity:review" in award.rule_ids


def test_given_the_daily_cap_when_an_activity_crosses_it_then_it_is_cut_and_explained():
    award = evaluate_activity(program(), "test_drive", MemberFacts(points_earned_today=900), NOW)
    assert (award.points, award.capped, award.rule_ids) == (100, True, ["activity:test_drive", "cap:daily"])
    assert award.explanation[-1] == "daily cap 1000: 900 already earned today, 200 cut to 100"


def test_given_the_daily_cap_reached_when_an_activity_is_reported_then_nothing_is_earned():
    award = evaluate_activity(program(), "webinar", MemberFacts(points_earned_today=1000), NOW)
    assert (award.points, award.capped, award.reason) == (0, True, "daily_cap")


def test_given_an_unknown_activity_type_when_reported_then_a_domain_error_is_raised():
    with pytest.raises(InvalidRequestError, match="karaoke"):
        evaluate_activity(program(), "karaoke", MemberFacts(), NOW)


def test_given_a_limit_and_a_cap_when_asking_which_counters_matter_then_both_periods_are_listed():
    assert activity_keys(program(), "review", LATE) == ["review#D#2026-11-24", "review#M#2026-11"]
    assert activity_keys(program(), "webinar", NOW) == []


@pytest.mark.parametrize(
    ("bonus", "points", "reason"), [(100, 100, None), (0, 0, "no_signup_bonus")], ids=["100", "none"]
)
def test_given_a_signup_bonus_when_a_member_enrolls_then_it_is_awarded(bonus, points, reason):
    award = evaluate_signup(Program.model_validate({"signup_bonus": bonus}), NOW)
    assert (award.points, award.reason) == (points, reason)


@pytest.mark.parametrize(
    ("referral", "first_purchase", "points", "reason"),
    [
        ({"referrer_points": 500}, True, 500, None),
        ({"referrer_points": 500}, False, 0, "not_first_purchase"),
        (None, True, 0, "no_referral_rule"),
    ],
    ids=["first-purchase", "later-purchase", "no-referral-rule"],
)
def test_given_a_referral_rule_when_the_referee_buys_then_only_the_first_purchase_pays(
    referral, first_purchase, points, reason
):
    award = evaluate_referral(
        Program.model_validate({"referral": referral}), MemberFacts(first_purchase=first_purchase), NOW
    )
    assert (award.points, award.reason) == (points, reason)
