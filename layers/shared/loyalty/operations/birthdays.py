"""The birthday run: the tier's birthday bonus once per member per year, on the birthday in the
program's time zone, with an entry whose event (member.birthday) the shop can greet with.

Members are found through a sparse, sharded index by month and day; the run walks days from its
checkpoint to the latest local day anywhere, so a missed schedule still gives every bonus (late,
in the same year), and a second run for the same time gives nothing twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from loyalty.domain.birthdays import celebrated_on, month_days_celebrated
from loyalty.domain.calendar import earliest_local_date, latest_local_date, local_date
from loyalty.domain.expiry import ProgramAt
from loyalty.domain.ledger import credit
from loyalty.domain.sunset import earning_ended
from loyalty.domain.tiers import current_tier
from loyalty.models.ledger import EntryDetail
from loyalty.operations.checkpoints import walk_days
from loyalty.operations.context import Context, Outcome
from loyalty.operations.funnel import Decision, change_candidate
from loyalty.operations.views import balance
from loyalty.store.job_store import JobStore
from loyalty.store.member_store import MemberRecord

JOB = "birthdays"
BIRTHDAY = "birthday"


@dataclass
class BirthdayReport:
    bonuses_given: int = 0
    points_given: int = 0
    not_yet_due: int = 0
    next_date: str = ""

    def given(self, outcome: Outcome) -> None:
        """Count a bonus this run gave (not one a replay answered)."""
        if outcome.committed:
            self.bonuses_given += 1
            self.points_given += outcome.body["points"]


def run_birthdays(context: Context, jobs: JobStore, now: datetime) -> BirthdayReport:
    report = BirthdayReport()

    def visit(day: date) -> bool:
        finished = True
        for month_day in month_days_celebrated(day):
            for member in context.members.members_born_on(month_day):
                if not _celebrate(context, member, day, now, report):
                    report.not_yet_due += 1
                    finished = False
        return finished

    checkpoint = walk_days(jobs, JOB, earliest_local_date(now), latest_local_date(now), visit)
    report.next_date = checkpoint.isoformat()
    return report


def _celebrate(
    context: Context, candidate: MemberRecord, day: date, now: datetime, report: BirthdayReport
) -> bool:
    program = context.programs.get(candidate.tenant_id)
    if local_date(now, program.timezone) < day:
        return False  # not yet that day in this program's time zone
    birthday = date.fromisoformat(str(candidate.profile["birthday"]))
    if celebrated_on(birthday, day.year) != day:
        return True  # 29 February in a leap year is celebrated on the 29th, not the 28th
    natural_id = f"{candidate.member_id}@{day.year}"

    def decide(member: MemberRecord | None) -> Decision | Outcome:
        if member is None:
            return Outcome(200, {})
        tier = current_tier(program, member.tier)  # the member as read now, not as the run found it
        at = ProgramAt(program, now)
        expires_on = at.expiry("birthday")
        # After the program's last earning day the birthday is still greeted, with no points.
        bonus = 0 if earning_ended(program, now, now) else tier.birthday_bonus
        posting = credit(member.account, member.lots, bonus, expires_on, today=at.today)
        body = {
            "member_id": member.member_id,
            "year": day.year,
            "points": posting.points,
            "balance": balance(posting.after).model_dump(),
        }
        entry = EntryDetail(
            type="earn",
            source="birthday",
            birthday_year=day.year,  # the program-local year: the coupon issued once a year
            program_version=program.version,
            rule_ids=[f"birthday:{tier.id}"],
            expires_on=expires_on if posting.points else None,
        )
        return Decision(200, body, now, member.member_id, posting, entry)

    report.given(change_candidate(context, candidate, BIRTHDAY, natural_id, decide))
    return True
