"""Purchases earn points; refunds take back a proportional share (as debt when already spent)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from loyalty.domain.earning import purchase_award
from loyalty.domain.expiry import local_day, lot_expiry
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.ledger import credit, debit
from loyalty.domain.refunds import clawback_points
from loyalty.errors import InvalidRequestError, MemberNotFoundError, PurchaseNotFoundError
from loyalty.models.api import PurchaseRequest, PurchaseResponse, RefundRequest, RefundResponse
from loyalty.models.common import amount_str
from loyalty.operations.context import Context, Outcome, replay, with_retries
from loyalty.operations.views import balance
from loyalty.store.ledger_store import OperationRecord, OperationUpdate, PostingCommit

PURCHASE = "purchase"
REFUND = "refund"


def record_purchase(context: Context, tenant_id: str, request: PurchaseRequest) -> Outcome:
    """Credit a purchase once per order id, however often the shop or the queue sends it."""
    program = context.programs.get(tenant_id)
    if request.currency != program.currency:
        raise InvalidRequestError(f"this program earns on {program.currency}, not {request.currency}")
    fingerprint = request_fingerprint(PURCHASE, request)

    def attempt() -> Outcome:
        member, operation = context.ledger.read_member_and_operation(
            tenant_id, request.member_id, PURCHASE, request.order_id
        )
        if operation is not None:
            return replay(operation, fingerprint)
        if member is None:
            raise MemberNotFoundError(f"member {request.member_id!r} not found")
        now = context.clock()
        award = purchase_award(program, request.amount)
        expires_on = lot_expiry(program.expiry, now, program.timezone)
        posting = credit(member.account, award.points, expires_on)
        body = PurchaseResponse(
            order_id=request.order_id,
            member_id=request.member_id,
            points_earned=award.points,
            points_credited=posting.points,
            debt_settled=posting.debt_settled,
            entry_id=str(posting.seq),
            explanation=award.explanation,
            balance=balance(posting.after),
            program_version=program.version,
        ).model_dump(mode="json")
        state = {
            "member_id": request.member_id,
            "amount": amount_str(request.amount),
            "currency": request.currency,
            "points_earned": award.points,
            "refunded_amount": "0.00",
            "points_clawed_back": 0,
            "occurred_at": (request.occurred_at or now).isoformat(),
        }
        context.ledger.commit(
            PostingCommit(
                tenant_id=tenant_id,
                member_id=request.member_id,
                posting=posting,
                entry={
                    "type": "earn",
                    "source": "purchase",
                    "order_id": request.order_id,
                    "program_version": program.version,
                    "expires_on": expires_on.isoformat() if expires_on and posting.points else None,
                },
                operation=OperationRecord(PURCHASE, request.order_id, fingerprint, 201, body, state),
                now=now,
            )
        )
        return Outcome(201, body)

    return with_retries(
        context,
        attempt,
        lambda: context.ledger.read_operation(tenant_id, PURCHASE, request.order_id),
        fingerprint,
    )


def refund_purchase(context: Context, tenant_id: str, order_id: str, request: RefundRequest) -> Outcome:
    """Take back points in proportion to the refunded amount; never below zero, the rest is debt."""
    fingerprint = request_fingerprint(REFUND, request, order_id=order_id)

    def attempt() -> Outcome:
        operation = context.ledger.read_operation(tenant_id, REFUND, request.refund_id)
        if operation is not None:
            return replay(operation, fingerprint)
        purchase = context.ledger.read_operation(tenant_id, PURCHASE, order_id)
        if purchase is None:
            raise PurchaseNotFoundError(f"order {order_id!r} not found")
        state = purchase.state
        refunded_before = Decimal(state["refunded_amount"])
        points = clawback_points(
            points_earned=state["points_earned"],
            purchase_amount=Decimal(state["amount"]),
            refunded_before=refunded_before,
            refund_amount=request.amount,
            clawed_before=state["points_clawed_back"],
        )
        wallet = context.ledger.read_wallet(tenant_id, state["member_id"])
        if wallet is None:
            raise MemberNotFoundError(f"member {state['member_id']!r} not found")
        program = context.programs.get(tenant_id)
        now = context.clock()
        pending_lot = _pending_lot(state)
        posting = debit(
            wallet.member.account,
            wallet.lots,
            points,
            today=local_day(now, program.timezone),
            shortfall="debt",
            prefer=pending_lot,
        )
        refunded_total = amount_str(refunded_before + request.amount)
        body = RefundResponse(
            refund_id=request.refund_id,
            order_id=order_id,
            member_id=state["member_id"],
            amount=amount_str(request.amount),
            refunded_total=refunded_total,
            points_clawed_back=points,
            points_debited=-posting.points,
            debt_incurred=posting.debt_incurred,
            entry_id=str(posting.seq),
            balance=balance(posting.after),
        ).model_dump(mode="json")
        context.ledger.commit(
            PostingCommit(
                tenant_id=tenant_id,
                member_id=state["member_id"],
                posting=posting,
                entry={
                    "type": "clawback",
                    "source": "refund",
                    "order_id": order_id,
                    "refund_id": request.refund_id,
                },
                operation=OperationRecord(REFUND, request.refund_id, fingerprint, 201, body),
                now=now,
                operation_update=OperationUpdate(
                    PURCHASE,
                    order_id,
                    purchase.version,
                    {
                        **state,
                        "refunded_amount": refunded_total,
                        "points_clawed_back": state["points_clawed_back"] + points,
                    },
                ),
            )
        )
        return Outcome(201, body)

    return with_retries(
        context,
        attempt,
        lambda: context.ledger.read_operation(tenant_id, REFUND, request.refund_id),
        fingerprint,
    )


def _pending_lot(state: dict[str, Any]) -> tuple[date | None, date | None] | None:
    """The (available_on, expires_on) of the lot holding this purchase's points while pending."""
    if not state.get("available_on"):
        return None
    expires_on = date.fromisoformat(state["expires_on"]) if state.get("expires_on") else None
    return (date.fromisoformat(state["available_on"]), expires_on)
