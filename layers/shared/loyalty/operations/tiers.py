"""Tier operations: the tier part of an earn or a refund (figures, and an upgrade at once), the
scheduled `tiers` run (evaluation of the members due, downgrades), and an admin's assignment.

The run finds members through a sparse, sharded index by review date (only members above the
base tier, or with an assignment, have one), walks the days from its checkpoint like the other
runs, and re-reads each candidate: a member whose review date moved (evaluated already, or
upgraded meanwhile) is skipped, so a second run for the same time changes nothing. A review date
is set for a day after the member's own local day, so the checkpoint never passes a day that is
still tomorrow somewhere (UTC-12): the next runs walk it again, however few are due on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from loyalty.domain.calendar import earliest_local_date, latest_local_date, local_date
from loyalty.domain.memberships import lapse
from loyalty.domain.tiers import Figures, TierDecision, after_earn, assign, evaluate, record
from loyalty.errors import InvalidRequestError, MemberNotFoundError, TransientError
from loyalty.models.api import TierAssignmentRequest
from loyalty.models.program import Program
from loyalty.operations.audit import audit_entry
from loyalty.operations.checkpoints import walk_days
from loyalty.operations.context import Context, Outcome, Principal, back_off
from loyalty.operations.views import member_view
from loyalty.store.job_store import JobStore
from loyalty.store.ledger_store import ConcurrentChangeError
from loyalty.store.member_store import MemberRecord, TierUpdate
from loyalty.store.table import Guarded

JOB = "tiers"
FIRST_RUN_LOOKBACK = timedelta(days=31)


def enrolled_on(member: MemberRecord, program: Program) -> date:
    return local_date(member.enrolled_at, program.timezone)


def tier_after_earn(
    program: Program, member: MemberRecord, day: date, figures: Figures, now: datetime
) -> TierUpdate:
    """The earn's figures added to the month of `day` (the purchase's own local day), and the
    member raised at once if they now reach a higher tier."""
    today = local_date(now, program.timezone)
    status = record(member.tier, day, figures, program.tier_rules, today)
    decision = after_earn(program, status, enrolled_on(member, program), today)
    return TierUpdate(decision.status, member.tier.revision, decision.change)


def tier_after_refund(
    program: Program, member: MemberRecord, day: date, figures: Figures, now: datetime
) -> TierUpdate:
    """A refund lowers the figures of the purchase's month; the tier waits for its evaluation."""
    today = local_date(now, program.timezone)
    status = record(member.tier, day, figures, program.tier_rules, today)
    return TierUpdate(status, member.tier.revision)


@dataclass
class TierReport:
    members_evaluated: int = 0
    upgraded: int = 0
    downgraded: int = 0
    in_grace: int = 0
    memberships_lapsed: int = 0
    not_yet_due: int = 0
    next_date: str = ""


def run_tiers(
    context: Context, jobs: JobStore, now: datetime, *, should_stop: Callable[[], bool] = lambda: False
) -> TierReport:
    """Evaluate every member whose review day has come by `now` in their program's time zone."""
    report = TierReport()

    def visit(day: date) -> bool:
        finished = True
        for candidate in context.members.members_due_review(day):
            if not _evaluate_member(context, candidate, day, now, report):
                report.not_yet_due += 1
                finished = False
        # An earn (or an assignment) still sets a review on this day wherever the day before it
        # has not ended: until then the checkpoint stays here, or such a member is never reviewed.
        return finished and day <= earliest_local_date(now)

    latest = latest_local_date(now)
    report.next_date = walk_days(
        jobs, JOB, latest - FIRST_RUN_LOOKBACK, latest, visit, should_stop
    ).isoformat()
    return report


def _evaluate_member(
    context: Context, candidate: MemberRecord, day: date, now: datetime, report: TierReport
) -> bool:
    """Evaluate one member whose review falls on `day`; False when that day has not begun in its
    program's time zone, or the member kept changing (both: walk the day again next run)."""
    program = context.programs.get(candidate.tenant_id)
    if local_date(now, program.timezone) < day:
        return False  # the review day has not begun in this program's time zone
    reads = [candidate]  # as the run read it back; a lost race re-reads
    for number in range(context.max_attempts):
        member = (
            reads.pop() if reads else context.members.read_member(candidate.tenant_id, candidate.member_id)
        )
        if member is None or member.tier.review_on != day:
            return True  # evaluated already, or its review moved (an upgrade): nothing due today
        enrolled = enrolled_on(member, program)
        # Paid memberships that ended by the review day lapse first (the member falls to their
        # earned tier at once); otherwise the ordinary evaluation.
        decision = lapse(program, member.tier, enrolled, day) or evaluate(program, member.tier, enrolled, day)
        if not commit_tier(context, member, decision, now, number):
            continue
        _count(report, program, member, decision)
        return True
    return False  # still contended: the checkpoint stays on this day and the next run retries


def commit_tier(
    context: Context,
    member: MemberRecord,
    decision: TierDecision,
    now: datetime,
    attempt: int,
    records: tuple[Guarded, ...] = (),
) -> bool:
    """Write a tier decision, and `records` with it (an audit entry, a membership), if the member's
    tier status is still the one read; False (after backing off) when it changed meanwhile: re-read
    and decide again."""
    update = TierUpdate(decision.status, member.tier.revision, decision.change, decision.membership_events)
    try:
        context.ledger.commit_tier(member, update, now, records)
    except ConcurrentChangeError:
        back_off(context, attempt)
        return False
    return True


def _count(report: TierReport, program: Program, member: MemberRecord, decision: TierDecision) -> None:
    report.members_evaluated += 1
    report.memberships_lapsed += sum(event.kind == "lapsed" for event in decision.membership_events)
    if decision.change is not None:
        before, after = (
            program.tier_level(decision.change.from_tier),
            program.tier_level(decision.change.to_tier),
        )
        report.upgraded += after > before
        report.downgraded += after < before
    elif decision.status.grace_until is not None and member.tier.grace_until is None:
        report.in_grace += 1


def assign_tier(
    context: Context, principal: Principal, member_id: str, request: TierAssignmentRequest
) -> Outcome:
    """Set (or withdraw, with tier_id null) an admin-assigned tier: the member holds at least it
    until `until`, and is raised to it at once. Setting the same assignment again changes nothing
    but the review date, so the call is safe to repeat. Each call is kept in the member's tier
    history with its reason and the acting key."""
    tenant_id = principal.tenant_id
    program = context.programs.get(tenant_id)
    if request.tier_id is not None and program.tier(request.tier_id) is None:
        raise InvalidRequestError(f"tier {request.tier_id!r} is not in the program")
    for number in range(context.max_attempts):
        member = context.members.read_member(tenant_id, member_id)
        if member is None:
            raise MemberNotFoundError(f"member {member_id!r} not found")
        now = context.clock()
        today = local_date(now, program.timezone)
        if request.until is not None and request.until < today:
            raise InvalidRequestError("until is in the past")
        decision = assign(
            program,
            member.tier,
            enrolled_on(member, program),
            today,
            request.tier_id,
            request.until,
            request.reason,
            principal.key_id,
        )
        audit = audit_entry(
            principal,
            "tier.assigned",
            now,
            member_id,
            tier_id=request.tier_id,
            until=request.until.isoformat() if request.until else None,
            reason=request.reason,
        )
        if not commit_tier(context, member, decision, now, number, (context.audit.put(tenant_id, audit),)):
            continue
        updated = replace(member, tier=decision.status)
        return Outcome(200, member_view(updated, member.account, member.lots, program, today))
    raise TransientError("too much contention on this member; retry later")
