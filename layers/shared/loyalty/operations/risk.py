"""Risk control: an admin freezes or unfreezes a member. Frozen, a member cannot spend (the one
spending gate, `holds.spendable`, refuses it) and what it earns is recorded with its entry but
withheld; unfreezing releases the withheld points or forfeits them, with an entry either way."""

from __future__ import annotations

import uuid
from datetime import datetime

from loyalty.domain.expiry import ProgramAt
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.ledger import change_status
from loyalty.models.api import StatusRequest, StatusResponse
from loyalty.models.ledger import EntryDetail
from loyalty.operations.audit import audit_entry
from loyalty.operations.context import Context, Outcome, Principal
from loyalty.operations.funnel import Decision, Write, change_member
from loyalty.operations.views import posted
from loyalty.store.member_store import MemberRecord

STATUS = "status"


def set_status(context: Context, principal: Principal, member_id: str, request: StatusRequest) -> Outcome:
    """Freeze or unfreeze, with a ledger entry of the change (0 points, or minus what is forfeited)
    under the member's version condition: an earn or a spend racing it re-reads the new status.
    Its natural id is the API request's id (a status change has none of its own)."""
    tenant_id = principal.tenant_id
    fingerprint = request_fingerprint(STATUS, request, member_id=member_id)
    natural_id = principal.request_id or uuid.uuid4().hex

    def decide(member: MemberRecord, now: datetime) -> Decision:
        at = ProgramAt(context.programs.get(tenant_id), now)
        # Released points are dated from their release, by the program's default rule.
        expires_on = at.expiry()
        release = request.release_withheld
        posting = change_status(
            member.account,
            member.lots,
            request.status,
            today=at.today,
            release=release,
            expires_on=expires_on,
        )
        released = -posting.withheld if request.release_withheld else 0
        forfeited = -posting.withheld - released
        body = StatusResponse(
            member_id=member_id,
            status=request.status,
            reason=request.reason,
            released=released,
            forfeited=forfeited,
            **posted(posting),
        ).model_dump(mode="json")
        entry = EntryDetail(
            type="status",
            status=request.status,
            reason=request.reason,
            actor=principal.key_id,
            expires_on=expires_on if released else None,
        )
        audit = audit_entry(
            principal,
            "member.status",
            now,
            member_id,
            status=request.status,
            reason=request.reason,
            released=released,
            forfeited=forfeited,
        )
        return Decision(200, body, now, member_id, posting, entry, audit=audit)

    return change_member(context, Write(tenant_id, STATUS, natural_id, fingerprint), member_id, decide)
