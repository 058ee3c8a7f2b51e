"""The points ledger's arithmetic: how a credit or a debit changes an account and its lots.

Invariants every posting keeps (and `check_wallet` verifies):
- available, pending, held, withheld and debt are never negative;
- available + pending + held + withheld = the sum of the member's entries (withheld: what a frozen
  member earned, outside any lot until an unfreeze releases or forfeits it);
- available equals the points left in available lots, pending those in pending lots;
- a debit takes points from lots oldest expiry first (lots that never expire last);
- pending lots (purchase points inside the return window) mature into available lots on their
  date: a read shows them matured at once, the next debit writes the maturation;
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
    withheld: int = 0  # earned while frozen: in no lot, not spendable, until released or forfeited
    status: Literal["active", "frozen", "erased"] = "active"  # erased: the person is gone, the id reserved

    @property
    def next_seq(self) -> int:
        return self.version + 1


@dataclass(frozen=True)
class Lot:
    """The member's points that share one expiry date (and, while pending, one maturity date).

    Credits with the same dates merge, so a member has a few dozen lots and any debit fits in one
    transaction."""

    expires_on: date | None
    remaining: int
    available_on: date | None = None  # set while the points are pending

    @property
    def key(self) -> tuple[date | None, date | None]:
        return (self.available_on, self.expires_on)

    @property
    def spend_order(self) -> date:
        return self.expires_on or NEVER


@dataclass(frozen=True)
class LotCredit:
    expires_on: date | None
    points: int
    available_on: date | None = None


@dataclass(frozen=True)
class Posting:
    """One balance change: the account before and after, its signed ledger amount and lot moves."""

    before: Account
    after: Account
    points: int
    lots_after: tuple[Lot, ...] = ()  # the member's lots once the posting is applied
    lot_credit: LotCredit | None = None
    drawn: tuple[tuple[Lot, int], ...] = ()  # (lot as it was, points taken), for explanations and tests
    debt_settled: int = 0
    debt_incurred: int = 0
    withheld: int = 0  # points moved into (+) or out of (-) withheld

    @property
    def seq(self) -> int:
        return self.after.version


def credit(
    account: Account,
    lots: list[Lot],
    points: int,
    expires_on: date | None,
    *,
    today: date,
    available_on: date | None = None,
    withhold: bool = False,
    freeze: bool = False,
) -> Posting:
    """Credit `points` (pending until `available_on` when given), after maturing what is due by
    `today`, so the answer and the stored balance agree with a read; debt is settled first.
    A frozen member's credit, or one a velocity rule `withhold`s, goes to withheld; `freeze`
    (a velocity rule's action) also freezes the member."""
    if points < 0:
        raise ValueError("a credit is not negative")
    stored = account
    account, lots = mature(account, lots, today)
    if freeze:
        account = replace(account, status="frozen")
    if account.status == "frozen" or withhold:  # recorded, but withheld: no lot, no debt settled
        after = replace(account, withheld=account.withheld + points, version=stored.next_seq)
        return Posting(
            before=stored,
            after=after,
            points=points,
            lots_after=_lots({lot.key: lot.remaining for lot in lots}),
            withheld=points,
        )
    settled = min(account.debt, points)
    net = points - settled
    if available_on is None:
        after = replace(account, available=account.available + net)
    else:
        after = replace(account, pending=account.pending + net)
    after = replace(after, debt=account.debt - settled, version=stored.next_seq)
    lot = LotCredit(expires_on=expires_on, points=net, available_on=available_on) if net else None
    merged = {existing.key: existing.remaining for existing in lots}
    if lot is not None:
        key = (available_on, expires_on)
        merged[key] = merged.get(key, 0) + net
    return Posting(
        before=stored,
        after=after,
        points=net,
        lots_after=_lots(merged),
        lot_credit=lot,
        debt_settled=settled,
    )


def change_status(
    account: Account,
    lots: list[Lot],
    status: Literal["active", "frozen"],
    *,
    today: date,
    release: bool = True,
    expires_on: date | None = None,
) -> Posting:
    """Freeze or unfreeze. Freezing moves no points; unfreezing releases what was withheld into an
    available lot expiring on `expires_on` (settling debt first), or forfeits it (`release=False`).
    The posting's points are what the entry records: 0, or minus what was forfeited."""
    check_wallet(account, lots)
    stored = account
    account, lots = mature(account, lots, today)
    account = replace(account, status=status)
    if status == "frozen" or account.withheld == 0:
        return Posting(
            before=stored,
            after=replace(account, version=stored.next_seq),
            points=0,
            lots_after=_lots({lot.key: lot.remaining for lot in lots}),
        )
    withheld = account.withheld
    account = replace(account, withheld=0)
    if not release:
        return Posting(
            before=stored,
            after=replace(account, version=stored.next_seq),
            points=-withheld,
            lots_after=_lots({lot.key: lot.remaining for lot in lots}),
            withheld=-withheld,
        )
    released = credit(replace(account, version=stored.version), lots, withheld, expires_on, today=today)
    # The withheld points were counted when earned: the entry records only the debt they settle.
    return replace(released, before=stored, points=-released.debt_settled, withheld=-withheld)


def settle_withheld(
    account: Account,
    lots: list[Lot],
    points: int,
    *,
    today: date,
    release: bool,
    expires_on: date | None = None,
) -> Posting:
    """A review resolved: up to `points` of what is withheld (less when an unfreeze or a refund
    took some meanwhile) released into an available lot expiring on `expires_on` (settling debt
    first), or forfeited. The member's status is unchanged; a frozen member's points stay
    withheld until it is unfrozen (its caller refuses that release)."""
    check_wallet(account, lots)
    moved = min(points, account.withheld)
    stored = account
    account = replace(account, withheld=account.withheld - moved)
    if not release or moved == 0:
        current, current_lots = mature(account, lots, today)
        return Posting(
            before=stored,
            after=replace(current, version=stored.next_seq),
            points=-moved if not release else 0,
            lots_after=_lots({lot.key: lot.remaining for lot in current_lots}),
            withheld=-moved,
        )
    released = credit(replace(account, version=stored.version), lots, moved, expires_on, today=today)
    # The withheld points were counted when earned: the entry records only the debt they settle.
    return replace(released, before=stored, points=-released.debt_settled, withheld=-moved)


def mature(account: Account, lots: list[Lot], today: date) -> tuple[Account, list[Lot]]:
    """Pending lots whose date has come, moved into the available lot of the same expiry."""
    merged: dict[tuple[date | None, date | None], int] = {}
    moved = 0
    for lot in lots:
        if lot.available_on is not None and lot.available_on <= today:
            moved += lot.remaining
            merged[(None, lot.expires_on)] = merged.get((None, lot.expires_on), 0) + lot.remaining
        else:
            merged[lot.key] = merged.get(lot.key, 0) + lot.remaining
    matured = replace(account, available=account.available + moved, pending=account.pending - moved)
    return matured, [
        Lot(expires_on=expiry, remaining=left, available_on=on) for (on, expiry), left in merged.items()
    ]


def debit(
    account: Account,
    lots: list[Lot],
    points: int,
    *,
    today: date,
    shortfall: Literal["refuse", "debt"] = "refuse",
    prefer: tuple[date | None, date | None] | None = None,
) -> Posting:
    """Take `points`, oldest-expiring available lots first, after maturing what is due by `today`.

    `account` and `lots` are as stored. `shortfall="refuse"` raises when available is not enough
    (redemptions, deductions); `shortfall="debt"` takes what there is and records the rest as
    debt (refund clawbacks), so the balance never goes negative. `prefer` names a pending lot to
    take from first: a refund inside the return window cancels that purchase's pending points.
    """
    if points < 0:
        raise ValueError("a debit is not negative")
    check_wallet(account, lots)
    current, current_lots = mature(account, lots, today)
    if points > current.available and shortfall == "refuse":
        raise InsufficientPointsError(f"{points} points needed, {current.available} available")
    left = dict((lot.key, lot.remaining) for lot in current_lots)
    by_key = {lot.key: lot for lot in current_lots}
    drawn: list[tuple[Lot, int]] = []
    wanted, from_pending = points, 0
    if prefer is not None and prefer[0] is not None and left.get(prefer, 0) > 0:
        from_pending = min(wanted, left[prefer])
        left[prefer] -= from_pending
        drawn.append((by_key[prefer], from_pending))
        wanted -= from_pending
    # A clawback from a frozen member takes what it earned meanwhile (withheld) before its balance.
    from_withheld = min(wanted, current.withheld) if shortfall == "debt" else 0
    wanted -= from_withheld
    from_available = min(wanted, current.available)
    remaining = from_available
    for lot in sorted(
        (lot for lot in current_lots if lot.available_on is None), key=lambda lot: lot.spend_order
    ):
        if remaining == 0:
            break
        take = min(lot.remaining, remaining)
        if take:
            left[lot.key] -= take
            drawn.append((lot, take))
            remaining -= take
    incurred = wanted - from_available
    after = replace(
        current,
        available=current.available - from_available,
        pending=current.pending - from_pending,
        debt=current.debt + incurred,
        withheld=current.withheld - from_withheld,
        version=account.next_seq,
    )
    taken = from_pending + from_withheld + from_available
    return Posting(
        before=account,
        after=after,
        points=-taken,
        lots_after=_lots(left),
        drawn=tuple(drawn),
        debt_incurred=incurred,
        withheld=-from_withheld,
    )


def _lots(remaining: dict[tuple[date | None, date | None], int]) -> tuple[Lot, ...]:
    """Lots in a stable order (pending last, then by expiry), empty ones dropped."""
    ordered = sorted(remaining.items(), key=lambda pair: (pair[0][0] or date.min, pair[0][1] or NEVER))
    return tuple(Lot(expires_on=key[1], remaining=left, available_on=key[0]) for key, left in ordered if left)


def next_expiry(lots: tuple[Lot, ...] | list[Lot]) -> date | None:
    """The first day on which some of these points expire: what the expiry index is keyed by."""
    return min((lot.expires_on for lot in lots if lot.expires_on is not None), default=None)


class LedgerCorruptionError(RuntimeError):
    """Stored balance and lots disagree: never expected; refuse to post rather than guess."""


def check_wallet(account: Account, lots: list[Lot]) -> None:
    available = sum(lot.remaining for lot in lots if lot.available_on is None)
    pending = sum(lot.remaining for lot in lots if lot.available_on is not None)
    if (available, pending) != (account.available, account.pending) or any(lot.remaining < 0 for lot in lots):
        raise LedgerCorruptionError(
            f"lots hold {available} available and {pending} pending points, "
            f"the account {account.available} and {account.pending}"
        )


def expire(account: Account, lots: list[Lot], today: date, *, everything: bool = False) -> Posting | None:
    """Expire what is left of every lot whose last day is before `today` (program-local), pending
    ones included; None when nothing is due. Maturation due by `today` is written with it.
    `everything` (the program's sunset) expires every lot, dated or not."""
    check_wallet(account, lots)
    current, current_lots = mature(account, lots, today)
    due = [
        lot for lot in current_lots if everything or (lot.expires_on is not None and lot.expires_on < today)
    ]
    if not due:
        return None
    from_available = sum(lot.remaining for lot in due if lot.available_on is None)
    from_pending = sum(lot.remaining for lot in due if lot.available_on is not None)
    kept = {lot.key: lot.remaining for lot in current_lots if lot not in due}
    after = replace(
        current,
        available=current.available - from_available,
        pending=current.pending - from_pending,
        version=account.next_seq,
    )
    return Posting(
        before=account,
        after=after,
        points=-(from_available + from_pending),
        lots_after=_lots(kept),
        drawn=tuple((lot, lot.remaining) for lot in due),
    )
