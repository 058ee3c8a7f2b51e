"""Activities a program rewards besides purchases: test drives, reviews, referrals, surveys, ..."""

from __future__ import annotations

from datetime import datetime

from loyalty.domain.calendar import local_date, refuse_the_future
from loyalty.domain.counters import after_award, member_facts
from loyalty.domain.expiry import lot_expiry
from loyalty.domain.idempotency import request_fingerprint
from loyalty.domain.rules import evaluate_activity
from loyalty.domain.tiers import Figures
from loyalty.models.api import ActivityRequest, ActivityResponse
from loyalty.models.ledger import EntryDetail
from loyalty.operations.context import Context, Outcome
from loyalty.operations.funnel import Decision, Write, change_member
from loyalty.operations.reviews import screened_credit
from loyalty.operations.tiers import tier_after_earn
from loyalty.operations.views import posted, tier_change
from loyalty.store.member_store import MemberRecord

ACTIVITY = "activity"


def record_activity(context: Context, tenant_id: str, request: ActivityRequest) -> Outcome:
    """Credit an activity once per activity id, within its limits and caps (a limit reached is a
    recorded activity that earns nothing, with the reason, not an error)."""
    refuse_the_future(request.occurred_at, context.clock())
    program = context.programs.get(tenant_id)
    fingerprint = request_fingerprint(ACTIVITY, request)

    def decide(member: MemberRecord, now: datetime) -> Decision:
        facts = member_facts(member.counters, program, now, member.tier.tier_id)
        award = evaluate_activity(program, request.type, facts, now, request.occurred_at)
        done_on = local_date(request.occurred_at or now, program.timezone)
        tier = tier_after_earn(program, member, done_on, Figures(points=award.points), now)
        expires_on = lot_expiry(program, "activity", now)
        posting, screening = screened_credit(
            context, tenant_id, program, member, now, award.points, expires_on
        )
        body = ActivityResponse(
            activity_id=request.activity_id,
            member_id=request.member_id,
            type=request.type,
            points_earned=award.points,
            explanation=award.explanation,
            rule_ids=award.rule_ids,
            capped=award.capped,
            reason=award.reason,
            **posted(posting),
            program_version=program.version,
            tier_change=tier_change(tier.change),
        ).model_dump(mode="json")
        entry = EntryDetail(
            type="earn",
            source="activity",
            activity_id=request.activity_id,
            activity_type=request.type,
            program_version=program.version,
            rule_ids=award.rule_ids or None,
            capped=award.capped or None,
            reason=award.reason,
            expires_on=expires_on if posting.points else None,
            review_id=screening.review_id,
        )
        counters = screening.counters(
            after_award(
                member.counters,
                program,
                now,
                award.points,
                activity_type=request.type,
                velocity=screening.recent,
            )
        )
        records = screening.records
        return Decision(
            201, body, now, request.member_id, posting, entry, records, counters=counters, tier=tier
        )

    write = Write(tenant_id, ACTIVITY, request.activity_id, fingerprint)
    return change_member(context, write, request.member_id, decide)
