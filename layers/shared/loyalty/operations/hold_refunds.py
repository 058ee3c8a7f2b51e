"""Refunds of a captured hold's points: the shop refunded the order (or part of it), and the
points the capture spent come back to the member, in the lots they came from. Each refund is one
transaction of the member's posting, the hold record (what is left refundable) and the refund's
idempotency record."""

from __future__ import annotations

from loyalty.domain.calendar import local_date
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.redemption import refund_lots, restore
from loyalty.domain.sunset import check_redeeming_open
from loyalty.errors import RefundExceedsCaptureError
from loyalty.models.ledger import EntryDetail
from loyalty.models.rewards import HoldRefundRequest, HoldRefundResponse
from loyalty.operations.context import Context, Outcome
from loyalty.operations.funnel import Decision, Write, commit
from loyalty.operations.holds import hold_and_member
from loyalty.operations.views import posted

REFUND = "hold_refund"  # points a captured hold spent, given back (natural id: refund_id)


def refund_points(context: Context, tenant_id: str, hold_id: str, request: HoldRefundRequest) -> Outcome:
    """Give back points a captured hold spent (the shop refunded the order, or part of it): at most
    what is left captured, in the lots they came from (the last spent first), with their dates;
    lots whose date passed meanwhile come back due and expire at the next expiry run. Exactly once
    per `refund_id`; refunds summing past the capture (or of a hold not captured) are 409, and so
    is one after the program's last redeeming day (its points expired with the program)."""
    fingerprint = request_fingerprint(REFUND, request, hold_id=hold_id)

    def decide() -> Decision:
        record, member = hold_and_member(context, tenant_id, hold_id, (REFUND, request.refund_id))
        if record.status != "captured" or record.captured is None:
            raise RefundExceedsCaptureError(f"hold {hold_id!r} is {record.status}: nothing was captured")
        returned, left = refund_lots(record.lots, request.points)
        now = context.clock()
        program = context.programs.get(tenant_id)
        check_redeeming_open(program, now)  # after the end, points coming back could not be spent
        posting = restore(member.account, member.lots, returned, today=local_date(now, program.timezone))
        refunded = record.refunded + request.points
        body = HoldRefundResponse(
            **request.model_dump(),  # the refund's id and points
            hold_id=hold_id,
            member_id=record.member_id,
            order_id=record.order_id,
            captured=record.captured,
            refunded=refunded,
            **posted(posting),
        ).model_dump(mode="json")
        entry = EntryDetail(
            type="redeem_refund",
            source="checkout",
            hold_id=hold_id,
            refund_id=request.refund_id,
            order_id=record.order_id,
        )
        updated = context.holds.refund_hold(record, left, refunded)
        return Decision(201, body, now, record.member_id, posting, entry, (updated,))

    return commit(context, Write(tenant_id, REFUND, request.refund_id, fingerprint), decide)
