"""Enrolment, the member view and the member's ledger history."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from loyalty.domain.calendar import local_date
from loyalty.domain.expiry import ProgramAt
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.ledger import Account, credit, mature
from loyalty.domain.rules import evaluate_signup
from loyalty.errors import AlreadyExistsError, MemberNotFoundError
from loyalty.models.api import EnrollRequest, ProfileRequest
from loyalty.models.ledger import EntryDetail
from loyalty.models.program import Program
from loyalty.operations.context import Context, Outcome, Principal, member_unless_recorded
from loyalty.operations.funnel import Decision, Write, change_member, commit
from loyalty.operations.paging import MAX_PAGE, decode_before, encode_cursor
from loyalty.operations.views import member_view
from loyalty.store.member_store import MemberRecord

ENROLL = "enroll"
PROFILE = "profile"


def enroll(context: Context, tenant_id: str, request: EnrollRequest) -> Outcome:
    """Create the member with the program's signup bonus; the member id is the natural id."""
    program = context.programs.get(tenant_id)
    fingerprint = request_fingerprint(ENROLL, request)
    member_id = request.member_id

    def decide() -> Decision:
        existing = member_unless_recorded(context, tenant_id, member_id, ENROLL, member_id)
        if existing is not None:
            raise AlreadyExistsError(f"member {member_id!r} already exists")
        now = context.clock()
        award = evaluate_signup(program, now)
        at = ProgramAt(program, now)
        expires_on = at.expiry("signup")
        posting = credit(Account(), [], award.points, expires_on, today=at.today)
        profile = request.model_dump(mode="json", exclude={"member_id"}, exclude_none=True)
        record = MemberRecord(tenant_id, member_id, profile, now, posting.after)
        today = at.today
        body = member_view(record, posting.after, list(posting.lots_after), program, today)
        entry = EntryDetail(
            type="earn",
            source="signup",
            program_version=program.version,
            rule_ids=award.rule_ids or None,
            expires_on=expires_on if posting.points else None,
        )
        lookups = context.contacts.additions(tenant_id, member_id, profile)  # found by email and phone
        return Decision(
            201, body, now, member_id, posting, entry, records=lookups, new_member_profile=profile
        )

    outcome = commit(context, Write(tenant_id, ENROLL, member_id, fingerprint), decide)
    # The contract: enrolment answers 201, its replay 200 with the same body.
    return Outcome(200, outcome.body, replayed=True) if outcome.replayed else outcome


# A correction's stored answer is the member view, personal data included: kept only while a retry of
# the same request can come (its id is the request's), then deleted by the table's TTL.
PROFILE_ANSWER_KEPT = timedelta(days=1)


def correct_profile(
    context: Context, principal: Principal, member_id: str, request: ProfileRequest
) -> Outcome:
    """Set the fields sent (null clears one), under the profile's own revision: two corrections
    racing each other never lose one, and the birthday index (and the email and phone lookups)
    move with the profile. A birthday
    bonus is recorded once per member and year (its natural id), so a new birthday in a year
    that already had one pays nothing more."""
    tenant_id = principal.tenant_id
    fingerprint = request_fingerprint(PROFILE, request, member_id=member_id)
    natural_id = principal.request_id or uuid.uuid4().hex  # PATCH has no natural id: the request's

    def decide(member: MemberRecord, now: datetime) -> Decision:
        program = context.programs.get(tenant_id)
        changes = request.model_dump(mode="json", include=request.model_fields_set)
        profile = {**member.profile, **changes}
        profile = {name: value for name, value in profile.items() if value is not None}
        corrected = replace(member, profile=profile)
        today = local_date(now, program.timezone)
        account, lots = mature(member.account, member.lots, today)
        body = member_view(corrected, account, lots, program, today)
        # The lookups by email and phone move with the profile, under its revision condition.
        lookups = context.contacts.changes(tenant_id, member_id, member.profile, profile)
        records = (context.members.profile_action(member, profile), *lookups)
        return Decision(200, body, now, member_id, records=records)

    write = Write(tenant_id, PROFILE, natural_id, fingerprint, kept_for=PROFILE_ANSWER_KEPT)
    return change_member(context, write, member_id, decide)


def read_member(context: Context, tenant_id: str, member_id: str) -> Outcome:
    """The member as of now: pending points whose return window has closed show as available at
    once, before any write has moved them (the next debit writes the maturation)."""
    member = context.members.read_member(tenant_id, member_id)
    if member is None:
        raise MemberNotFoundError(f"member {member_id!r} not found")
    program = context.programs.get(tenant_id)
    return Outcome(200, member_as_of(member, program, local_date(context.clock(), program.timezone)))


def member_as_of(member: MemberRecord, program: Program, today: date) -> dict[str, Any]:
    """The member view on a program-local day (what GET /v1/members/{id} answers, and what an
    export writes): pending points whose date has come count as available."""
    account, lots = mature(member.account, member.lots, today)
    return member_view(member, account, lots, program, today)


def list_transactions(
    context: Context, tenant_id: str, member_id: str, limit: int, cursor: str | None
) -> Outcome:
    before = decode_before(cursor) if cursor else None
    entries, next_seq = context.entries.list_entries(tenant_id, member_id, min(limit, MAX_PAGE), before)
    if not entries and before is None:  # enrolment writes a member's first entry: none means no member
        raise MemberNotFoundError(f"member {member_id!r} not found")
    items = [entry.model_dump(mode="json", exclude_none=True) for entry in entries]
    return Outcome(
        200, {"items": items, "next_cursor": encode_cursor(before=next_seq) if next_seq is not None else None}
    )
