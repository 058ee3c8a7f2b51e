"""A program's sunset, carried out by the scheduled runs: notices to members with points before
the last redeeming day (the reminders run), and after it the expiry of everything left (the
expiry run) with a `sunset` entry, whose points.expired event says why (reason program_ended).
Points on holds still open end with the rest, in the same entry and transaction, which closes
those holds: they can no longer be captured, and a release after it gives nothing back. A frozen
member's withheld points end in that entry too (its `withheld` field), so the balance still adds
up to the entries.

Scaling: tenants with a sunset are found in one small registry partition (an item written when
such a program is published), a tenant's members through GSI4 (keys only, write-sharded), each
page of keys read back consistently. A step (one notice offset, or the final expiry) costs one
read per member of the tenant, members without points included, and is then marked done in the
registry, so the daily runs after it cost one registry query. A run that stops half way walks the
tenant again next time and does nothing twice: a notice is a conditional put, a member's sunset
expiry has its operation record and leaves no lots behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from loyalty.domain.calendar import local_date
from loyalty.domain.sunset import notice_due, redeeming_ended, sunset_posting
from loyalty.models.ledger import EntryDetail
from loyalty.models.program import Program
from loyalty.operations.context import Context, Outcome
from loyalty.operations.funnel import Decision, change_candidate
from loyalty.operations.holds import release_hold_now
from loyalty.operations.views import balance
from loyalty.store.hold_store import HoldRecord, HoldStore
from loyalty.store.job_store import JobStore
from loyalty.store.ledger_store import ConcurrentChangeError
from loyalty.store.member_store import MemberRecord

# The sunset's transaction closes the member's open holds with the points: a handful at most,
# and beyond this many (the transaction's 100 items) the rest are released first, one by one.
HOLDS_PER_SUNSET = 90

SUNSET = "sunset"


@dataclass
class SunsetReport:
    members_expired: int = 0
    points_expired: int = 0
    notices_sent: int = 0
    notices_already_sent: int = 0
    finished: bool = True


def run_sunset_expiry(
    context: Context, jobs: JobStore, now: datetime, should_stop: Callable[[], bool] = lambda: False
) -> SunsetReport:
    """After a program's last redeeming day (program-local), expire every member's points."""
    report = SunsetReport()
    for tenant_id, done in jobs.sunsets().items():
        program = context.programs.get(tenant_id)
        if program.sunset is None or not redeeming_ended(program, now):
            continue
        step = f"{program.sunset.last_redeeming_day.isoformat()}#expired"
        if step in done:
            continue
        for member in context.members.tenant_members(tenant_id):
            if should_stop():
                report.finished = False
                return report
            _expire_all(context, program, member, program.sunset.last_redeeming_day, now, report)
        jobs.sunset_step_done(tenant_id, step)
    return report


def run_sunset_notices(context: Context, jobs: JobStore, now: datetime) -> SunsetReport:
    """One program.sunset_notice per member with points, per offset reached, never twice."""
    report = SunsetReport()
    for tenant_id, done in jobs.sunsets().items():
        program = context.programs.get(tenant_id)
        offset = notice_due(program, now)
        if program.sunset is None or offset is None:
            continue
        last_day = program.sunset.last_redeeming_day
        step = f"{last_day.isoformat()}#notice#{offset:03d}"
        if step in done:
            continue
        for member in context.members.tenant_members(tenant_id):
            points = member.account.available + member.account.pending
            if points <= 0:
                continue
            if context.notices.record_sunset_notice(
                tenant_id, member.member_id, last_day, offset, points, now
            ):
                report.notices_sent += 1
            else:
                report.notices_already_sent += 1
        jobs.sunset_step_done(tenant_id, step)
    return report


def _expire_all(
    context: Context,
    program: Program,
    candidate: MemberRecord,
    last_day: date,
    now: datetime,
    report: SunsetReport,
) -> None:
    if not candidate.lots and not candidate.account.held and not candidate.account.withheld:
        return  # nothing left (a stale read at worst: nothing is credited after the last day)
    natural_id = f"{candidate.member_id}@{last_day.isoformat()}"
    today = local_date(now, program.timezone)
    store = context.holds

    def decide(member: MemberRecord | None) -> Decision | Outcome:
        if member is None:
            return Outcome(200, {"points_expired": 0})
        holds = open_holds(context, store, member, now) if member.account.held else []
        held_lots = [lot for record in holds for lot in record.lots]
        posting = sunset_posting(member.account, member.lots, held_lots, today=today)
        if posting is None:
            return Outcome(200, {"points_expired": 0})
        body = {
            "member_id": member.member_id,
            "points_expired": -posting.points,
            "last_redeeming_day": last_day.isoformat(),
            "balance": balance(posting.after).model_dump(),
        }
        entry = EntryDetail(
            type="sunset",
            source="sunset",
            reason="program_ended",
            program_version=program.version,
            held=-member.account.held or None,  # held points that ended with the rest
        )
        # The holds close with the points they held (each only as read: open).
        closed = tuple(store.close_hold(record, "released", now) for record in holds)
        return Decision(200, body, now, member.member_id, posting, entry, closed)

    outcome = change_candidate(context, candidate, SUNSET, natural_id, decide)
    if outcome.committed:
        report.members_expired += 1
        report.points_expired += outcome.body["points_expired"]


def open_holds(context: Context, store: HoldStore, member: MemberRecord, now: datetime) -> list[HoldRecord]:
    """The member's open holds, which together hold `member.account.held` (else the member
    changed since it was read: read both again)."""
    holds = store.open_holds(member.tenant_id, member.member_id)
    if len(holds) > HOLDS_PER_SUNSET:
        for record in holds[HOLDS_PER_SUNSET:]:
            release_hold_now(context, record, now, "program_ended")
        raise ConcurrentChangeError("holds released ahead of the sunset: read the member again")
    if sum(lot.remaining for record in holds for lot in record.lots) != member.account.held:
        raise ConcurrentChangeError("the member's holds changed since it was read")
    return holds
