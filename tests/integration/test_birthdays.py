"""Birthday bonuses: once per member per year, on the day in the program's zone, 29 February on
28 February in common years, caught up after a missed schedule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from loyalty.models.api import EnrollRequest
from loyalty.operations import members
from loyalty.operations.birthdays import run_birthdays
from loyalty.store.job_store import JobStore
from tests.support.ledger import assert_adds_up, member_state


def shanghai(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def jobs(aws):
    return JobStore(aws.table_name)


def birthday_entries(aws, member_id):
    state = member_state(aws.dynamodb, aws.table_name, "shop", member_id)
    assert_adds_up(state)
    return [
        (entry["points"], entry["created_at"][:4])
        for entry in state.entries
        if entry.get("source") == "birthday"
    ]


def test_the_bonus_comes_once_on_the_local_birthday(aws, context, jobs):
    members.enroll(context, "shop", EnrollRequest(member_id="m1", birthday=date(1990, 3, 15)))

    before = run_birthdays(context, jobs, shanghai(date(2027, 3, 14), 23))
    on_the_day = run_birthdays(context, jobs, shanghai(date(2027, 3, 15), 0))
    again = run_birthdays(context, jobs, shanghai(date(2027, 3, 15), 9))

    assert (before.bonuses_given, on_the_day.bonuses_given, again.bonuses_given) == (0, 1, 0)
    assert birthday_entries(aws, "m1") == [(100, "2027")]


def test_29_february_is_celebrated_on_28_february_in_common_years_and_on_the_29th_in_leap_years(
    aws, context, jobs
):
    members.enroll(context, "shop", EnrollRequest(member_id="leap", birthday=date(2000, 2, 29)))

    run_birthdays(context, jobs, shanghai(date(2027, 2, 28), 1))
    run_birthdays(context, jobs, shanghai(date(2027, 3, 1), 1))
    run_birthdays(context, jobs, shanghai(date(2028, 2, 28), 1))
    leap_day = run_birthdays(context, jobs, shanghai(date(2028, 2, 29), 1))

    assert leap_day.bonuses_given == 1
    assert birthday_entries(aws, "leap") == [(100, "2027"), (100, "2028")]


def test_a_missed_schedule_still_gives_the_bonus_later_the_same_year(aws, context, jobs):
    members.enroll(context, "shop", EnrollRequest(member_id="m2", birthday=date(1985, 6, 2)))
    run_birthdays(context, jobs, shanghai(date(2027, 5, 30), 12))

    late = run_birthdays(context, jobs, shanghai(date(2027, 6, 5), 12))

    assert late.bonuses_given == 1
    assert birthday_entries(aws, "m2") == [(100, "2027")]
