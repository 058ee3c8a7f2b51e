"""How many points a purchase earns under a program (the default rule until program rules land)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from loyalty.models.program import Program


@dataclass(frozen=True)
class Award:
    points: int
    explanation: list[str]


def purchase_award(program: Program, amount: Decimal) -> Award:
    rate = program.earn.points_per_unit
    points = int((amount * rate).to_integral_value(rounding=ROUND_FLOOR))
    return Award(
        points=points,
        explanation=[f"base: {rate} point(s) per 1 {program.currency}, {amount} -> {points} (rounded down)"],
    )


def signup_award(program: Program) -> Award:
    return Award(points=program.signup_bonus, explanation=[f"signup bonus: {program.signup_bonus}"])
