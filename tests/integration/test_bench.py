"""bench/'s DynamoDB Local runs, with tiny parameters: they run, and count what they claim to."""

from __future__ import annotations

from bench.cost import measure_queue_units
from bench.operations import measure_operations
from bench.table import bench_table
from bench.throughput import measure_throughput


def test_bench_measures_operations_queue_units_and_throughput():
    with bench_table() as table:
        operations, items = measure_operations(table)
        queue = measure_queue_units(table)
        run = measure_throughput(table, 2, 0.3)

    earn = next(row for row in operations if row.name == "earn (purchase)")
    assert earn.calls == "BatchGetItem + TransactWriteItems"
    assert earn.write_units > 0
    assert set(items.sizes) == {"member", "ledger entry", "operation record"}
    assert all(0 < size < 64 * 1024 for size in items.sizes.values())
    assert queue.calls == "BatchGetItem + TransactWriteItems"
    assert run.earns > 0
    assert run.attempts_per_earn == 1.0  # own members: no conflicts
