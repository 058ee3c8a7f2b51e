from __future__ import annotations

from datetime import date

import pytest

from loyalty.domain.birthdays import celebrated_on, month_days_celebrated


@pytest.mark.parametrize(
    ("birthday", "year", "expected"),
    [
        (date(2000, 2, 29), 2027, date(2027, 2, 28)),
        (date(2000, 2, 29), 2028, date(2028, 2, 29)),
        (date(1990, 12, 31), 2027, date(2027, 12, 31)),
    ],
)
def test_celebrated_on(birthday, year, expected):
    assert celebrated_on(birthday, year) == expected


def test_28_february_of_a_common_year_also_celebrates_the_29th():
    assert month_days_celebrated(date(2027, 2, 28)) == ["02-28", "02-29"]
    assert month_days_celebrated(date(2028, 2, 28)) == ["02-28"]
    assert month_days_celebrated(date(2028, 2, 29)) == ["02-29"]
