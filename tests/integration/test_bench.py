"""bench/'s DynamoDB Local runs, with tiny parameters: they run, and count what they claim to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.cost import measure_queue_units
from bench.operations import OperationFigures, measure_operations
from bench.scheduled import MEMBERS
from bench.table import BenchTable, bench_table
from bench.throughput import measure_throughput

SPENDING = {
    "redemption (reward with stock and a per-member limit)",
    "redemption cancel",
    "hold reserve",
    "hold capture",
    "hold release",
    "coupon bought with points",
    "coupon given by an admin",
    "coupon use",
    "lottery draw (prize with stock won, daily limit)",
    "activity earn (review)",
    "tier assignment by an admin (upgrade)",
}


@pytest.fixture(scope="module")
def measured() -> Iterator[tuple[BenchTable, OperationFigures]]:
    """One DynamoDB Local and one operations run for the module (it takes a while)."""
    with bench_table() as table:
        yield table, measure_operations(table)


def test_bench_measures_operations_queue_units_and_throughput(measured):
    table, figures = measured
    queue = measure_queue_units(table)
    run = measure_throughput(table, 2, 0.3)

    rows = {row.name: row for row in figures.rows}
    earn = rows["earn (purchase)"]
    assert earn.calls == "BatchGetItem + TransactWriteItems"
    assert earn.write_units > 0
    assert set(figures.earn_items.sizes) == {"member", "ledger entry", "operation record"}
    assert figures.earn_items.indexed == {}  # every index is keys only: an earn writes none
    assert figures.earn_items.total_units == 6
    assert all(0 < size < 64 * 1024 for size in figures.earn_items.sizes.values())
    assert queue.calls == "BatchGetItem + TransactWriteItems"
    assert run.earns > 0
    assert run.attempts_per_earn == 1.0  # own members: no conflicts


def test_bench_measures_every_operation_once_and_the_runs_per_due_member(measured):
    _, figures = measured
    rows = {row.name: row for row in figures.rows}
    # Every operation that changes something did it in one transaction, after its reads
    for name in SPENDING:
        assert rows[name].calls.endswith("TransactWriteItems"), name
        assert rows[name].calls.count("TransactWriteItems") == 1, name
        assert rows[name].write_units > 0, name
    assert rows["redemption (reward with stock and a per-member limit)"].calls == (
        "BatchGetItem + GetItem + TransactWriteItems"
    )
    # The redemption's six items, 2 units each, no index copy
    redemption = figures.redemption_items
    assert len(redemption.sizes) == 6
    assert redemption.indexed == {}
    assert redemption.total_units == 2 * 6
    # Each run's fixed cost is its checkpoint and one day of the 8-shard index; each due member
    # adds exactly one transaction (and its share of the batch reads of each page of index keys)
    for run in ("birthday run", "tier run", "expiry run"):
        fixed = next(row for name, row in rows.items() if name.startswith(f"{run}, fixed cost"))
        per_member = next(row for name, row in rows.items() if name.startswith(f"{run}, per due member"))
        if run == "expiry run":  # fanned out: each shard keeps its own checkpoint
            assert fixed.calls.count("GetItem + Query + UpdateItem") == 8, run
        elif run == "tier run":  # the day after is walked too until it is tomorrow nowhere
            assert "GetItem + 16x Query + UpdateItem" in fixed.calls, run
        else:
            assert "GetItem + 8x Query + UpdateItem" in fixed.calls, run
        assert f"run over {MEMBERS} due members" in per_member.name
        assert per_member.calls.endswith("TransactWriteItems"), run
        assert "x TransactWriteItems" not in per_member.calls, run  # one per member
        assert 1 < per_member.round_trips < 2, run  # the batch reads are shared by a page of members
        assert per_member.write_units > 0, run


def test_bench_measures_the_aggregators_cost_per_earn_and_each_reports_reads(measured):
    from bench.reports import measure_reports, section

    table, _ = measured
    figures = measure_reports(table, members_count=4, earns_each=2)
    # The aggregator wrote something for the 8 earns, in one transaction per stream shard at most
    units, aws_units, transactions = figures.per_earn[1000]
    assert units > 0
    assert aws_units > 0
    assert transactions >= 1
    # Every report reads one Query per report shard (a window up to today) and never a member
    rows = {row.name: row for row in figures.rows}
    assert rows["summary, a year's window"].calls == "4x Query + GetItem"
    assert rows["customers (the latest snapshot)"].calls == "GetItem"
    assert figures.snapshot.read_units > 0
    assert "extra write units per earn" in "\n".join(section(figures))
