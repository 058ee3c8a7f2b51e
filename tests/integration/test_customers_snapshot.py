"""The customers snapshot: 80/20, RFM segments and repeat purchases from designed purchases,
paged through the tenant's members (GSI4), stopped and resumed from its checkpoints."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

import loyalty.store.snapshot_store as snapshot_store
from loyalty.models.api import EnrollRequest, PurchaseRequest
from loyalty.operations import members, purchases, reports
from loyalty.operations.customers import customers_report, run_snapshots
from tests.integration.test_report_aggregates import FUNCTION, deliver
from tests.support.streams import stream_records

pytestmark = pytest.mark.stream


@pytest.fixture
def endpoint(backend, request):
    return request.getfixturevalue("dynamodb_local").endpoint if backend == "dynamodb-local" else None


def buy(context, order_id, member_id, amount, occurred_at=None):
    request = PurchaseRequest(
        order_id=order_id,
        member_id=member_id,
        amount=Decimal(amount),
        currency="CNY",
        occurred_at=occurred_at,
    )
    assert purchases.record_purchase(context, "shop", request).status == 201


def designed_purchasers(context, clock):
    """November 2026: m1 5 x 160.00 and m2 1 x 800.00 (2 members x 800 of 2,000), m3 2 x 25.00,
    m4..m10 one 50.00 each; m11 bought once in August (85 days before); m12 never bought."""
    for number in range(1, 13):
        members.enroll(context, "shop", EnrollRequest(member_id=f"m{number}"))
    for n in range(5):
        buy(context, f"m1-{n}", "m1", "160.00")
    buy(context, "m2-0", "m2", "800.00")
    buy(context, "m3-0", "m3", "25.00")
    buy(context, "m3-1", "m3", "25.00")
    for number in range(4, 11):
        buy(context, f"m{number}-0", f"m{number}", "50.00")
    buy(context, "m11-0", "m11", "300.00", occurred_at=clock() - timedelta(days=85))


def test_the_80_20_rfm_segments_and_repeat_rate_of_designed_purchasers(
    aws, context, clock, endpoint, monkeypatch
):
    # Given the designed purchasers, the tenant registered from the stream
    designed_purchasers(context, clock)
    arn, records = stream_records(aws, endpoint, FUNCTION)
    deliver(aws, endpoint, [("shard-1", arn, records)])
    # And pages of 3 members, a run that stops after 4 pages
    monkeypatch.setattr(snapshot_store, "PAGE", 3)
    checks = {"n": 0}

    def stop_after_four_pages():
        checks["n"] += 1
        return checks["n"] > 4

    # When the snapshot runs, stops, and runs again (then once more: today's is made already)
    first = run_snapshots(context, clock(), should_stop=stop_after_four_pages)
    assert (first.tenants_done, first.tenants_left, first.pages_written) == (0, 1, 4)
    second = run_snapshots(context, clock())
    assert second.tenants_done == 1
    assert first.members_read + second.members_read == 12  # every member read once
    assert run_snapshots(context, clock()).members_read == 0

    # Then November's top 20% of purchasers (2 of 10) bring 1,600 of 2,000: 0.80
    november = customers_report(context, "shop", datetime(2026, 11, 1).date(), None)
    assert november["window"] == {"from": "2026-11-01", "to": "2026-11-23", "months": 1}
    assert november["purchasers"] == 10
    assert november["revenue"] == {"amount": "2000.00", "currency": "CNY"}
    assert november["pareto"]["top_20_percent_share"] == 0.8
    assert november["pareto"]["top_members"] == 2
    assert november["pareto"]["curve"][-1] == {"members_share": 1.0, "members": 10, "revenue_share": 1.0}
    # And 2 of them bought more than once
    assert (november["repeat_purchasers"], november["repeat_purchase_rate"]) == (2, 0.2)
    # And the 12-month RFM segments: m1 champion, m3 promising, 8 new, m11 hibernating
    year = customers_report(context, "shop", None, None)
    assert year["purchasers"] == 11
    segments = {item["segment"]: item["members"] for item in year["rfm"]["segments"]}
    assert segments == {
        "champions": 1,
        "loyal": 0,
        "new": 8,
        "promising": 1,
        "at_risk": 0,
        "hibernating": 1,
        "lost": 0,
    }
    champions = next(item for item in year["rfm"]["segments"] if item["segment"] == "champions")
    assert champions["revenue"] == {"amount": "800.00", "currency": "CNY"}
    # And the summary's active members are November's purchasers
    summary = reports.summary(context, "shop", datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date())
    assert summary["members"]["active"] == 10
