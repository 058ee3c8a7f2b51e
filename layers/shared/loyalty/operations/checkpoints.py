"""The day walk the scheduled runs share: from the job's checkpoint to the latest due day, then the
checkpoint moves to the first day not finished, so a stopped run or a missed schedule resumes there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from loyalty.store.job_store import JobStore


def walk_days(
    jobs: JobStore,
    job: str,
    first_run_start: date,
    latest: date,
    visit: Callable[[date], bool],
    should_stop: Callable[[], bool] = lambda: False,
) -> date:
    """Call `visit(day)` for each day due; `visit` answers whether the day is finished. Returns the
    new checkpoint (also stored)."""
    day = jobs.next_date(job) or first_run_start
    unfinished: date | None = None
    while day <= latest:
        if should_stop():
            break
        if not visit(day):
            unfinished = unfinished or day
        day += timedelta(days=1)
    checkpoint = min(unfinished or day, day)
    jobs.advance(job, checkpoint)
    return checkpoint
