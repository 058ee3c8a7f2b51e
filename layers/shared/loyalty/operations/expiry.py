"""The daily expiry run: what is left of every lot past its last day expires, with an `expire`
ledger entry (and so a points.expired event), exactly once, at a cost proportional to the members
due, never to all members.

How it finds work: each member with dated points sits in a sparse index under its next expiry
date, written over `EXPIRY_SHARDS` shards so that one busy date is not one hot partition. The
scheduled run (`start_expiry`) takes "now" from the schedule, expires what a program's sunset left
(`loyalty.operations.sunset`), and enqueues one message per shard; a worker per message
(`run_expiry_shard`) walks the dates from its shard's own checkpoint up to the latest date that
can already be over in some time zone, page by page. A member is expired when its program's local
day is past the date. The shard's checkpoint then moves to the first date it could not finish (a
member not yet due in its own zone), so a worker that stopped half way (it re-enqueues its shard),
a redelivered message, or a schedule that missed days picks up exactly there; running again
changes nothing. `run_expiry` does the whole run in one call (tests, the simulation, a replay by
hand).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from loyalty.domain.calendar import latest_local_date, local_date
from loyalty.domain.ledger import expire
from loyalty.models.jobs import EXPIRY_SHARDS, ExpiryShardMessage
from loyalty.models.ledger import EntryDetail
from loyalty.operations.checkpoints import walk_days
from loyalty.operations.context import Context, Outcome
from loyalty.operations.funnel import Decision, change_candidate
from loyalty.operations.sunset import run_sunset_expiry
from loyalty.operations.views import balance
from loyalty.store.job_store import JobStore
from loyalty.store.member_store import MemberRecord
from loyalty.store.messaging import WorkQueue

JOB = "expiry"
EXPIRE = "expire"
FIRST_RUN_LOOKBACK = timedelta(days=31)


@dataclass
class ExpiryReport:
    members_expired: int = 0
    points_expired: int = 0
    members_not_yet_due: int = 0
    sunset_members_expired: int = 0
    sunset_points_expired: int = 0
    shards_enqueued: int = 0
    shards_stopped: list[int] = field(default_factory=list)  # stopped early: to be walked again
    dates: list[str] = field(default_factory=list)
    next_date: str = ""  # the earliest checkpoint of the shards walked

    def expired(self, outcome: Outcome) -> Outcome:
        """Count a member this run expired (not one a replay answered)."""
        if outcome.committed:
            self.members_expired += 1
            self.points_expired += outcome.body["points_expired"]
        return outcome

    def add(self, shard: ExpiryReport) -> None:
        self.members_expired += shard.members_expired
        self.points_expired += shard.points_expired
        self.members_not_yet_due += shard.members_not_yet_due
        self.shards_stopped += shard.shards_stopped
        self.dates = sorted({*self.dates, *shard.dates})
        self.next_date = min(filter(None, (self.next_date, shard.next_date)), default="")


def start_expiry(
    context: Context,
    jobs: JobStore,
    now: datetime,
    shards: WorkQueue,
    *,
    should_stop: Callable[[], bool] = lambda: False,
) -> ExpiryReport:
    """The scheduled run: a program's sunset first, then one message per shard for the workers.
    The shards are enqueued even when the sunset stopped early (it resumes on the next run)."""
    report = _expire_sunsets(context, jobs, now, should_stop)
    shards.send(
        [ExpiryShardMessage(shard=shard, now=now).model_dump_json() for shard in range(EXPIRY_SHARDS)]
    )
    report.shards_enqueued = EXPIRY_SHARDS
    return report


def run_expiry(
    context: Context, jobs: JobStore, now: datetime, *, should_stop: Callable[[], bool] = lambda: False
) -> ExpiryReport:
    """The whole run in this call: the sunset, then every shard in turn. `should_stop` ends it
    early with each shard's checkpoint on the date in progress, which the next run finishes."""
    report = _expire_sunsets(context, jobs, now, should_stop)
    for shard in range(EXPIRY_SHARDS):
        report.add(run_expiry_shard(context, jobs, now, shard, should_stop=should_stop))
    return report


def run_expiry_shard(
    context: Context,
    jobs: JobStore,
    now: datetime,
    shard: int,
    *,
    should_stop: Callable[[], bool] = lambda: False,
) -> ExpiryReport:
    """Expire everything due by `now` in one shard of the expiry index, from its checkpoint on."""
    latest = latest_local_date(now) - timedelta(days=1)
    report = ExpiryReport()

    def visit(day: date) -> bool:
        report.dates.append(day.isoformat())
        finished = True
        for member in context.members.members_due(day, [shard]):
            if _expire_member(context, member, day, now, report) is None:
                report.members_not_yet_due += 1
                finished = False
        return finished

    def stop() -> bool:
        stopping = should_stop()
        if stopping and shard not in report.shards_stopped:
            report.shards_stopped.append(shard)
        return stopping

    checkpoint = walk_days(jobs, shard_job(shard), latest - FIRST_RUN_LOOKBACK, latest, visit, stop)
    report.next_date = checkpoint.isoformat()
    return report


def shard_job(shard: int) -> str:
    """Each shard keeps its own checkpoint: its worker may finish, stop or fail on its own."""
    return f"{JOB}#{shard}"


def _expire_sunsets(
    context: Context, jobs: JobStore, now: datetime, should_stop: Callable[[], bool]
) -> ExpiryReport:
    # Programs past their last redeeming day first: everything left goes as `sunset`, not `expire`.
    sunset = run_sunset_expiry(context, jobs, now, should_stop)
    return ExpiryReport(
        sunset_members_expired=sunset.members_expired, sunset_points_expired=sunset.points_expired
    )


def _expire_member(
    context: Context, candidate: MemberRecord, due: date, now: datetime, report: ExpiryReport
) -> Outcome | None:
    program = context.programs.get(candidate.tenant_id)
    today = local_date(now, program.timezone)
    if today <= due:
        return None  # the date is not over yet in this program's time zone
    natural_id = f"{candidate.member_id}@{today.isoformat()}"

    def decide(member: MemberRecord | None) -> Decision | Outcome:
        posting = expire(member.account, member.lots, today) if member else None
        if member is None or posting is None:
            return Outcome(200, {"points_expired": 0})
        body = {
            "member_id": member.member_id,
            "points_expired": -posting.points,
            "lots": [{"expires_on": str(lot.expires_on), "points": points} for lot, points in posting.drawn],
            "balance": balance(posting.after).model_dump(),
        }
        entry = EntryDetail(type="expire", source="expiry", program_version=program.version)
        return Decision(200, body, now, member.member_id, posting, entry)

    return report.expired(change_candidate(context, candidate, EXPIRE, natural_id, decide))
