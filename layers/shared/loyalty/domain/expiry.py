"""Expiry dates of new lots under the program's policy, in the program's time zone.

`lot_expiry` is the one place a new lot's date is decided: every credit (purchase, activity,
signup, birthday, referral, adjustment, import) asks it with its source, so a per-source rule and
an imported lot's own date apply the same way everywhere."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from loyalty.domain.calendar import latest_local_date, local_date
from loyalty.domain.ledger import Lot, next_expiry
from loyalty.models.program import EarnSource, ExpiryRule, Program


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ProgramAt:
    """The program at one moment, as a posting needs it: its local date then (`today=` of every
    posting), and the last day of points dated then."""

    program: Program
    now: datetime

    @property
    def today(self) -> date:
        return local_date(self.now, self.program.timezone)

    def expiry(self, source: EarnSource | None = None) -> date | None:
        """The last day of points dated now: by `source`'s rule, or without one by the program's
        default rule (points released from review or a freeze are dated from their release)."""
        rule = self.program.expiry if source is None else self.program.expiry.rule_for(source)
        return expiry_under(rule, self.now, self.program.timezone)


def lot_expiry(
    program: Program, source: EarnSource, earned_at: datetime, *, explicit: date | None = None
) -> date | None:
    """The last day (inclusive, program-local) on which points of `source` earned at `earned_at`
    can be spent: `explicit` when the credit carries its own date (imported points keep their
    original one), else the source's rule, else the program's default."""
    return explicit if explicit is not None else ProgramAt(program, earned_at).expiry(source)


def index_day(lots: tuple[Lot, ...] | list[Lot], now: datetime) -> date | None:
    """The day the expiry index files a member under after a write at `now`: the first day some
    of its points expire, or none when nothing it has expires.

    Points given back with a date already past (a cancelled redemption, a released hold) are
    filed on a day no expiry run has finished yet, so the next runs expire them. A run may have
    finished every day before the latest date in use anywhere (UTC+14), not only those before
    today's UTC date; and any later write keeps the member there, or it would move it back onto
    a finished day."""
    due = next_expiry(lots)
    unfinished = latest_local_date(now)
    return unfinished if due is not None and due < unfinished else due


def expiry_under(rule: ExpiryRule, earned_at: datetime, timezone: str) -> date | None:
    """The last day under one rule."""
    if rule.policy == "never":
        return None
    local_day = local_date(earned_at, timezone)
    if rule.policy == "days":
        return local_day + timedelta(days=rule.days)
    if rule.policy == "fixed":
        year = local_day.year + rule.years_after
        return date(year, rule.month, min(rule.day, calendar.monthrange(year, rule.month)[1]))
    until = add_months(local_day, rule.months)
    if rule.end_of_month:
        until = until.replace(day=calendar.monthrange(until.year, until.month)[1])
    return until
