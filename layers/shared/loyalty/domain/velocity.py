"""Velocity rules: how much a member may earn (purchases and activities) within a sliding window.

The member's recent earns are kept on the member item (`counters["velocity"]`: `[at, points,
earns]`, `at` in epoch seconds) and written by the earn's own transaction under the member's
version condition, so concurrent earns are serialised: each one counts every earn committed
before it, and none slips past a limit. Earns older than the longest window are dropped as the
list is written; beyond `MAX_VELOCITY_EARNS` entries the two oldest are merged into one dated
like the newer of them, which counts them for longer, never for less (a limit is never missed).

An earn breaches a rule when, with it, the window holds more earns than `max_earns` or more
points than `max_points`. Its points are then withheld (recorded, not spendable) until an admin
resolves the review; a `freeze` rule also freezes the member."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from loyalty.models.program import MAX_VELOCITY_EARNS, Program, VelocityRule

VELOCITY = "velocity"  # the counters' key


@dataclass(frozen=True)
class Velocity:
    """An earn as the velocity rules see it: the member's recent earns with it, and the rules it
    breaches (empty: within every limit)."""

    recent: list[list[int]]
    breached: tuple[VelocityRule, ...] = ()

    @property
    def withhold(self) -> bool:
        return bool(self.breached)

    @property
    def freeze(self) -> bool:
        return any(rule.action == "freeze" for rule in self.breached)

    def reason(self) -> str:
        return "; ".join(describe(rule) for rule in self.breached)


def describe(rule: VelocityRule) -> str:
    limits = []
    if rule.max_earns is not None:
        limits.append(f"{rule.max_earns} earns")
    if rule.max_points is not None:
        limits.append(f"{rule.max_points} points")
    return f"more than {' or '.join(limits)} in {rule.window_minutes} minutes"


def velocity_of_earn(counters: Mapping[str, Any], program: Program, now: datetime, points: int) -> Velocity:
    """The member's recent earns with this one, and the rules it breaches. An earn of no points
    (a limit reached, the program ended) is not counted and breaches nothing."""
    rules = program.risk.velocity
    recent = [list(map(int, earn)) for earn in counters.get(VELOCITY) or ()]
    if not rules:
        return Velocity(recent=[])
    longest = max(rule.window_minutes for rule in rules)
    at = int(now.timestamp())
    recent = [earn for earn in recent if earn[0] > at - longest * 60]
    if points <= 0:
        return Velocity(recent=recent)
    recent.append([at, points, 1])
    breached = tuple(rule for rule in rules if _breaches(rule, recent, now))
    return Velocity(recent=_bounded(recent), breached=breached)


def _breaches(rule: VelocityRule, recent: Sequence[list[int]], now: datetime) -> bool:
    since = int((now - timedelta(minutes=rule.window_minutes)).timestamp())
    inside = [earn for earn in recent if earn[0] > since]
    earns, points = sum(earn[2] for earn in inside), sum(earn[1] for earn in inside)
    return (rule.max_earns is not None and earns > rule.max_earns) or (
        rule.max_points is not None and points > rule.max_points
    )


def _bounded(recent: list[list[int]]) -> list[list[int]]:
    while len(recent) > MAX_VELOCITY_EARNS:
        (_, first_points, first_earns), (at, points, earns) = recent[0], recent[1]
        recent = [[at, first_points + points, first_earns + earns], *recent[2:]]
    return recent
