"""A points lottery's draw: a roll in [0, total weight) from a random source the caller gives
(secrets.SystemRandom in production, a seeded random.Random in tests), mapped onto the prize
table by cumulative weights; a prize that ran out falls back as the lottery says. Integers only."""

from __future__ import annotations

import random
from dataclasses import dataclass

from loyalty.models.rewards import Lottery, Prize


def total_weight(lottery: Lottery) -> int:
    return sum(prize.weight for prize in lottery.prizes) + lottery.empty_weight


def roll(lottery: Lottery, source: random.Random) -> int:
    return source.randrange(total_weight(lottery))


def prize_for(lottery: Lottery, rolled: int) -> Prize | None:
    """The prize whose slice of [0, total weight) holds `rolled`; None for the empty slice (last)."""
    if not 0 <= rolled < total_weight(lottery):
        raise ValueError("roll outside the prize table")
    edge = 0
    for prize in lottery.prizes:
        edge += prize.weight
        if rolled < edge:
            return prize
    return None


@dataclass(frozen=True)
class Outcome:
    drawn: Prize | None  # what the roll hit
    won: Prize | None  # what the member gets (after any fallback)

    @property
    def fell_back(self) -> bool:
        return self.drawn is not None and self.won is not self.drawn


def outcome(lottery: Lottery, rolled: int, stock: dict[str, int]) -> Outcome:
    """`stock` is what is left of each limited prize (a prize PUT without stock is unlimited)."""
    drawn = prize_for(lottery, rolled)
    if drawn is None or drawn.stock is None or (stock.get(drawn.prize_id) or 0) > 0:
        return Outcome(drawn, drawn)
    fallback = next((prize for prize in lottery.prizes if prize.prize_id == lottery.fallback_prize_id), None)
    return Outcome(drawn, fallback)
