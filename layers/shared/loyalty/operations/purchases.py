"""Purchases earn points under the program's rules; refunds take back a proportional share
(from the purchase's pending points first, then available, then as debt) and, once the purchase
is fully refunded, the referral bonus it paid; a preview answers what a purchase would earn
without writing anything."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from loyalty.domain.awards import Award, MemberFacts, Purchase, PurchaseLine
from loyalty.domain.calendar import local_date, refuse_the_future
from loyalty.domain.counters import after_award, member_facts
from loyalty.domain.expiry import ProgramAt, lot_expiry
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.ledger import credit, debit
from loyalty.domain.refunds import clawback_points, referral_clawback
from loyalty.domain.rules import evaluate_purchase, evaluate_referral
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
from loyalty.models.ledger import EntryDetail
from loyalty.models.program import Program
from loyalty.operations.context import Context, Outcome, check_not_erased
from loyalty.operations.funnel import Decision, Write, change_member, commit
from loyalty.operations.reviews import screened_credit
from loyalty.operations.tiers import tier_after_earn, tier_after_refund
from loyalty.operations.views import balance, posted, tier_change
from loyalty.store.ledger_store import MemberPosting, ReplayError
from loyalty.store.member_store import MemberRecord
from loyalty.store.purchase_store import PURCHASE, PurchaseRecord, ReferralPaid

REFUND = "refund"


def purchase_of(request: PurchaseRequest) -> Purchase:
    """The purchase as the rules read it."""
    lines = tuple(
        PurchaseLine(line.sku, line.category, line.amount, line.quantity) for line in request.items or ()
    )
    return Purchase(request.amount, lines, request.channel, request.occurred_at)


def _program_for(context: Context, tenant_id: str, request: PurchaseRequest) -> Program:
    refuse_the_future(request.occurred_at, context.clock())
    program = context.programs.get(tenant_id)
    if request.currency != program.currency:
        raise InvalidRequestError(f"this program earns on {program.currency}, not {request.currency}")
    return program


def preview_purchase(context: Context, tenant_id: str, request: PurchaseRequest) -> Outcome:
    program = _program_for(context, tenant_id, request)
    member = context.members.read_member(tenant_id, request.member_id)
    now = context.clock()
    facts = (
        member_facts(member.counters, program, now, member.tier.tier_id)
        if member
        else MemberFacts(first_purchase=True)
    )
    award = evaluate_purchase(program, purchase_of(request), facts, now)
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

    def decide(member: MemberRecord, now: datetime) -> Decision:
        facts = member_facts(member.counters, program, now, member.tier.tier_id)
        award = evaluate_purchase(program, purchase_of(request), facts, now)
        bought_on = local_date(request.occurred_at or now, program.timezone)
        tier = tier_after_earn(program, member, bought_on, Figures(request.amount, 1, award.points), now)
        expires_on = lot_expiry(program, "purchase", now)
        posting, screening = screened_credit(
            context, tenant_id, program, member, now, award.points, expires_on, award.pending_until
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
        available_on, expires_on = (lot.available_on, lot.expires_on) if lot else (None, None)
        referral = _referral(context, program, tenant_id, member, facts, request.order_id, now)
        purchase = PurchaseRecord(
            order_id=request.order_id,
            member_id=request.member_id,
            amount=request.amount,
            currency=request.currency,
            points_earned=award.points,
            refunded_amount=Decimal(0),
            points_clawed_back=0,
            occurred_at=request.occurred_at or now,
            available_on=available_on,
            expires_on=expires_on,
            # the bonus this purchase paid: taken back if the purchase is fully refunded
            referral=ReferralPaid(
                referrer_id=referral[0].member_id,
                points=referral[0].posting.points + referral[0].posting.debt_settled,
            )
            if referral
            else None,
        )
        return Decision(
            201,
            body,
            now,
            request.member_id,
            posting,
            _entry(
                program, award, expires_on, available_on, source="purchase", order_id=request.order_id
            ).model_copy(update={"review_id": screening.review_id}),
            screening.records,
            state=purchase.state(),  # kept with the purchase's idempotency record: no extra write
            counters=screening.counters(
                after_award(
                    member.counters, program, now, award.points, purchase=True, velocity=screening.recent
                )
            ),
            also=referral,
            tier=tier,
        )

    write = Write(tenant_id, PURCHASE, request.order_id, fingerprint)
    return change_member(context, write, request.member_id, decide)


def _entry(
    program: Program,
    award: Award,
    expires_on: date | None,
    available_on: date | None,
    *,
    source: str,
    order_id: str,
    referee_id: str | None = None,
) -> EntryDetail:
    """The ledger entry's own record of why it happened: program version and rules."""
    return EntryDetail(
        type="earn",
        source=source,
        order_id=order_id,
        referee_id=referee_id,
        program_version=program.version,
        rule_ids=award.rule_ids or None,
        capped=award.capped or None,
        reason=award.reason,
        expires_on=expires_on,
        available_on=available_on,
    )


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
    referrer = context.members.read_member(tenant_id, referrer_id) if award.points else None
    if referrer is None or referrer.account.status == "erased":
        return ()
    at = ProgramAt(program, now)
    expires_on = at.expiry("referral")
    posting = credit(referrer.account, referrer.lots, award.points, expires_on, today=at.today)
    entry = _entry(
        program,
        award,
        expires_on if posting.points else None,
        None,
        source="referral",
        order_id=order_id,
        referee_id=referee.member_id,
    )
    counters = after_award(referrer.counters, program, now, award.points)
    return (MemberPosting(referrer_id, posting, entry, counters),)


def refund_purchase(context: Context, tenant_id: str, order_id: str, request: RefundRequest) -> Outcome:
    """Take back points in proportion to the refunded amount; never below zero, the rest is debt.
    The refund that makes the purchase whole also takes back the referral bonus it paid (from the
    referrer, in the same transaction); a partial refund keeps it."""
    fingerprint = request_fingerprint(REFUND, request, order_id=order_id)

    def decide() -> Decision:
        operation = context.idempotency.read_operation(tenant_id, REFUND, request.refund_id)
        if operation is not None:
            raise ReplayError(operation)
        purchase = context.purchases.read_purchase(tenant_id, order_id)
        if purchase is None:
            raise PurchaseNotFoundError(f"order {order_id!r} not found")
        refunded_before = purchase.refunded_amount
        points = clawback_points(
            points_earned=purchase.points_earned,
            purchase_amount=purchase.amount,
            refunded_before=refunded_before,
            refund_amount=request.amount,
            clawed_before=purchase.points_clawed_back,
        )
        member = context.members.read_member(tenant_id, purchase.member_id)
        if member is None:
            raise MemberNotFoundError(f"member {purchase.member_id!r} not found")
        check_not_erased(member)  # its points were forfeited with its erasure: nothing to take back
        program = context.programs.get(tenant_id)
        now = context.clock()
        fully_refunded = refunded_before + request.amount >= purchase.amount
        bought_on = local_date(purchase.occurred_at, program.timezone)
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
            prefer=purchase.pending_lot,
        )
        referral = _referral_clawback(context, program, tenant_id, purchase, fully_refunded, request, now)
        refunded_total = amount_str(refunded_before + request.amount)
        body = RefundResponse(
            refund_id=request.refund_id,
            order_id=order_id,
            member_id=purchase.member_id,
            amount=amount_str(request.amount),
            refunded_total=refunded_total,
            points_clawed_back=points,
            points_debited=-posting.points,
            debt_incurred=posting.debt_incurred,
            **posted(posting),
        ).model_dump(mode="json")
        entry = _clawback_entry("refund", order_id, request.refund_id)
        refunded = context.purchases.refunded(purchase, request.amount, points, referral_taken=bool(referral))
        return Decision(
            201, body, now, purchase.member_id, posting, entry, tier=tier, also=referral, updates=refunded
        )

    return commit(context, Write(tenant_id, REFUND, request.refund_id, fingerprint), decide)


def _clawback_entry(source: str, order_id: str, refund_id: str, referee_id: str | None = None) -> EntryDetail:
    return EntryDetail(
        type="clawback", source=source, order_id=order_id, refund_id=refund_id, referee_id=referee_id
    )


def _referral_clawback(
    context: Context,
    program: Program,
    tenant_id: str,
    purchase: PurchaseRecord,
    fully_refunded: bool,
    request: RefundRequest,
    now: datetime,
) -> tuple[MemberPosting, ...]:
    """The referrer's debit when this refund takes back the referral bonus the purchase paid (see
    `referral_clawback`: a full refund does, a partial one does not): committed with the refund,
    so exactly once with it, from what the referrer has, the rest as debt when it was spent.
    Purchases recorded before the bonus was noted on them keep it."""
    paid = purchase.referral
    points = (
        referral_clawback(
            referral_points=paid.points, already_taken=paid.taken_back, fully_refunded=fully_refunded
        )
        if paid
        else 0
    )
    referrer = context.members.read_member(tenant_id, paid.referrer_id) if paid and points else None
    if referrer is None:
        return ()
    taken = debit(
        referrer.account, referrer.lots, points, today=local_date(now, program.timezone), shortfall="debt"
    )
    entry = _clawback_entry("referral", purchase.order_id, request.refund_id, referee_id=purchase.member_id)
    return (MemberPosting(referrer.member_id, taken, entry),)
