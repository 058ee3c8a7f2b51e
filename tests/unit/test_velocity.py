"""Velocity rules counted over the member's recent earns (domain/velocity.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from loyalty.domain.velocity import velocity_of_earn
from loyalty.models.program import MAX_VELOCITY_EARNS, Program, default_program

NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)


def program(*rules: dict[str, object]) -> Program:
    document = default_program().model_dump(mode="json")
    document["risk"] = {"velocity": list(rules)}
    return Program.model_validate(document)


def earns(*minutes_ago_and_points: tuple[int, int]) -> dict[str, object]:
    return {
        "velocity": [[int((NOW - timedelta(minutes=m)).timestamp()), p, 1] for m, p in minutes_ago_and_points]
    }


def test_an_earn_past_the_count_or_the_points_in_the_window_breaches_and_older_earns_do_not_count():
    rules = program(
        {"window_minutes": 60, "max_earns": 2},
        {"window_minutes": 10, "max_points": 100, "action": "freeze"},
    )

    within = velocity_of_earn(earns((61, 500), (30, 10)), rules, NOW, 10)
    by_count = velocity_of_earn(earns((59, 10), (30, 10)), rules, NOW, 10)
    by_points = velocity_of_earn(earns((9, 60)), rules, NOW, 41)

    assert (within.withhold, len(within.recent)) == (False, 2)  # the 61-minute-old earn is dropped
    assert (by_count.withhold, by_count.freeze) == (True, False)
    assert (by_points.withhold, by_points.freeze) == (True, True)
    assert by_points.reason() == "more than 100 points in 10 minutes"


def test_an_earn_of_no_points_is_not_counted_and_no_rules_keep_nothing():
    rules = program({"window_minutes": 60, "max_earns": 1})
    assert velocity_of_earn(earns((1, 10)), rules, NOW, 0).withhold is False
    assert velocity_of_earn(earns((1, 10)), default_program(), NOW, 10).recent == []


def test_beyond_the_kept_earns_the_oldest_merge_and_still_count():
    rules = program({"window_minutes": 10_000, "max_earns": MAX_VELOCITY_EARNS})
    full = earns(*[(100 + n, 1) for n in range(MAX_VELOCITY_EARNS)])

    one_more = velocity_of_earn(full, rules, NOW, 1)

    assert len(one_more.recent) == MAX_VELOCITY_EARNS
    assert sum(earn[2] for earn in one_more.recent) == MAX_VELOCITY_EARNS + 1
    assert one_more.withhold is True


def test_a_rule_limits_something():
    with pytest.raises(ValidationError):
        program({"window_minutes": 60, "action": "review"})
