"""Checkout holds: reserve points (available -> held), capture them (spent, with the order id on
the entry) or release them (held -> available). Each is one transaction of the member's posting,
the hold record and the idempotency record.

A hold expires: it never locks points for longer than its ttl. An expired hold is released
lazily by the next hold, redemption or capture touching it, and by the `holds` schedule's sweep
(`sweep_expired_holds`). Capturing an expired or released hold is 409 (`HoldClosedError`).
After the program's last redeeming day a hold cannot be captured (`ProgramEndedError`), and the
sunset run closes the holds still open, their points expiring with the member's other points in
its one `sunset` entry (operations/sunset.py): nothing comes back from them afterwards.
Released points come back in the very lots they were taken from (see domain/redemption.py)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from loyalty.domain.calendar import local_date
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.ledger import Posting
from loyalty.domain.redemption import (
    capture,
    capture_order,
    capture_part,
    check_share_of_order,
    hold,
    release,
    split_held,
)
from loyalty.domain.sunset import check_redeeming_open
from loyalty.errors import (
    HoldClosedError,
    HoldNotFoundError,
    MemberFrozenError,
    MemberNotFoundError,
)
from loyalty.models.api import Balance
from loyalty.models.ledger import EntryDetail
from loyalty.models.program import Program
from loyalty.models.rewards import (
    CaptureRequest,
    HoldRequest,
    HoldResponse,
)
from loyalty.operations.context import Context, Outcome, check_not_erased, existing_member
from loyalty.operations.funnel import Decision, Write, change_member, commit
from loyalty.operations.views import balance
from loyalty.store.hold_store import HoldRecord
from loyalty.store.idempotency_store import OperationRecord
from loyalty.store.ledger_store import ReplayError
from loyalty.store.member_store import MemberRecord

HOLD = "hold"
CAPTURE = "capture"
RELEASE = "release"
PARTLY_CAPTURED = "captured in part"  # the reason on the release of what a partial capture left
RELEASE_FINGERPRINT = "release"  # every release of a hold is the same request: it answers alike


def reserve(context: Context, tenant_id: str, member_id: str, request: HoldRequest) -> Outcome:
    """Hold points for a checkout; 409 beyond what is available (after releasing expired holds)."""
    fingerprint = request_fingerprint(HOLD, request, member_id=member_id)
    store = context.holds

    def decide(member: MemberRecord, now: datetime) -> Decision:
        program = context.programs.get(tenant_id)
        if request.order_amount is not None:
            order = request.order_amount
            check_share_of_order(program, order.amount, order.currency, request.points)
        member = spendable(context, member, program, now)
        posting, lots = hold(
            member.account, member.lots, request.points, today=local_date(now, program.timezone)
        )
        record = HoldRecord(
            tenant_id=tenant_id,
            hold_id=request.hold_id,
            member_id=member_id,
            points=request.points,
            status="held",
            lots=lots,
            expires_at=now + timedelta(seconds=request.ttl_seconds),
            order_id=request.order_id,
            version=1,
        )
        body = hold_view(record, str(posting.seq), balance(posting.after))
        entry = EntryDetail(
            type="hold",
            source="checkout",
            hold_id=request.hold_id,
            held=request.points,
            order_id=request.order_id,
        )
        # The hold's idempotency record names its member: a capture or release finds the hold by it.
        state = {"member_id": member_id}
        return Decision(201, body, now, member_id, posting, entry, (store.put_hold(record, now),), state)

    write = Write(tenant_id, HOLD, request.hold_id, fingerprint)
    return change_member(context, write, member_id, decide)


def hold_view(
    record: HoldRecord, entry_id: str | None = None, after: Balance | None = None
) -> dict[str, object]:
    shown = ("hold_id", "member_id", "points", "status", "expires_at", "order_id", "captured")
    refunded = record.refunded if record.captured is not None else None
    return HoldResponse(
        **{name: getattr(record, name) for name in shown}, refunded=refunded, entry_id=entry_id, balance=after
    ).model_dump(mode="json")


def _find_hold(context: Context, tenant_id: str, hold_id: str) -> HoldRecord:
    opened = context.idempotency.read_operation(tenant_id, HOLD, hold_id)
    found = context.holds.read_hold(tenant_id, opened.state["member_id"], hold_id) if opened else None
    if found is None:
        raise HoldNotFoundError(f"hold {hold_id!r} not found")
    return found


def hold_and_member(
    context: Context, tenant_id: str, hold_id: str, operation: tuple[str, str]
) -> tuple[HoldRecord, MemberRecord]:
    """A hold and its member, for `operation` (kind, natural id) on it, in two round trips: the
    hold's record (which names the member) with the operation's (ReplayError when there is one),
    then the hold with the member."""
    done, opened = context.idempotency.read_operations(tenant_id, operation, (HOLD, hold_id))
    if done is not None:
        raise ReplayError(done)
    found = (
        context.holds.read_hold_and_member(tenant_id, opened.state["member_id"], hold_id)
        if opened
        else (None, None)
    )
    record, member = found
    if record is None:
        raise HoldNotFoundError(f"hold {hold_id!r} not found")
    if member is None:
        raise MemberNotFoundError(f"member {record.member_id!r} not found")
    return record, check_not_erased(member)


def _to_close(
    context: Context, tenant_id: str, hold_id: str, closing: str
) -> tuple[HoldRecord, MemberRecord]:
    """An open hold about to be captured or released, with its member."""
    record, member = hold_and_member(context, tenant_id, hold_id, (closing, hold_id))
    if record.status != "held":
        raise HoldClosedError(f"hold {hold_id!r} is {record.status}")
    return record, member


def read_hold(context: Context, tenant_id: str, hold_id: str) -> Outcome:
    return Outcome(200, hold_view(_find_hold(context, tenant_id, hold_id)))


def capture_hold(
    context: Context, tenant_id: str, hold_id: str, request: CaptureRequest | None = None
) -> Outcome:
    """Spend the held points for the hold's order (or the one the capture names, when the hold
    names none). Another order than the hold's, a released, captured or expired hold is 409; an
    expired one is released on the way. A capture of fewer `points` than held spends that many
    (oldest expiry first) and releases the rest to the lots they came from: a `release` entry for
    the rest and the `redeem` entry, in one write. More than held is 409.

    The capture's fingerprint is of the order it is for and the points it takes, however the
    request spells them (no body, `{}`, the hold's own order id, all its points): a replay of any
    of them answers the same."""
    named = request.order_id if request else None
    named_points = request.points if request else None
    store = context.holds

    def decide() -> Decision:
        record, member = _to_close(context, tenant_id, hold_id, CAPTURE)
        check_not_frozen(member)  # the hold stays open: captured once an admin unfreezes, or released
        order_id = capture_order(record.order_id, named)
        points = record.points if named_points is None else named_points
        spent, rest = split_held(record.lots, points)
        now = context.clock()
        if now >= record.expires_at:
            _release(context, record, now, "expired")
            raise HoldClosedError(f"hold {hold_id!r} expired at {record.expires_at.isoformat()}")
        program = context.programs.get(tenant_id)
        check_redeeming_open(program, now)
        today = local_date(now, program.timezone)
        earlier: tuple[tuple[Posting, EntryDetail], ...] = ()
        if rest:
            released, posting = capture_part(member.account, member.lots, rest, points, today=today)
            entry = EntryDetail(
                type="release",
                source="checkout",
                hold_id=hold_id,
                held=-(record.points - points),
                reason=PARTLY_CAPTURED,
            )
            earlier = ((released, entry),)
            posting = replace(posting, before=member.account)
        else:
            posting = capture(member.account, member.lots, points, today=today)
        captured = replace(record, status="captured", order_id=order_id, captured=points, lots=spent)
        body = hold_view(captured, str(posting.seq), balance(posting.after))
        entry = EntryDetail(type="redeem", source="checkout", hold_id=hold_id, order_id=order_id)
        closed = store.close_hold(record, "captured", now, order_id, spent)
        fingerprint = _capture_fingerprint(hold_id, order_id, points, record.points)
        return Decision(
            200,
            body,
            now,
            record.member_id,
            posting,
            entry,
            (closed,),
            fingerprint=fingerprint,
            earlier=earlier,
        )

    def replayed(record: OperationRecord) -> str:  # the order a replay is for: the hold's, if it named one
        points = record.body.get("captured") if named_points is None else named_points
        return _capture_fingerprint(
            hold_id, named or record.body.get("order_id"), points, record.body.get("points")
        )

    return commit(context, Write(tenant_id, CAPTURE, hold_id, replayed), decide)


def _capture_fingerprint(hold_id: str, order_id: str | None, points: int | None, held: int | None) -> str:
    """All the held points is the same request as none named (so the fingerprint of a whole
    capture is what it was before captures could be partial)."""
    part = None if points is None or points == held else points
    return request_fingerprint(CAPTURE, CaptureRequest(order_id=order_id, points=part), hold_id=hold_id)


def release_hold(context: Context, tenant_id: str, hold_id: str) -> Outcome:
    """Give the held points back; releasing again answers the same; a captured hold is 409."""

    def decide() -> Decision:
        record, member = _to_close(context, tenant_id, hold_id, RELEASE)
        return _release_decision(context, record, context.clock(), "released", member)

    return commit(context, Write(tenant_id, RELEASE, hold_id, RELEASE_FINGERPRINT), decide)


def _release_decision(
    context: Context, record: HoldRecord, now: datetime, reason: str, member: MemberRecord | None = None
) -> Decision:
    member = member or existing_member(context, record.tenant_id, record.member_id)
    program = context.programs.get(record.tenant_id)
    posting = release(member.account, member.lots, record.lots, today=local_date(now, program.timezone))
    body = hold_view(replace(record, status="released"), str(posting.seq), balance(posting.after))
    entry = EntryDetail(
        type="release", source="checkout", hold_id=record.hold_id, held=-record.points, reason=reason
    )
    closed = context.holds.close_hold(record, "released", now)
    return Decision(200, body, now, record.member_id, posting, entry, (closed,))


def _release(context: Context, record: HoldRecord, now: datetime, reason: str) -> Outcome:
    """Release one hold (re-reading it on a lost race); whoever closed it first wins."""

    def decide() -> Decision | Outcome:
        current = context.holds.read_hold(record.tenant_id, record.member_id, record.hold_id)
        if current is None or current.status != "held":
            return Outcome(200, {})
        return _release_decision(context, current, now, reason)

    return commit(context, Write(record.tenant_id, RELEASE, record.hold_id, RELEASE_FINGERPRINT), decide)


def release_hold_now(context: Context, record: HoldRecord, now: datetime, reason: str) -> Outcome:
    """Release one open hold now, for `reason` (exactly once: the release's own record)."""
    return _release(context, record, now, reason)


def spendable(context: Context, member: MemberRecord, program: Program, now: datetime) -> MemberRecord:
    """The member as a spend (redemption, hold, draw, a coupon bought with points) finds it:
    refused while the member is frozen or after the program's last redeeming day, and with
    expired holds released first, so the points they held count again."""
    check_not_frozen(member)
    check_redeeming_open(program, now)
    return release_expired_holds(context, member, now)


def check_not_frozen(member: MemberRecord) -> None:
    """Every spend (a hold, its capture, a redemption, a draw, a coupon bought with points) is
    refused while the member is frozen; the spend's version condition refuses it when a freeze
    commits after this read (the retry reads the member frozen)."""
    if member.account.status == "frozen":
        raise MemberFrozenError(f"member {member.member_id!r} is frozen: no points can be spent")


def release_expired_holds(context: Context, member: MemberRecord, now: datetime) -> MemberRecord:
    """The member with every expired hold released (lazily, before spending); as read when none."""
    if member.account.held == 0:
        return member
    expired = [
        record
        for record in context.holds.open_holds(member.tenant_id, member.member_id)
        if record.expires_at <= now
    ]
    for record in expired:
        _release(context, record, now, "expired")
    if not expired:
        return member
    fresh = context.members.read_member(member.tenant_id, member.member_id)
    return fresh or member


@dataclass
class SweepReport:
    holds_released: int = 0
    points_released: int = 0


def sweep_expired_holds(context: Context, now: datetime) -> SweepReport:
    """Release every open hold whose expiry has passed, across tenants (the `holds` schedule)."""
    report = SweepReport()
    for candidate in context.holds.expired_holds(now):
        outcome = _release(context, candidate, now, "expired")
        if outcome.body and not outcome.replayed:
            report.holds_released += 1
            report.points_released += candidate.points
    return report
