"""Spending points: what a reward costs now, who may redeem it, and the postings of redemptions,
their cancellation and checkout holds (reserve, capture, release). Pure: time is passed in.

Where held points are: a hold takes its points out of the member's lots (oldest expiry first, as
any debit) and keeps those lots on the hold record; the member's `held` counts them. So

    available + pending + held = sum of ledger entries = member lots + lots of open holds.

A hold's entry and a release's entry carry 0 points (the member still owns them; `held` says how
many moved), a capture's entry carries -points (type `redeem`): only spending changes the sum.

Which expiry returned points get: a released hold and a cancelled redemption put back the very
lots they took, with their original expiry dates. Points whose date passed meanwhile come back
already due: a daily expiry run expires them within about a day (the store indexes them on the
first day no run can have finished yet), and until then they are spent first, as the oldest.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal

from loyalty.domain.ledger import Account, Lot, Posting, _lots, check_wallet, debit, mature
from loyalty.errors import (
    CaptureExceedsHoldError,
    HoldOrderMismatchError,
    InvalidRequestError,
    RefundExceedsCaptureError,
    RewardUnavailableError,
    ShareOfOrderExceededError,
)
from loyalty.models.program import Program
from loyalty.models.rewards import Reward


def points_cost(reward: Reward, now: datetime) -> int:
    """The price per unit now: the lowest limited-time campaign price running, else the list price."""
    running = [
        price.points_cost for price in reward.campaign_prices if price.starts_at <= now < price.ends_at
    ]
    return min([reward.points_cost, *running]) if running else reward.points_cost


def check_redeemable(reward: Reward, tier: str, now: datetime) -> None:
    if reward.active_from is not None and now < reward.active_from:
        raise RewardUnavailableError(f"the reward can be redeemed from {reward.active_from.isoformat()}")
    if reward.active_until is not None and now >= reward.active_until:
        raise RewardUnavailableError(f"the reward could be redeemed until {reward.active_until.isoformat()}")
    if reward.tiers and tier not in reward.tiers:
        raise RewardUnavailableError(f"the reward is for the tiers {', '.join(reward.tiers)}, not {tier!r}")


def taken_lots(posting: Posting) -> list[Lot]:
    """The lots a debit drew from, as lots of the points taken (merged by dates)."""
    merged: dict[tuple[date | None, date | None], int] = {}
    for lot, points in posting.drawn:
        merged[lot.key] = merged.get(lot.key, 0) + points
    return list(_lots(merged))


def restore(account: Account, lots: list[Lot], returned: list[Lot], *, today: date) -> Posting:
    """Give back the lots a redemption took (their original dates): a credit of their sum.

    Debt is not settled from them: they were the member's spendable points and come back as such."""
    check_wallet(account, lots)
    current, current_lots = mature(account, lots, today)
    merged = {lot.key: lot.remaining for lot in current_lots}
    for lot in returned:
        merged[lot.key] = merged.get(lot.key, 0) + lot.remaining
    points = sum(lot.remaining for lot in returned)
    pending = sum(lot.remaining for lot in returned if lot.available_on is not None)
    after = replace(
        current,
        available=current.available + points - pending,
        pending=current.pending + pending,
        version=account.next_seq,
    )
    return Posting(before=account, after=after, points=points, lots_after=_lots(merged))


def hold(account: Account, lots: list[Lot], points: int, *, today: date) -> tuple[Posting, list[Lot]]:
    """Move `points` from available to held, oldest expiry first; the posting's entry is 0 points.
    Returns the posting and the lots the hold keeps. Refuses (409) beyond `available`."""
    spent = debit(account, lots, points, today=today, shortfall="refuse")
    after = replace(spent.after, held=spent.after.held + points)
    return replace(spent, after=after, points=0), taken_lots(spent)


def release(account: Account, lots: list[Lot], held_lots: list[Lot], *, today: date) -> Posting:
    """Move a hold's lots back to available (original dates); the posting's entry is 0 points."""
    returned = restore(account, lots, held_lots, today=today)
    points = sum(lot.remaining for lot in held_lots)
    return replace(returned, after=replace(returned.after, held=returned.after.held - points), points=0)


def capture(account: Account, lots: list[Lot], points: int, *, today: date) -> Posting:
    """Spend held points: `held` drops, the entry is -points; the member's own lots are untouched
    (only matured, as every write does)."""
    check_wallet(account, lots)
    current, current_lots = mature(account, lots, today)
    if points > current.held:
        raise ValueError("a capture takes only held points")
    after = replace(current, held=current.held - points, version=account.next_seq)
    return Posting(
        before=account,
        after=after,
        points=-points,
        lots_after=_lots({lot.key: lot.remaining for lot in current_lots}),
    )


def split_held(held_lots: list[Lot], points: int) -> tuple[list[Lot], list[Lot]]:
    """A partial capture's lots: the `points` it spends (oldest expiry first, as any debit) and the
    rest, which a release gives back. More than the hold holds is 409."""
    held = sum(lot.remaining for lot in held_lots)
    if points > held:
        raise CaptureExceedsHoldError(f"the hold holds {held} points, not {points}")
    return _split(held_lots, points, newest_first=False)


def refund_lots(captured_lots: list[Lot], points: int) -> tuple[list[Lot], list[Lot]]:
    """A refund of a capture's points: the lots given back (the last spent first: latest expiry
    first) and the lots still refundable. More than is left to refund is 409."""
    left = sum(lot.remaining for lot in captured_lots)
    if points > left:
        raise RefundExceedsCaptureError(f"{left} captured points are left to refund, not {points}")
    return _split(captured_lots, points, newest_first=True)


def _split(lots: list[Lot], points: int, *, newest_first: bool) -> tuple[list[Lot], list[Lot]]:
    taken: dict[tuple[date | None, date | None], int] = {}
    rest: dict[tuple[date | None, date | None], int] = {}
    wanted = points
    ordered = sorted(
        lots, key=lambda lot: (lot.spend_order, lot.available_on or date.min), reverse=newest_first
    )
    for lot in ordered:
        part = min(wanted, lot.remaining)
        wanted -= part
        taken[lot.key] = taken.get(lot.key, 0) + part
        rest[lot.key] = rest.get(lot.key, 0) + lot.remaining - part
    return list(_lots(taken)), list(_lots(rest))


def capture_part(
    account: Account, lots: list[Lot], rest: list[Lot], points: int, *, today: date
) -> tuple[Posting, Posting]:
    """A partial capture as two postings in one write: the release of the `rest` of the hold (back
    to the lots it came from, like a release) and then the capture of `points`."""
    released = release(account, lots, rest, today=today)
    captured = capture(released.after, list(released.lots_after), points, today=today)
    return released, captured


def capture_order(held_for: str | None, named: str | None) -> str | None:
    """The order a hold is captured for: the one it was made for (a capture naming another is
    refused, one naming none means it), else the one the capture names (or none)."""
    if held_for is not None and named is not None and named != held_for:
        raise HoldOrderMismatchError(f"the hold was made for order {held_for!r}, not {named!r}")
    return held_for if held_for is not None else named


def check_order_currency(program: Program, currency: str) -> None:
    """An order priced in another currency than the program's points are worth is 422."""
    if currency != program.currency:
        raise InvalidRequestError(f"this program's points are worth {program.currency}, not {currency}")


def share_cap(program: Program, order_amount: Decimal) -> int:
    """The most points an order of this amount may use under the program's `max_share_of_order`,
    at its point value, rounded down (never more than the cap allows). The checkout preview and a
    hold stating its order's amount both ask this."""
    value = program.point_value
    cap_amount = order_amount * program.redemption.max_share_of_order
    return int((cap_amount * value.points / value.amount).to_integral_value(rounding=ROUND_FLOOR))


def check_share_of_order(program: Program, order_amount: Decimal, currency: str, points: int) -> None:
    """A hold for an order of this amount: more points than the share cap allows is 409."""
    check_order_currency(program, currency)
    cap = share_cap(program, order_amount)
    if points > cap:
        raise ShareOfOrderExceededError(
            f"an order of {order_amount} {currency} may use at most {cap} points "
            f"(max_share_of_order {program.redemption.max_share_of_order}), not {points}"
        )


def max_points_for_order(program: Program, order_amount: Decimal, available: int) -> tuple[int, Decimal]:
    """The most points an order may use (under the program's share cap and the member's available
    points) and the money they are worth. Rounded down: never more than the cap allows."""
    value = program.point_value
    points = max(0, min(share_cap(program, order_amount), available))
    worth = (Decimal(points) * value.amount / value.points).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    return points, worth
