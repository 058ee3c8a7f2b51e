"""Draw outcomes follow the prize table: a statistical test with a fixed seed, fallbacks."""

from __future__ import annotations

import random

import pytest

from loyalty.domain.lottery import outcome, prize_for, roll, total_weight
from loyalty.models.rewards import Lottery

TABLE = Lottery.model_validate(
    {
        "name": "Spring draw",
        "points_cost": 10,
        "prizes": [
            {"prize_id": "car", "name": "Car", "weight": 1, "stock": 1},
            {"prize_id": "mug", "name": "Mug", "weight": 19, "stock": 50},
            {"prize_id": "thanks", "name": "Sticker", "weight": 30},
        ],
        "empty_weight": 50,
        "fallback_prize_id": "thanks",
    }
)


def test_outcomes_match_the_prize_table_with_a_seeded_source():
    # Given a seeded source and 100,000 draws
    source = random.Random(20261123)
    draws = 100_000
    counts: dict[str | None, int] = {}
    for _ in range(draws):
        prize = prize_for(TABLE, roll(TABLE, source))
        key = prize.prize_id if prize else None
        counts[key] = counts.get(key, 0) + 1

    # Then the frequencies match the weights (Pearson's chi-square, 3 degrees of freedom: the
    # 99.9% quantile is 16.27), and every outcome occurred
    expected = {"car": 0.01, "mug": 0.19, "thanks": 0.30, None: 0.50}
    chi_square = sum((counts.get(key, 0) - draws * p) ** 2 / (draws * p) for key, p in expected.items())
    assert chi_square < 16.27, (counts, chi_square)
    assert set(counts) == set(expected)


def test_slices_are_the_cumulative_weights_in_order():
    assert total_weight(TABLE) == 100
    assert [prize_for(TABLE, rolled) for rolled in (0, 1, 19)] == [
        TABLE.prizes[0],
        TABLE.prizes[1],
        TABLE.prizes[1],
    ]
    assert prize_for(TABLE, 20) == TABLE.prizes[2]
    assert prize_for(TABLE, 50) is None
    with pytest.raises(ValueError, match="outside"):
        prize_for(TABLE, 100)


def test_a_prize_that_ran_out_falls_back_as_the_lottery_says():
    drawn = outcome(TABLE, 0, {"car": 0, "mug": 3})
    assert (drawn.drawn.prize_id, drawn.won.prize_id, drawn.fell_back) == ("car", "thanks", True)  # type: ignore[union-attr]
    assert outcome(TABLE, 0, {"car": 1}).won == TABLE.prizes[0]
    nothing = TABLE.model_copy(update={"fallback_prize_id": None})
    assert outcome(nothing, 0, {"car": 0}).won is None
    assert outcome(TABLE, 99, {}).won is None


def test_the_fallback_must_be_an_unlimited_prize():
    with pytest.raises(ValueError, match="unlimited"):
        Lottery.model_validate({**TABLE.model_dump(), "fallback_prize_id": "mug"})
