"""Erasure: an admin removes a person from the program (DELETE /v1/members/{id}).

One transaction, through the funnel (exactly once: the member id is its natural id):
- what the member had left (available and pending lots, the points on its open holds, which it
  closes, and withheld points) is forfeited by one `erase` entry (event `member.erased`, which
  carries no personal data: events never do);
- the member item keeps its id, balance figures (all 0) and ledger version, but loses its profile
  and the indexes that would find the person (birthdays, tier reviews, the email and phone
  lookups); its status is `erased`;
- the enrolment's stored answer (which held the profile) is removed, so enrolling the id again is
  409 (the member item exists), never a replay of the old profile;
- an audit entry records who erased it.
Then, outside that transaction (the rows of large imports do not fit in it), the member's profile
is removed from the rows of the imports that applied rows to it (`erasure_rows`); a replayed
erasure does it again (a no-op once done), so an erasure interrupted between the two is finished
by its retry.
The ledger keeps every entry (amounts, dates, order ids: no personal data) under the member id.
A purchase racing the erasure is ordered by the member's version condition: committed before, its
points are forfeited with the rest; after, it is refused (409 member-erased), as is every later
change to the member."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from loyalty.domain.calendar import local_date
from loyalty.domain.ledger import Posting
from loyalty.domain.sunset import sunset_posting
from loyalty.models.api import ErasureResponse
from loyalty.models.ledger import EntryDetail
from loyalty.operations.audit import audit_entry
from loyalty.operations.context import Context, Outcome, Principal
from loyalty.operations.erasure_rows import scrub_import_rows
from loyalty.operations.funnel import Decision, Write, change_member
from loyalty.operations.members import ENROLL
from loyalty.operations.sunset import open_holds
from loyalty.store.member_store import MemberRecord

ERASE = "erase"


def erase_member(context: Context, principal: Principal, member_id: str) -> Outcome:
    tenant_id = principal.tenant_id
    fingerprint = ERASE  # every erasure of one member is the same request: it answers alike

    def decide(member: MemberRecord, now: datetime) -> Decision:
        program = context.programs.get(tenant_id)
        holds = open_holds(context, context.holds, member, now) if member.account.held else []
        today = local_date(now, program.timezone)
        ended = sunset_posting(
            member.account, member.lots, [lot for h in holds for lot in h.lots], today=today
        )
        if ended is None:  # nothing left: the entry records the erasure itself
            ended = Posting(
                before=member.account,
                after=replace(member.account, version=member.account.next_seq),
                points=0,
            )
        posting = replace(ended, after=replace(ended.after, status="erased", debt=0))
        body = ErasureResponse(
            member_id=member_id, status="erased", points_forfeited=-posting.points, entry_id=str(posting.seq)
        ).model_dump(mode="json")
        entry = EntryDetail(
            type="erase",
            source="erasure",
            reason="member_erased",
            actor=principal.key_id,
            held=-member.account.held or None,
        )
        closed = tuple(context.holds.close_hold(record, "released", now) for record in holds)
        forget = context.idempotency.forget(tenant_id, ENROLL, member_id)
        unfound = context.contacts.removals(tenant_id, member_id, member.profile)  # email/phone lookups
        audit = audit_entry(principal, "member.erased", now, member_id, points_forfeited=-posting.points)
        return Decision(
            200, body, now, member_id, posting, entry, (*closed, forget, *unfound), counters={}, audit=audit
        )

    outcome = change_member(context, Write(tenant_id, ERASE, member_id, fingerprint), member_id, decide)
    # After the commit (or its replay): the person's rows in import jobs. Its count is not in the
    # answer, which is stored with the commit and replayed byte for byte.
    scrub_import_rows(context, tenant_id, member_id)
    return outcome
