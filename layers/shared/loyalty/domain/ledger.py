"""The points ledger's arithmetic: how a credit or a debit changes an account and its lots.

Invariants every posting keeps (and `check_wallet` verifies):
- available, pending, held and debt are never negative;
- available + pending equals the points left in the member's open lots;
- a debit takes points from lots oldest expiry first (lots that never expire last);
- a member with debt (clawback the balance could not cover) settles it from the next credits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Literal

from loyalty.errors import InsufficientPointsError

NEVER = date.max  # sort key of lots that do not expire


@dataclass(frozen=True)
class Account:
    available: int = 0
    pending: int = 0
    held: int = 0
    debt: int = 0
    version: int = 0  # ledger entries so far: the next entry's sequence number is version + 1

    @property
    def next_seq(self) -> int:
        return self.version + 1


@dataclass(frozen=True)
class Lot:
    """The member's points that share one expiry date (credits with the same date merge, so a
    member has at most a few dozen lots and any debit fits in one transaction)."""

    expires_on: date | None
    remaining: int

    @property
    def spend_order(self) -> date:
        return self.expires_on or NEVER


@dataclass(frozen=True)
class LotDraw:
    lot: Lot
    points: int

    @property
    def remaining_after(self) -> int:
        return self.lot.remaining - self.points


@dataclass(frozen=True)
class LotCredit:
    expires_on: date | None
    points: int


@dataclass(frozen=True)
class Posting:
    """One balance change: the account before and after, its signed ledger amount and lot moves."""

    before: Account
    after: Account
    points: int
    lot_credit: LotCredit | None = None
    draws: tuple[LotDraw, ...] = ()
    debt_settled: int = 0
    debt_incurred: int = 0

    @property
    def seq(self) -> int:
        return self.after.version


def credit(account: Account, points: int, expires_on: date | None) -> Posting:
    """Credit `points`; outstanding debt is settled first, only the rest becomes spendable."""
    if points < 0:
        raise ValueError("a credit is not negative")
    settled = min(account.debt, points)
    net = points - settled
    after = replace(
        account, available=account.available + net, debt=account.debt - settled, version=account.next_seq
    )
    lot = LotCredit(expires_on=expires_on, points=net) if net else None
    return Posting(before=account, after=after, points=net, lot_credit=lot, debt_settled=settled)


def debit(
    account: Account,
    lots: list[Lot],
    points: int,
    *,
    shortfall: Literal["refuse", "debt"] = "refuse",
) -> Posting:
    """Take `points` from available, oldest-expiring lots first.

    `shortfall="refuse"` raises when available is not enough (redemptions, deductions);
    `shortfall="debt"` takes what there is and records the rest as debt (refund clawbacks),
    so the balance never goes negative and no point given for a refunded order survives.
    """
    if points < 0:
        raise ValueError("a debit is not negative")
    check_wallet(account, lots)
    if points > account.available and shortfall == "refuse":
        raise InsufficientPointsError(f"{points} points needed, {account.available} available")
    taken = min(points, account.available)
    draws: list[LotDraw] = []
    left = taken
    for lot in sorted(lots, key=lambda lot: lot.spend_order):
        if left == 0:
            break
        take = min(lot.remaining, left)
        if take:
            draws.append(LotDraw(lot=lot, points=take))
            left -= take
    incurred = points - taken
    after = replace(
        account, available=account.available - taken, debt=account.debt + incurred, version=account.next_seq
    )
    return Posting(before=account, after=after, points=-taken, draws=tuple(draws), debt_incurred=incurred)


class LedgerCorruptionError(RuntimeError):
    """Stored balance and lots disagree: never expected; refuse to post rather than guess."""


def check_wallet(account: Account, lots: list[Lot]) -> None:
    in_lots = sum(lot.remaining for lot in lots)
    if in_lots != account.available + account.pending or any(lot.remaining < 0 for lot in lots):
        raise LedgerCorruptionError(
            f"lots hold {in_lots} points but available + pending is {account.available + account.pending}"
        )
