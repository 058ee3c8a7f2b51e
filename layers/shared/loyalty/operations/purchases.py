"""Purchases earn points under the program's rules; refunds take back a proportional share
(from the purchase's pending points first, then available, then as debt) and, once the purchase
is fully refunded, the referral bonus it paid; a preview answers what a purchase would earn
without writing anything."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from loyalty.domain.calendar import local_date
from loyalty.domain.counters import after_award, member_facts
from loyalty.domain.expiry import lot_expiry
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.ledger import credit, debit
from loyalty.domain.refunds import clawback_points, referral_clawback
from loyalty.domain.rules import Award, MemberFacts, evaluate_purchase, evaluate_referral, refuse_the_future
from loyalty.domain.tiers import Figures
from loyalty.errors import InvalidRequestError, MemberNotFoundError, PurchaseNotFoundError
from loyalty.models.api import (
    PreviewResponse,
    PurchaseRequest,
    PurchaseResponse,
    RefundRequest,
    RefundResponse,
)
from loyalty.models.common import amount_str
from loyalty.models.program import Program
from loyalty.operations.context import Context, Outcome, member_to_change, replay, with_retries
from loyalty.operations.tiers import tier_after_earn, tier_after_refund
from loyalty.operations.views import balance, tier_change
from loyalty.store.ledger_store import (
    MemberPosting,
    MemberRecord,
    OperationRecord,
    OperationUpdate,
    PostingCommit,
)

PURCHASE = "purchase"
REFUND = "refund"


def _program_for(context: Context, tenant_id: str, request: PurchaseRequest) -> Program:
    refuse_the_future(request.occurred_at, context.clock())
    program = context.programs.get(tenant_id)
    if request.currency != program.currency:
        raise InvalidRequestError(f"this program earns on {program.currency}, not {request.currency}")
    return program


def preview_purchase(context: Context, tenant_id: str, request: PurchaseRequest) -> Outcome:
    program = _program_for(context, tenant_id, request)
    member = context.ledger.read_member(tenant_id, request.member_id)
    now = context.clock()
    facts = (
        member_facts(member.counters, program, now, member.tier.tier_id)
        if member
        else MemberFacts(first_purchase=True)
    )
    award = evaluate_purchase(program, request, facts, now)
    body = PreviewResponse(
        points_earned=award.points,
        explanation=award.explanation,
        rule_ids=award.rule_ids,
        capped=award.capped,
        reason=award.reason,
        pending_until=award.pending_until,
        program_version=program.version,
    )
    return Outcome(200, body.model_dump(mode="json"))


def record_purchase(context: Context, tenant_id: str, request: PurchaseRequest) -> Outcome:
    """Credit a purchase once per order id, however often the shop or the queue sends it."""
    program = _program_for(context, tenant_id, request)
    fingerprint = request_fingerprint(PURCHASE, request)

    def attempt() -> Outcome:
        member = member_to_change(context, tenant_id, request.member_id, PURCHASE, request.order_id)
        now = context.clock()
        facts = member_facts(member.counters, program, now, member.tier.tier_id)
        award = evaluate_purchase(program, request, facts, now)
        bought_on = local_date(request.occurred_at or now, program.timezone)
        tier = tier_after_earn(program, member, bought_on, Figures(request.amount, 1, award.points), now)
        expires_on = lot_expiry(program, "purchase", now)
        posting = credit(
            member.account,
            member.lots,
            award.points,
            expires_on,
            today=local_date(now, program.timezone),
            available_on=award.pending_until,
        )
        body = PurchaseResponse(
            order_id=request.order_id,
            member_id=request.member_id,
            points_earned=award.points,
            points_credited=posting.points,
            debt_settled=posting.debt_settled,
            entry_id=str(posting.seq),
            explanation=award.explanation,
            rule_ids=award.rule_ids,
            capped=award.capped,
            reason=award.reason,
            pending_until=award.pending_until,
            balance=balance(posting.after),
            program_version=program.version,
            tier_change=tier_change(tier.change),
        ).model_dump(mode="json")
        lot = posting.lot_credit
        referral = _referral(context, program, tenant_id, member, facts, request.order_id, now)
        state = {
            "member_id": request.member_id,
            "amount": amount_str(request.amount),
            "currency": request.currency,
            "points_earned": award.points,
            "refunded_amount": "0.00",
            "points_clawed_back": 0,
            "occurred_at": (request.occurred_at or now).isoformat(),
            "available_on": lot.available_on.isoformat() if lot and lot.available_on else None,
            "expires_on": lot.expires_on.isoformat() if lot and lot.expires_on else None,
        }
        if referral:  # the bonus this purchase paid: taken back if the purchase is fully refunded
            paid = referral[0].posting
            state["referral"] = {
                "referrer_id": referral[0].member_id,
                "points": paid.points + paid.debt_settled,
                "taken_back": False,
            }
        context.ledger.commit(
            PostingCommit(
                tenant_id=tenant_id,
                member_id=request.member_id,
                posting=posting,
                entry=_entry(
                    program, award, lot.expires_on if lot else None, lot.available_on if lot else None
                )
                | {"source": "purchase", "order_id": request.order_id},
                operation=OperationRecord(PURCHASE, request.order_id, fingerprint, 201, body, state),
                now=now,
                counters=after_award(member.counters, program, now, award.points, purchase=True),
                also=referral,
                tier=tier,
            )
        )
        return Outcome(201, body)

    return with_retries(
        context,
        attempt,
        lambda: context.ledger.read_operation(tenant_id, PURCHASE, request.order_id),
        fingerprint,
    )


def _entry(
    program: Program, award: Award, expires_on: date | None, available_on: date | None
) -> dict[str, Any]:
    """The ledger entry's own record of why it happened: program version and rules."""
    return {
        "type": "earn",
        "program_version": program.version,
        "rule_ids": award.rule_ids or None,
        "capped": award.capped or None,
        "reason": award.reason,
        "expires_on": expires_on.isoformat() if expires_on else None,
        "available_on": available_on.isoformat() if available_on else None,
    }


def _referral(
    context: Context,
    program: Program,
    tenant_id: str,
    referee: MemberRecord,
    facts: MemberFacts,
    order_id: str,
    now: Any,
) -> tuple[MemberPosting, ...]:
    """The referrer's reward, committed with the referee's first purchase (so it is paid once)."""
    referrer_id = referee.profile.get("referrer_id")
    if not referrer_id or referrer_id == referee.member_id or not facts.first_purchase:
        return ()
    award = evaluate_referral(program, facts, now)
    referrer = context.ledger.read_member(tenant_id, referrer_id) if award.points else None
    if referrer is None:
        return ()
    expires_on = lot_expiry(program, "referral", now)
    posting = credit(
        referrer.account, referrer.lots, award.points, expires_on, today=local_date(now, program.timezone)
    )
    entry = _entry(program, award, expires_on if posting.points else None, None) | {
        "source": "referral",
        "referee_id": referee.member_id,
        "order_id": order_id,
    }
    counters = after_award(referrer.counters, program, now, award.points)
    return (MemberPosting(referrer_id, posting, entry, counters),)


def refund_purchase(context: Context, tenant_id: str, order_id: str, request: RefundRequest) -> Outcome:
    """Take back points in proportion to the refunded amount; never below zero, the rest is debt.
    The refund that makes the purchase whole also takes back the referral bonus it paid (from the
    referrer, in the same transaction); a partial refund keeps it."""
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
        member = context.ledger.read_member(tenant_id, state["member_id"])
        if member is None:
            raise MemberNotFoundError(f"member {state['member_id']!r} not found")
        program = context.programs.get(tenant_id)
        now = context.clock()
        fully_refunded = refunded_before + request.amount >= Decimal(state["amount"])
        bought_on = local_date(datetime.fromisoformat(state["occurred_at"]), program.timezone)
        tier = tier_after_refund(
            program,
            member,
            bought_on,
            Figures(-request.amount, -1 if fully_refunded else 0, -points),
            now,
        )
        posting = debit(
            member.account,
            member.lots,
            points,
            today=local_date(now, program.timezone),
            shortfall="debt",
            prefer=_pending_lot(state),
        )
        referral = _referral_clawback(
            context, program, tenant_id, state, fully_refunded, request, order_id, now
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
                entry=_clawback_entry("refund", order_id, request.refund_id),
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
                        **({"referral": {**state["referral"], "taken_back": True}} if referral else {}),
                    },
                ),
                tier=tier,
                also=referral,
            )
        )
        return Outcome(201, body)

    return with_retries(
        context,
        attempt,
        lambda: context.ledger.read_operation(tenant_id, REFUND, request.refund_id),
        fingerprint,
    )


def _clawback_entry(source: str, order_id: str, refund_id: str) -> dict[str, Any]:
    return {"type": "clawback", "source": source, "order_id": order_id, "refund_id": refund_id}


def _referral_clawback(
    context: Context,
    program: Program,
    tenant_id: str,
    state: dict[str, Any],
    fully_refunded: bool,
    request: RefundRequest,
    order_id: str,
    now: datetime,
) -> tuple[MemberPosting, ...]:
    """The referrer's debit when this refund takes back the referral bonus the purchase paid (see
    `referral_clawback`: a full refund does, a partial one does not): committed with the refund,
    so exactly once with it, from what the referrer has, the rest as debt when it was spent.
    Purchases recorded before the bonus was noted on them keep it."""
    paid = state.get("referral")
    points = (
        referral_clawback(
            referral_points=paid["points"], already_taken=paid["taken_back"], fully_refunded=fully_refunded
        )
        if paid
        else 0
    )
    referrer = context.ledger.read_member(tenant_id, paid["referrer_id"]) if paid and points else None
    if referrer is None:
        return ()
    taken = debit(
        referrer.account, referrer.lots, points, today=local_date(now, program.timezone), shortfall="debt"
    )
    entry = _clawback_entry("referral", order_id, request.refund_id) | {"referee_id": state["member_id"]}
    return (MemberPosting(referrer.member_id, taken, entry),)


def _pending_lot(state: dict[str, Any]) -> tuple[date | None, date | None] | None:
    """The (available_on, expires_on) of the lot holding this purchase's points while pending."""
    if not state.get("available_on"):
        return None
    expires_on = date.fromisoformat(state["expires_on"]) if state.get("expires_on") else None
    return (date.fromisoformat(state["available_on"]), expires_on)
