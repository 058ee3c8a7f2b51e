"""The end of a program (its sunset), in the program's time zone: after the last earning day
nothing more is earned; after the last redeeming day what is left expires; before it, members
with points get a notice at each configured offset."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from loyalty.domain.calendar import local_date
from loyalty.domain.ledger import Account, Lot, Posting, expire
from loyalty.domain.redemption import release
from loyalty.errors import ProgramEndedError
from loyalty.models.program import Program


def earning_ended(program: Program, occurred: datetime, now: datetime) -> date | None:
    """The last earning day when an earn that happened at `occurred` (recorded at `now`) is too
    late, else None. A purchase made in time but reported late still earns, until the last
    redeeming day: after it the points could never be spent."""
    sunset = program.sunset
    if sunset is None:
        return None
    if local_date(min(occurred, now), program.timezone) > sunset.last_earning_day:
        return sunset.last_earning_day
    if local_date(now, program.timezone) > sunset.last_redeeming_day:
        return sunset.last_earning_day
    return None


def redeeming_ended(program: Program, now: datetime) -> bool:
    sunset = program.sunset
    return sunset is not None and local_date(now, program.timezone) > sunset.last_redeeming_day


def check_redeeming_open(program: Program, now: datetime) -> None:
    """Spending (redemptions, holds, draws) ends with the last redeeming day."""
    if program.sunset is not None and redeeming_ended(program, now):
        raise ProgramEndedError(f"the program's last redeeming day was {program.sunset.last_redeeming_day}")


def notice_due(program: Program, now: datetime) -> int | None:
    """The sunset notice (its offset in days) members are due now: the tightest offset reached,
    so a run that comes late sends one notice, not a burst; None before the first or after the end."""
    sunset = program.sunset
    if sunset is None:
        return None
    days_left = (sunset.last_redeeming_day - local_date(now, program.timezone)).days
    reached = sorted(offset for offset in sunset.notices if 0 <= days_left <= offset)
    return reached[0] if reached else None


def sunset_posting(account: Account, lots: list[Lot], held_lots: list[Lot], *, today: date) -> Posting | None:
    """Everything a member has left at the sunset, expired in one posting: every lot, dated or
    not, the points of the member's open holds (`held_lots`, all of them), which could only be
    captured until the last redeeming day, and a frozen member's withheld points, which could
    never be released into a spendable balance again. The holds are closed with it, so a release
    after the sunset gives nothing back. None when there is nothing left."""
    if held_lots:
        released = release(account, lots, held_lots, today=today)
        if released.after.held != 0:
            raise ValueError("the sunset closes every open hold: their lots must add up to what is held")
        start, start_lots = released.after, list(released.lots_after)
    else:
        start, start_lots = account, lots
    expired = expire(start, start_lots, today, everything=True)
    withheld = start.withheld
    if expired is None and not held_lots and not withheld:
        return None
    if expired is None:  # nothing in lots: only withheld points end (or holds of nothing)
        after = replace(start, version=account.next_seq)
        expired = Posting(before=account, after=after, points=0, lots_after=tuple(start_lots))
    # One posting from the account as stored: the release, the expiry and the withheld points
    # ending are one ledger entry.
    after = replace(expired.after, withheld=0, version=account.next_seq)
    return replace(expired, before=account, after=after, points=expired.points - withheld, withheld=-withheld)
