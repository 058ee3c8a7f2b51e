"""What the scheduled runs cost per member: the birthday, tier and expiry runs, each metered over
one day on which nobody is due (the run's fixed cost: its checkpoint and one day of index shards)
and over one day on which MEMBERS members are due; the difference divided by MEMBERS is what one
more due member costs.

The members are enrolled (with a birthday), and buy enough for silver, through the operations
the API calls, on a fixed clock long before the other bench members' dates, so no other member
is due on the days walked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.meter import Meter, OperationCost
from bench.table import TABLE, TENANT, BenchTable
from loyalty.models.api import EnrollRequest, PurchaseRequest
from loyalty.operations import members, purchases
from loyalty.operations.birthdays import run_birthdays
from loyalty.operations.context import Context
from loyalty.operations.expiry import run_expiry
from loyalty.operations.tiers import run_tiers
from loyalty.store.job_store import JobStore
from loyalty.store.member_store import MemberRecord

MEMBERS = 20
ENROLLED = datetime(2025, 6, 10, 4, tzinfo=UTC)  # 12:00 in Shanghai, the sample program's zone
BIRTHDAY = date(1990, 7, 15)
SHANGHAI = timedelta(hours=8)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Context, JobStore, datetime], Any]
    done: Callable[[Any], int]  # members the report says were served
    runs_after_day: bool  # expiry: a date is due once it is over; the others: once it has begun
    outcome: str  # what the run does to each of the due members


JOBS = {
    "birthday": Job("birthday run", run_birthdays, lambda report: report.bonuses_given, False, "bonus given"),
    # a year after the 5,000 purchase, its spend has left the window: silver is kept for the grace
    "tiers": Job("tier run", run_tiers, lambda report: report.members_evaluated, False, "grace begun"),
    "expiry": Job("expiry run", run_expiry, lambda report: report.members_expired, True, "points expired"),
}


def measure_scheduled(table: BenchTable, client: Any, meter: Meter) -> list[OperationCost]:
    context = table.context(client)
    context.clock = lambda: ENROLLED
    jobs = JobStore(TABLE, client)
    ids = [f"s{number}" for number in range(MEMBERS)]
    for member_id in ids:
        members.enroll(context, TENANT, EnrollRequest(member_id=member_id, birthday=BIRTHDAY))
        purchase = PurchaseRequest(
            order_id=f"o-{member_id}", member_id=member_id, amount=Decimal("5000.00"), currency="CNY"
        )
        purchases.record_purchase(context, TENANT, purchase)
    rows = _measure(context, jobs, meter, JOBS["birthday"], BIRTHDAY.replace(year=ENROLLED.year))
    rows += _measure(context, jobs, meter, JOBS["tiers"], _member(context, ids[0]).tier.review_on)
    expiring = [lot.expires_on for lot in _member(context, ids[0]).lots if lot.expires_on]
    rows += _measure(context, jobs, meter, JOBS["expiry"], min(expiring))
    return rows


def _member(context: Context, member_id: str) -> MemberRecord:
    member = context.members.read_member(TENANT, member_id)
    if member is None:
        raise RuntimeError(f"bench member {member_id!r} is missing")
    return member


def _measure(
    context: Context, jobs: JobStore, meter: Meter, job: Job, due: date | None
) -> list[OperationCost]:
    if due is None:
        raise RuntimeError(f"{job.name}: the bench members are not due on any day")

    def run(day: date) -> int:
        """The run at 01:00 in the program's zone on the morning that makes `day` the last day it
        walks; how many members it served."""
        morning = day + timedelta(days=1) if job.runs_after_day else day
        now = datetime(morning.year, morning.month, morning.day, 1, tzinfo=UTC) - SHANGHAI
        return job.done(job.run(context, jobs, now))

    run(due - timedelta(days=2))  # a first run walks back a month; its checkpoint is now on the eve
    served_empty, empty = meter.read(lambda: run(due - timedelta(days=1)))
    served, loaded = meter.read(lambda: run(due))
    if (served_empty, served) != (0, MEMBERS):
        raise RuntimeError(f"{job.name}: served {served_empty} then {served}, not 0 then {MEMBERS}")
    return [
        OperationCost.of(f"{job.name}, fixed cost (one day walked, nobody due)", empty),
        OperationCost.per_member(
            f"{job.name}, per due member, {job.outcome} "
            f"((run over {MEMBERS} due members - run over none) / {MEMBERS})",
            loaded,
            empty,
            MEMBERS,
        ),
    ]
