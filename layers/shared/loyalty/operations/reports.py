"""Reports (admin): read the aggregates of a window in a few Queries and compose the figures."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from loyalty.domain import reports
from loyalty.domain.calendar import local_date
from loyalty.errors import InvalidRequestError
from loyalty.models.program import Program
from loyalty.models.reports import (
    CampaignsResponse,
    FlowsResponse,
    RemindersResponse,
    SummaryResponse,
    TiersResponse,
)
from loyalty.operations.context import Context
from loyalty.operations.customers import active_members
from loyalty.store.report_store import Aggregates

DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years of days: 2 x 731 small items over the report shards


def window(program: Program, today: date, first: date | None, last: date | None) -> tuple[date, date]:
    last = last or today
    if first is None:
        if last < date.min + timedelta(days=DEFAULT_DAYS):
            raise InvalidRequestError(f"'to' ({last}) is too early")
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidRequestError(f"'from' ({first}) is after 'to' ({last})")
    if (last - first).days >= MAX_DAYS:
        raise InvalidRequestError(f"a report window is at most {MAX_DAYS} days")
    return first, last


def _read(
    context: Context, tenant_id: str, first: date | None, last: date | None
) -> tuple[Program, Aggregates, date, date, date, str]:
    program = context.programs.get(tenant_id)
    now = context.clock()
    today = local_date(now, program.timezone)
    start, end = window(program, today, first, last)
    aggregates = context.reports.read(tenant_id, start, end, today=today)
    return program, aggregates, start, end, today, now.isoformat()


def summary(context: Context, tenant_id: str, first: date | None, last: date | None) -> dict[str, Any]:
    program, found, start, end, today, as_of = _read(context, tenant_id, first, last)
    body = reports.summary(
        found.days,
        found.state,
        found.expires,
        found.matures,
        first=start,
        last=end,
        today=today,
        as_of=as_of,
        active=active_members(context, tenant_id, start),
        program=program,
    )
    return SummaryResponse.model_validate(body).model_dump(mode="json", by_alias=True)


def flows(
    context: Context, tenant_id: str, first: date | None, last: date | None, interval: reports.Interval
) -> dict[str, Any]:
    program, found, start, end, _, _ = _read(context, tenant_id, first, last)
    body = reports.flows(found.days, first=start, last=end, interval=interval, program=program)
    return FlowsResponse.model_validate(body).model_dump(mode="json", by_alias=True)


def tiers(context: Context, tenant_id: str, first: date | None, last: date | None) -> dict[str, Any]:
    program, found, start, end, _, as_of = _read(context, tenant_id, first, last)
    body = reports.tiers(found.days, found.state, first=start, last=end, as_of=as_of, program=program)
    return TiersResponse.model_validate(body).model_dump(mode="json", by_alias=True)


def campaigns(context: Context, tenant_id: str, first: date | None, last: date | None) -> dict[str, Any]:
    program, found, start, end, _, _ = _read(context, tenant_id, first, last)
    body = reports.campaigns(found.days, first=start, last=end, program=program)
    return CampaignsResponse.model_validate(body).model_dump(mode="json", by_alias=True)


def reminders(
    context: Context, tenant_id: str, first: date | None, last: date | None, within_days: int
) -> dict[str, Any]:
    _, found, start, end, _, _ = _read(context, tenant_id, first, last)
    body = reports.responses(found.days, first=start, last=end, within_days=within_days)
    return RemindersResponse.model_validate(body).model_dump(mode="json", by_alias=True)
