"""The daily expiry run: what is left of every lot past its last day expires, with an `expire`
ledger entry (and so a points.expired event), exactly once, at a cost proportional to the members
due, never to all members.

How it finds work: each member with dated points sits in a sparse, sharded index under its next
expiry date. A run takes "now" from the schedule, walks the dates from its checkpoint up to the
latest date that can already be over in some time zone, and pages through each shard. A member is
expired when its program's local day is past the date. The checkpoint then moves to the first
date it could not finish (a member not yet due in its own zone), so a run that stopped half way,
or a schedule that missed days, picks up exactly there; running again changes nothing.
A program past its sunset's last redeeming day has everything left expired first
(`loyalty.operations.sunset`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from loyalty.domain.calendar import local_date
from loyalty.domain.ledger import expire
from loyalty.operations.checkpoints import walk_days
from loyalty.operations.context import Context, Outcome, with_retries
from loyalty.operations.sunset import run_sunset_expiry
from loyalty.operations.views import balance
from loyalty.store.job_store import JobStore
from loyalty.store.ledger_store import MemberRecord, OperationRecord, PostingCommit

JOB = "expiry"
EXPIRE = "expire"
AHEAD_OF_UTC = timedelta(hours=14)  # the furthest any time zone runs ahead of UTC
FIRST_RUN_LOOKBACK = timedelta(days=31)


@dataclass
class ExpiryReport:
    members_expired: int = 0
    points_expired: int = 0
    members_not_yet_due: int = 0
    sunset_members_expired: int = 0
    sunset_points_expired: int = 0
    dates: list[str] = field(default_factory=list)
    next_date: str = ""


def run_expiry(
    context: Context, jobs: JobStore, now: datetime, *, should_stop: Callable[[], bool] = lambda: False
) -> ExpiryReport:
    """Expire everything due by `now`; `should_stop` (e.g. the Lambda nearly out of time) ends the
    run early with the checkpoint on the date in progress, which the next run finishes."""
    latest = (now + AHEAD_OF_UTC).date() - timedelta(days=1)
    # Programs past their last redeeming day first: everything left goes as `sunset`, not `expire`.
    sunset = run_sunset_expiry(context, jobs, now, should_stop)
    report = ExpiryReport(
        sunset_members_expired=sunset.members_expired, sunset_points_expired=sunset.points_expired
    )

    def visit(day: date) -> bool:
        report.dates.append(day.isoformat())
        finished = True
        for member in context.ledger.members_due(day):
            if _expire_member(context, member, day, now, report) is None:
                report.members_not_yet_due += 1
                finished = False
        return finished

    checkpoint = walk_days(jobs, JOB, latest - FIRST_RUN_LOOKBACK, latest, visit, should_stop)
    report.next_date = checkpoint.isoformat()
    return report


def _expire_member(
    context: Context, candidate: MemberRecord, due: date, now: datetime, report: ExpiryReport
) -> Outcome | None:
    program = context.programs.get(candidate.tenant_id)
    today = local_date(now, program.timezone)
    if today <= due:
        return None  # the date is not over yet in this program's time zone
    natural_id = f"{candidate.member_id}@{today.isoformat()}"
    reads = [candidate]  # the index's copy first; a lost race re-reads consistently

    def attempt() -> Outcome:
        member = (
            reads.pop() if reads else context.ledger.read_member(candidate.tenant_id, candidate.member_id)
        )
        posting = expire(member.account, member.lots, today) if member else None
        if member is None or posting is None:
            return Outcome(200, {"points_expired": 0})
        body = {
            "member_id": member.member_id,
            "points_expired": -posting.points,
            "lots": [{"expires_on": str(lot.expires_on), "points": points} for lot, points in posting.drawn],
            "balance": balance(posting.after).model_dump(),
        }
        context.ledger.commit(
            PostingCommit(
                tenant_id=member.tenant_id,
                member_id=member.member_id,
                posting=posting,
                entry={"type": "expire", "source": "expiry", "program_version": program.version},
                operation=OperationRecord(EXPIRE, natural_id, EXPIRE, 200, body),
                now=now,
            )
        )
        report.members_expired += 1
        report.points_expired += -posting.points
        return Outcome(200, body)

    def stored() -> OperationRecord | None:
        return context.ledger.read_operation(candidate.tenant_id, EXPIRE, natural_id)

    return with_retries(context, attempt, stored, EXPIRE)
