"""Manual grants and deductions by a program administrator, audited with reason and key."""

from __future__ import annotations

from datetime import datetime

from loyalty.domain.calendar import local_date
from loyalty.domain.expiry import lot_expiry
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.ledger import credit, debit
from loyalty.domain.sunset import redeeming_ended
from loyalty.errors import InvalidRequestError
from loyalty.models.api import AdjustmentRequest, AdjustmentResponse
from loyalty.models.ledger import EntryDetail
from loyalty.operations.audit import audit_entry
from loyalty.operations.context import Context, Outcome, Principal
from loyalty.operations.funnel import Decision, Write, change_member
from loyalty.operations.views import posted
from loyalty.store.member_store import MemberRecord

ADJUSTMENT = "adjustment"


def adjust(context: Context, principal: Principal, member_id: str, request: AdjustmentRequest) -> Outcome:
    """Grant (points > 0) or deduct (points < 0); a deduction beyond `available` is refused (409)."""
    tenant_id = principal.tenant_id
    fingerprint = request_fingerprint(ADJUSTMENT, request, member_id=member_id)

    def decide(member: MemberRecord, now: datetime) -> Decision:
        account = member.account
        program = context.programs.get(tenant_id)
        expires_on = None
        source = request.source or "adjustment"
        today = local_date(now, program.timezone)
        if request.points > 0:
            if redeeming_ended(program, now):  # its sunset has expired everything: nothing more
                raise InvalidRequestError("the program has ended: no points can be granted")
            if request.expires_on is not None and request.expires_on < today:
                raise InvalidRequestError(f"expires_on {request.expires_on} is already over")
            expires_on = lot_expiry(program, source, now, explicit=request.expires_on)
            posting = credit(account, member.lots, request.points, expires_on, today=today)
        else:
            posting = debit(account, member.lots, -request.points, today=today, shortfall="refuse")
        body = AdjustmentResponse(
            adjustment_id=request.adjustment_id,
            member_id=member_id,
            points=request.points,
            reason=request.reason,
            **posted(posting),
        ).model_dump(mode="json")
        entry = EntryDetail(
            type="adjust",
            source="import" if source == "import" else "admin",
            adjustment_id=request.adjustment_id,
            reason=request.reason,
            actor=principal.key_id,
            expires_on=expires_on if posting.points else None,
        )
        audit = audit_entry(
            principal,
            "points.adjusted",
            now,
            member_id,
            adjustment_id=request.adjustment_id,
            points=request.points,
            reason=request.reason,
            source=source,
        )
        return Decision(201, body, now, member_id, posting, entry, audit=audit)

    write = Write(tenant_id, ADJUSTMENT, request.adjustment_id, fingerprint)
    return change_member(context, write, member_id, decide)
