"""Expiry reminders: one points.expiring event per member, per expiry date, per reminder window
(e.g. 30 and 7 days before), never twice, in the member's locale from the program's templates.

A run looks at the members whose next points expire within the longest window (the expiry index),
so its cost follows the members due a reminder. A run that comes late (a missed schedule) sends
only the tightest window it reached: one message, not a burst. A member's later expiry dates are
reminded once their earlier points are gone and the index moves the member to the next date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from loyalty.domain.calendar import earliest_local_date, latest_local_date, local_date
from loyalty.models.program import Locale
from loyalty.operations.context import Context

LONGEST_WINDOW = 31  # the program model's limit on a reminder window


@dataclass
class ReminderReport:
    reminders_sent: int = 0
    already_sent: int = 0


def run_reminders(context: Context, now: datetime) -> ReminderReport:
    report = ReminderReport()
    day, last = earliest_local_date(now), latest_local_date(now) + timedelta(days=LONGEST_WINDOW)
    while day <= last:
        for member in context.members.members_due(day):
            program = context.programs.get(member.tenant_id)
            days_left = (day - local_date(now, program.timezone)).days
            reached = sorted(w for w in program.reminders.windows_days if 0 <= days_left <= w)
            points = sum(lot.remaining for lot in member.lots if lot.expires_on == day)
            if not reached or not points:
                continue
            locale: Locale = "en" if member.profile.get("locale") == "en" else "zh-CN"
            template = program.reminders.templates.get(locale) or program.reminders.templates.get("zh-CN")
            message = (template or "{points} / {expires_on}").format(points=points, expires_on=day)
            detail = {"points": points, "locale": locale, "message": message}
            if context.notices.record_reminder(
                member.tenant_id, member.member_id, day, reached[0], detail, now
            ):
                report.reminders_sent += 1
            else:
                report.already_sent += 1
        day += timedelta(days=1)
    return report
