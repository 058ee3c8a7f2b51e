"""Expiry reminders: one points.expiring event per member, per expiry date, per reminder window
(e.g. 30 and 7 days before), never twice, in the member's locale from the program's templates.

A run looks at the members whose next points expire within the longest window (the expiry index),
so its cost follows the members due a reminder. The index keys a member by its next expiry date
only; every other date of the member's lots that falls within a window is reminded from the same
read (a member's lots hold all its dates), so a second date is reminded on time, not once the
first date's points are gone, and no member costs more than one read. A run that comes late (a
missed schedule) sends only the tightest window it reached: one message, not a burst. The
reminder's record (member, date, window) makes each reminder once, whichever date the index
shows the member under.

The same run reminds members whose paid membership (with any bought ahead) ends within a window:
one membership.expiring event per membership and window, found through the tier review index
(a membership's end is a review day of its member, or a later one than the member's next review).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from loyalty.domain.calendar import earliest_local_date, latest_local_date, local_date
from loyalty.domain.memberships import paid_until
from loyalty.models.program import Locale
from loyalty.operations.context import Context
from loyalty.store.member_store import MemberRecord

LONGEST_WINDOW = 31  # the program model's limit on a reminder window


@dataclass
class ReminderReport:
    """What one reminders run did: reminders it sent, and those a run had sent already."""

    reminders_sent: int = 0
    already_sent: int = 0
    memberships_reminded: int = 0


def run_reminders(context: Context, now: datetime) -> ReminderReport:
    report = ReminderReport()
    day, last = earliest_local_date(now), latest_local_date(now) + timedelta(days=LONGEST_WINDOW)
    while day <= last:
        for member in context.members.members_due(day):
            _remind(context, member, now, report)
        for member in context.members.members_due_review(day):
            _remind_membership(context, member, now, report)
        day += timedelta(days=1)
    return report


def _remind_membership(context: Context, member: MemberRecord, now: datetime, report: ReminderReport) -> None:
    """The last membership the member bought, if it ends within a reminder window (the tightest)."""
    program = context.programs.get(member.tenant_id)
    today = local_date(now, program.timezone)
    until = paid_until(member.tier, today)
    last = next((p for p in member.tier.memberships if p.ends_on == until), None)
    if last is None:
        return
    days_left = (last.ends_on - today).days
    reached = sorted(w for w in program.reminders.windows_days if 0 < days_left <= w)
    if reached and context.memberships.record_expiring(
        member.tenant_id, member.member_id, last, reached[0], now
    ):
        report.memberships_reminded += 1


def _remind(context: Context, member: MemberRecord, now: datetime, report: ReminderReport) -> None:
    """Every expiry date of the member's points due a reminder now, each in its tightest window."""
    program = context.programs.get(member.tenant_id)
    today = local_date(now, program.timezone)
    for expires_on in sorted({lot.expires_on for lot in member.lots if lot.expires_on is not None}):
        days_left = (expires_on - today).days
        reached = sorted(w for w in program.reminders.windows_days if 0 <= days_left <= w)
        points = sum(lot.remaining for lot in member.lots if lot.expires_on == expires_on)
        if not reached or not points:
            continue
        locale: Locale = "en" if member.profile.get("locale") == "en" else "zh-CN"
        template = program.reminders.templates.get(locale) or program.reminders.templates.get("zh-CN")
        message = (template or "{points} / {expires_on}").format(points=points, expires_on=expires_on)
        detail = {"points": points, "locale": locale, "message": message}
        if context.notices.record_reminder(
            member.tenant_id, member.member_id, expires_on, reached[0], detail, now
        ):
            report.reminders_sent += 1
        else:
            report.already_sent += 1
