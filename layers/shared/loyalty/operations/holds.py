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
from loyalty.domain.ledger import mature
from loyalty.domain.redemption import capture, capture_order, hold, max_points_for_order, release
from loyalty.domain.sunset import check_redeeming_open
from loyalty.errors import HoldClosedError, HoldNotFoundError, InvalidRequestError, MemberNotFoundError
from loyalty.models.api import Balance
from loyalty.models.common import amount_str
from loyalty.models.program import Program
from loyalty.models.rewards import (
    CaptureRequest,
    CheckoutPreviewRequest,
    CheckoutPreviewResponse,
    HoldRequest,
    HoldResponse,
)
from loyalty.operations.context import Context, Outcome, member_to_change, replay, with_retries
from loyalty.operations.views import balance
from loyalty.store.ledger_store import (
    ConcurrentChangeError,
    MemberRecord,
    OperationRecord,
    PostingCommit,
    ReplayError,
)
from loyalty.store.reward_store import HoldRecord, RewardStore

HOLD = "hold"
CAPTURE = "capture"
RELEASE = "release"
RELEASE_FINGERPRINT = "release"  # every release of a hold is the same request: it answers alike


def _store(context: Context) -> RewardStore:
    return RewardStore(context.ledger.table_name, context.ledger.client)


def reserve(context: Context, tenant_id: str, member_id: str, request: HoldRequest) -> Outcome:
    """Hold points for a checkout; 409 beyond what is available (after releasing expired holds)."""
    fingerprint = request_fingerprint(HOLD, request, member_id=member_id)
    store = _store(context)

    def attempt() -> Outcome:
        member = member_to_change(context, tenant_id, member_id, HOLD, request.hold_id)
        now = context.clock()
        program = context.programs.get(tenant_id)
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
        context.ledger.commit(
            PostingCommit(
                tenant_id=tenant_id,
                member_id=member_id,
                posting=posting,
                entry={
                    "type": "hold",
                    "source": "checkout",
                    "hold_id": request.hold_id,
                    "held": request.points,
                    "order_id": request.order_id,
                },
                operation=OperationRecord(
                    HOLD, request.hold_id, fingerprint, 201, body, state={"member_id": member_id}
                ),
                now=now,
                extra=(store.put_hold(record, now),),
            )
        )
        return Outcome(201, body)

    return with_retries(
        context, attempt, lambda: context.ledger.read_operation(tenant_id, HOLD, request.hold_id), fingerprint
    )


def hold_view(
    record: HoldRecord, entry_id: str | None = None, after: Balance | None = None
) -> dict[str, object]:
    return HoldResponse(
        hold_id=record.hold_id,
        member_id=record.member_id,
        points=record.points,
        status=record.status,
        expires_at=record.expires_at,
        order_id=record.order_id,
        entry_id=entry_id,
        balance=after,
    ).model_dump(mode="json")


def _find_hold(context: Context, tenant_id: str, hold_id: str) -> HoldRecord:
    opened = context.ledger.read_operation(tenant_id, HOLD, hold_id)
    found = _store(context).read_hold(tenant_id, opened.state["member_id"], hold_id) if opened else None
    if found is None:
        raise HoldNotFoundError(f"hold {hold_id!r} not found")
    return found


def _to_close(
    context: Context, tenant_id: str, hold_id: str, closing: str
) -> tuple[HoldRecord, MemberRecord]:
    """An open hold about to be captured or released, with its member, in two round trips: the
    hold's record (which names the member) with the closing operation's (ReplayError when there
    is one), then the hold with the member."""
    closed, opened = context.ledger.read_operations(tenant_id, (closing, hold_id), (HOLD, hold_id))
    if closed is not None:
        raise ReplayError(closed)
    found = (
        _store(context).read_hold_and_member(tenant_id, opened.state["member_id"], hold_id)
        if opened
        else (None, None)
    )
    record, member = found
    if record is None:
        raise HoldNotFoundError(f"hold {hold_id!r} not found")
    if record.status != "held":
        raise HoldClosedError(f"hold {hold_id!r} is {record.status}")
    if member is None:
        raise MemberNotFoundError(f"member {record.member_id!r} not found")
    return record, member


def read_hold(context: Context, tenant_id: str, hold_id: str) -> Outcome:
    return Outcome(200, hold_view(_find_hold(context, tenant_id, hold_id)))


def capture_hold(
    context: Context, tenant_id: str, hold_id: str, request: CaptureRequest | None = None
) -> Outcome:
    """Spend the held points for the hold's order (or the one the capture names, when the hold
    names none). Another order than the hold's, a released, captured or expired hold is 409; an
    expired one is released on the way.

    The capture's fingerprint is of the order it is for, however the request spells it (no body,
    `{}` or the hold's own order id): a replay of any of them answers the same."""
    named = request.order_id if request else None
    store = _store(context)

    def attempt() -> Outcome:
        try:
            return _capture(context, store, tenant_id, hold_id, named)
        except ReplayError as replayed:
            record = replayed.record or context.ledger.read_operation(tenant_id, CAPTURE, hold_id)
            if record is None:  # written by a transaction that is not visible yet: read again
                raise ConcurrentChangeError("capture record not visible yet") from replayed
            captured_for = record.body.get("order_id")
            return replay(record, _capture_fingerprint(hold_id, named or captured_for))

    # Replays are answered inside the attempt (their fingerprint needs the hold's order), so the
    # fallback arguments below are never used for one.
    return with_retries(context, attempt, lambda: None, "")


def _capture_fingerprint(hold_id: str, order_id: str | None) -> str:
    return request_fingerprint(CAPTURE, CaptureRequest(order_id=order_id), hold_id=hold_id)


def _capture(
    context: Context, store: RewardStore, tenant_id: str, hold_id: str, named: str | None
) -> Outcome:
    record, member = _to_close(context, tenant_id, hold_id, CAPTURE)
    order_id = capture_order(record.order_id, named)
    now = context.clock()
    if now >= record.expires_at:
        _release(context, record, now, "expired")
        raise HoldClosedError(f"hold {hold_id!r} expired at {record.expires_at.isoformat()}")
    program = context.programs.get(tenant_id)
    check_redeeming_open(program, now)
    posting = capture(member.account, member.lots, record.points, today=local_date(now, program.timezone))
    captured = replace(record, status="captured", order_id=order_id)
    body = hold_view(captured, str(posting.seq), balance(posting.after))
    context.ledger.commit(
        PostingCommit(
            tenant_id=tenant_id,
            member_id=record.member_id,
            posting=posting,
            entry={"type": "redeem", "source": "checkout", "hold_id": hold_id, "order_id": order_id},
            operation=OperationRecord(CAPTURE, hold_id, _capture_fingerprint(hold_id, order_id), 200, body),
            now=now,
            extra=(store.close_hold(record, "captured", now, order_id),),
        )
    )
    return Outcome(200, body)


def release_hold(context: Context, tenant_id: str, hold_id: str) -> Outcome:
    """Give the held points back; releasing again answers the same; a captured hold is 409."""

    def attempt() -> Outcome:
        record, member = _to_close(context, tenant_id, hold_id, RELEASE)
        return _commit_release(context, record, context.clock(), "released", member)

    return with_retries(
        context,
        attempt,
        lambda: context.ledger.read_operation(tenant_id, RELEASE, hold_id),
        RELEASE_FINGERPRINT,
    )


def _member(context: Context, record: HoldRecord) -> MemberRecord:
    member = context.ledger.read_member(record.tenant_id, record.member_id)
    if member is None:
        raise MemberNotFoundError(f"member {record.member_id!r} not found")
    return member


def _commit_release(
    context: Context, record: HoldRecord, now: datetime, reason: str, member: MemberRecord | None = None
) -> Outcome:
    member = member or _member(context, record)
    program = context.programs.get(record.tenant_id)
    posting = release(member.account, member.lots, record.lots, today=local_date(now, program.timezone))
    body = hold_view(replace(record, status="released"), str(posting.seq), balance(posting.after))
    context.ledger.commit(
        PostingCommit(
            tenant_id=record.tenant_id,
            member_id=record.member_id,
            posting=posting,
            entry={
                "type": "release",
                "source": "checkout",
                "hold_id": record.hold_id,
                "held": -record.points,
                "reason": reason,
            },
            operation=OperationRecord(RELEASE, record.hold_id, RELEASE_FINGERPRINT, 200, body),
            now=now,
            extra=(_store(context).close_hold(record, "released", now),),
        )
    )
    return Outcome(200, body)


def _release(context: Context, record: HoldRecord, now: datetime, reason: str) -> Outcome:
    """Release one hold (re-reading it on a lost race); whoever closed it first wins."""

    def attempt() -> Outcome:
        current = _store(context).read_hold(record.tenant_id, record.member_id, record.hold_id)
        if current is None or current.status != "held":
            return Outcome(200, {})
        return _commit_release(context, current, now, reason)

    return with_retries(
        context,
        attempt,
        lambda: context.ledger.read_operation(record.tenant_id, RELEASE, record.hold_id),
        RELEASE_FINGERPRINT,
    )


def release_hold_now(context: Context, record: HoldRecord, now: datetime, reason: str) -> Outcome:
    """Release one open hold now, for `reason` (exactly once: the release's own record)."""
    return _release(context, record, now, reason)


def spendable(context: Context, member: MemberRecord, program: Program, now: datetime) -> MemberRecord:
    """The member as a spend (redemption, hold, draw, a coupon bought with points) finds it:
    refused after the program's last redeeming day, and with expired holds released first, so
    the points they held count again."""
    check_redeeming_open(program, now)
    return release_expired_holds(context, member, now)


def release_expired_holds(context: Context, member: MemberRecord, now: datetime) -> MemberRecord:
    """The member with every expired hold released (lazily, before spending); as read when none."""
    if member.account.held == 0:
        return member
    expired = [
        record
        for record in _store(context).open_holds(member.tenant_id, member.member_id)
        if record.expires_at <= now
    ]
    for record in expired:
        _release(context, record, now, "expired")
    if not expired:
        return member
    fresh = context.ledger.read_member(member.tenant_id, member.member_id)
    return fresh or member


@dataclass
class SweepReport:
    holds_released: int = 0
    points_released: int = 0


def sweep_expired_holds(context: Context, now: datetime) -> SweepReport:
    """Release every open hold whose expiry has passed, across tenants (the `holds` schedule)."""
    report = SweepReport()
    for candidate in _store(context).expired_holds(now):
        outcome = _release(context, candidate, now, "expired")
        if outcome.body and not outcome.replayed:
            report.holds_released += 1
            report.points_released += candidate.points
    return report


def preview_checkout(
    context: Context, tenant_id: str, member_id: str, request: CheckoutPreviewRequest
) -> Outcome:
    """The most points an order may use now: under the program's share of the order value, at
    its point value, and no more than the member has available."""
    program = context.programs.get(tenant_id)
    if request.currency != program.currency:
        raise InvalidRequestError(
            f"this program's points are worth {program.currency}, not {request.currency}"
        )
    member = context.ledger.read_member(tenant_id, member_id)
    if member is None:
        raise MemberNotFoundError(f"member {member_id!r} not found")
    now = context.clock()
    member = release_expired_holds(context, member, now)
    account, _ = mature(member.account, member.lots, local_date(now, program.timezone))
    points, worth = max_points_for_order(program, request.amount, account.available)
    return Outcome(
        200,
        CheckoutPreviewResponse(
            max_points=points,
            worth={"amount": amount_str(worth), "currency": program.currency},
            available=account.available,
            point_value=program.point_value.model_dump(mode="json"),
            max_share_of_order=str(program.redemption.max_share_of_order),
        ).model_dump(mode="json"),
    )
