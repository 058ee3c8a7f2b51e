"""Distribution figures of a program's purchasers: the 80/20, RFM segments, repeat purchases.

Pure functions over one compact row per purchasing member, made by the customers snapshot from
the member item's monthly figures (purchase revenue net of refunds, and purchases, per program-
local month, kept for the tier window). Windows are the last 1, 3, 6 or 12 months up to and
including the snapshot's month. Definitions (scores, segments) are in docs/reports.md."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

WINDOWS = (1, 3, 6, 12)  # months
SEGMENTS = ("champions", "loyal", "new", "promising", "at_risk", "hibernating", "lost")


@dataclass(frozen=True)
class CustomerRow:
    """One purchasing member: revenue (minor units) and purchases per window of WINDOWS, and the
    months since the last month with a purchase (0: the snapshot's month)."""

    revenue: tuple[int, ...]
    purchases: tuple[int, ...]
    recency: int

    def encode(self) -> str:
        return ":".join(str(n) for n in (*self.revenue, *self.purchases, self.recency))

    @staticmethod
    def decode(text: str) -> CustomerRow:
        numbers = [int(part) for part in text.split(":")]
        size = len(WINDOWS)
        return CustomerRow(tuple(numbers[:size]), tuple(numbers[size : 2 * size]), numbers[2 * size])


def month_index(month: str, as_of: date) -> int:
    """How many months before the snapshot's month a "YYYY-MM" bucket is (0: the same month)."""
    year, number = (int(part) for part in month.split("-"))
    return (as_of.year - year) * 12 + (as_of.month - number)


def customer_row(buckets: Mapping[str, Mapping[str, Any]], as_of: date) -> CustomerRow | None:
    """The member's row from its monthly buckets ({"YYYY-MM": {"s": spend, "n": purchases}}), or
    None for a member who bought nothing in the last 12 months."""
    by_age: dict[int, tuple[int, int]] = {}
    for month, figures in buckets.items():
        age = month_index(month, as_of)
        if 0 <= age < WINDOWS[-1]:
            spend = int((Decimal(str(figures.get("s", "0"))) * 100).to_integral_value())
            by_age[age] = (spend, int(figures.get("n", 0)))
    bought = [age for age, (_, count) in by_age.items() if count > 0]
    if not bought:
        return None
    return CustomerRow(
        revenue=tuple(sum(s for age, (s, _) in by_age.items() if age < months) for months in WINDOWS),
        purchases=tuple(sum(n for age, (_, n) in by_age.items() if age < months) for months in WINDOWS),
        recency=min(bought),
    )


def ratio(part: int, whole: int) -> float | None:
    if whole <= 0:
        return None
    return float((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def pareto(revenues: Sequence[int]) -> dict[str, Any]:
    """Share of revenue from the top 20% of purchasers (rounded up to whole members), and the
    curve: the share of revenue from the top 10%, 20%, ... 100% of them."""
    ordered = sorted((revenue for revenue in revenues), reverse=True)
    total, count = sum(ordered), len(ordered)
    top = math.ceil(count * 0.2)
    curve = []
    for tenth in range(1, 11):
        members = math.ceil(count * tenth / 10)
        curve.append(
            {
                "members_share": tenth / 10,
                "members": members,
                "revenue_share": ratio(sum(ordered[:members]), total),
            }
        )
    return {
        "top_20_percent_share": ratio(sum(ordered[:top]), total),
        "top_members": top,
        "purchasers": count,
        "curve": curve,
    }


def recency_score(months: int) -> int:
    return 5 if months == 0 else 4 if months == 1 else 3 if months == 2 else 2 if months <= 5 else 1


def frequency_score(purchases: int) -> int:
    return (
        1 if purchases <= 1 else 2 if purchases == 2 else 3 if purchases <= 4 else 4 if purchases <= 9 else 5
    )


def segment(recency: int, frequency: int) -> str:
    if recency >= 4 and frequency >= 4:
        return "champions"
    if recency >= 3 and frequency >= 3:
        return "loyal"
    if recency >= 4 and frequency == 1:
        return "new"
    if recency >= 3:
        return "promising"
    if frequency >= 3:
        return "at_risk"
    if recency == 1 and frequency == 1:
        return "lost"
    return "hibernating"


def rfm(rows: Sequence[CustomerRow]) -> dict[str, Any]:
    """Scores over the 12-month window: R by months since the last purchase, F by purchases, M by
    the purchaser's revenue quintile (rank among purchasers); segments from R and F."""
    year = len(WINDOWS) - 1
    ranked = sorted(range(len(rows)), key=lambda index: rows[index].revenue[year])
    monetary = {index: math.ceil(5 * (position + 1) / len(rows)) for position, index in enumerate(ranked)}
    figures = {name: {"members": 0, "revenue": 0} for name in SEGMENTS}
    scores = {axis: dict.fromkeys(range(1, 6), 0) for axis in ("r", "f", "m")}
    for index, row in enumerate(rows):
        r, f = recency_score(row.recency), frequency_score(row.purchases[year])
        scores["r"][r] += 1
        scores["f"][f] += 1
        scores["m"][monetary[index]] += 1
        figures[segment(r, f)]["members"] += 1
        figures[segment(r, f)]["revenue"] += row.revenue[year]
    total = sum(row.revenue[year] for row in rows)
    return {
        "segments": [
            {
                "segment": name,
                "members": figures[name]["members"],
                "revenue_minor": figures[name]["revenue"],
                "revenue_share": ratio(figures[name]["revenue"], total),
            }
            for name in SEGMENTS
        ],
        "scores": {axis: {str(score): n for score, n in counts.items()} for axis, counts in scores.items()},
    }


def window_months(as_of: date, first: date | None) -> int:
    """The shortest window of WINDOWS whose first month is no later than `first`'s month."""
    if first is None:
        return WINDOWS[-1]
    age = (as_of.year - first.year) * 12 + (as_of.month - first.month)
    return next((months for months in WINDOWS if months > age), WINDOWS[-1])


def customers(rows: Sequence[CustomerRow], months: int) -> dict[str, Any]:
    """Every figure of one window, revenue in minor units (the operation formats money)."""
    index = WINDOWS.index(months)
    buyers = [row for row in rows if row.purchases[index] > 0]
    revenues = [row.revenue[index] for row in buyers]
    repeat = sum(1 for row in buyers if row.purchases[index] >= 2)
    return {
        "purchasers": len(buyers),
        "revenue_minor": sum(revenues),
        "pareto": pareto(revenues),
        "rfm": rfm(rows),
        "repeat_purchase_rate": ratio(repeat, len(buyers)),
        "repeat_purchasers": repeat,
    }
