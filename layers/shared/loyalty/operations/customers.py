"""The customers snapshot (scheduled) and the customers report that reads its latest result.

A run walks every tenant in the reports registry: a tenant whose latest snapshot is of today
(program-local) is skipped; otherwise each of its member shards is paged from its checkpoint
until done or the run is nearly out of time (the next run resumes), and once every shard is
done the figures of every window are computed from the stored rows and kept as one item. Cost:
one consistent read per member and a write per 100 members, once a day."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from loyalty.domain import customers
from loyalty.domain.calendar import local_date
from loyalty.domain.reports import money
from loyalty.errors import TenantNotFoundError
from loyalty.models.program import Program
from loyalty.models.reports import CustomersResponse
from loyalty.operations.context import Context
from loyalty.store import keys
from loyalty.store.snapshot_store import PageTakenError, ShardProgress, SnapshotStore


@dataclass
class SnapshotReport:
    tenants_done: int = 0
    tenants_left: int = 0
    members_read: int = 0
    pages_written: int = 0


def run_snapshots(
    context: Context, now: datetime, *, should_stop: Callable[[], bool] = lambda: False
) -> SnapshotReport:
    store, report = context.snapshots, SnapshotReport()
    for tenant_id in store.tenants():
        try:
            program = context.programs.get(tenant_id)
        except TenantNotFoundError:
            continue
        finished = _run_tenant(store, tenant_id, program, now, should_stop, report)
        if finished:
            report.tenants_done += 1
        else:
            report.tenants_left += 1
    return report


def _run_tenant(
    store: SnapshotStore,
    tenant_id: str,
    program: Program,
    now: datetime,
    should_stop: Callable[[], bool],
    report: SnapshotReport,
) -> bool:
    as_of = local_date(now, program.timezone)
    latest = store.result(tenant_id)
    if latest is not None and latest[0] >= as_of:
        return True
    progress = store.progress(tenant_id, as_of)
    for shard in range(keys.EXPIRY_SHARDS):
        seen = progress.get(shard, ShardProgress())
        while not seen.done:
            if should_stop():
                return False
            members, cursor = store.member_page(tenant_id, shard, seen.cursor)
            found = [
                customers.customer_row((m.get("tier") or {}).get("buckets") or {}, as_of) for m in members
            ]
            try:
                seen = store.save_page(
                    tenant_id, as_of, shard, seen, [row.encode() for row in found if row], cursor, now
                )
            except PageTakenError:  # another run wrote it: carry on from where that one is
                seen = store.progress(tenant_id, as_of).get(shard, ShardProgress())
                continue
            report.members_read += len(members)
            report.pages_written += 1
    rows = [customers.CustomerRow.decode(text) for text in store.rows(tenant_id, as_of)]
    figures = {str(months): customers.customers(rows, months) for months in customers.WINDOWS}
    store.put_result(tenant_id, as_of, figures, now)
    return True


def customers_report(
    context: Context, tenant_id: str, first: date | None, last: date | None
) -> dict[str, Any]:
    """The latest snapshot's figures for the shortest window (1, 3, 6 or 12 months up to the
    snapshot's month) that starts no later than `first`; `to` is the snapshot's day."""
    program = context.programs.get(tenant_id)
    found = context.snapshots.result(tenant_id)
    if found is None:
        return _checked(
            {
                "as_of": None,
                "window": None,
                "purchasers": 0,
                "revenue": _money(0, program),
                "pareto": None,
                "rfm": None,
                "repeat_purchase_rate": None,
            }
        )
    as_of, figures = found
    months = customers.window_months(as_of, first)
    chosen = figures[str(months)]
    start = date(as_of.year, as_of.month, 1)
    for _ in range(months - 1):
        start = date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)
    segments = [
        {
            **{k: v for k, v in item.items() if k != "revenue_minor"},
            "revenue": _money(item["revenue_minor"], program),
        }
        for item in chosen["rfm"]["segments"]
    ]
    return _checked(
        {
            "as_of": as_of.isoformat(),
            "window": {"from": start.isoformat(), "to": as_of.isoformat(), "months": months},
            "purchasers": chosen["purchasers"],
            "revenue": _money(chosen["revenue_minor"], program),
            "pareto": chosen["pareto"],
            "rfm": {"segments": segments, "scores": chosen["rfm"]["scores"]},
            "repeat_purchase_rate": chosen["repeat_purchase_rate"],
            "repeat_purchasers": chosen["repeat_purchasers"],
        }
    )


def _checked(body: dict[str, Any]) -> dict[str, Any]:
    return CustomersResponse.model_validate(body).model_dump(mode="json", by_alias=True)


def active_members(context: Context, tenant_id: str, first: date) -> int | None:
    """Distinct purchasers of the latest snapshot's window that covers `first` (None without one)."""
    found = context.snapshots.result(tenant_id)
    if found is None:
        return None
    as_of, figures = found
    return int(figures[str(customers.window_months(as_of, first))]["purchasers"])


def _money(minor: int, program: Program) -> dict[str, str]:
    return {"amount": money(minor), "currency": program.currency}
