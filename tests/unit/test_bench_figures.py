"""bench/ must not rot: its stubbed CPU run, its item sizing and its cost model run with tiny
parameters and give figures that follow from their inputs (no timing is asserted)."""

from __future__ import annotations

from decimal import Decimal

from bench import prices
from bench.cost import million_earns
from bench.cpu import measure_cpu
from bench.items import WrittenItems, item_size, write_units
from bench.meter import OperationCost, Reading, describe


def test_item_size_follows_dynamodbs_rules():
    # name bytes + value bytes; a number takes (significant digits / 2, rounded up) + 1 bytes
    assert item_size({"PK": {"S": "abc"}}) == 5
    assert item_size({"n": {"N": "129"}}) == 1 + 3
    # a map: 3 bytes, plus per entry 1 byte, its name and its value
    assert item_size({"m": {"M": {"a": {"S": "xy"}, "b": {"NULL": True}}}}) == 1 + 3 + (1 + 1 + 2) + (
        1 + 1 + 1
    )
    assert write_units(1024, transactional=True) == 2
    assert write_units(1025, transactional=True) == 4
    assert write_units(100) == 1


def test_stubbed_cpu_run_earns_over_http_and_through_the_queue():
    figures = measure_cpu(invocations=4, batch_size=2, warmup=1)

    assert figures.http_cpu_ms > 0
    assert figures.queue_cpu_ms > 0
    assert figures.log_bytes_per_queued_earn > 100  # "purchase consumed" is logged per earn


def test_cost_model_prices_the_units_it_is_given():
    lines, plan = million_earns(read_units=1, write_units=12, queue_cpu_ms=1, client_cpu_ms=3, log_bytes=400)
    by_item = {line.item: line.dollars for line in lines}

    assert by_item["DynamoDB write units"] == 12 * prices.DYNAMODB_PER_MILLION_WRITE_UNITS
    assert by_item["DynamoDB read units"] == prices.DYNAMODB_PER_MILLION_READ_UNITS
    assert by_item["EventBridge PutEvents"] == prices.EVENTBRIDGE_PER_MILLION_EVENTS
    assert plan["queue_batch"] == 10  # the template's SQS batch size
    assert plan["memory"] == 512
    assert sum(by_item.values()) > Decimal("8")


def test_written_items_price_each_item_and_each_index_copy():
    items = WrittenItems(sizes={"member": 1500, "entry": 200}, indexed={"member": ("GSI1", "GSI3")})

    assert items.table_units == 4 + 2  # transactional: 2 per started KB of each item
    assert items.index_units == 2 * 2  # a 1.5 KB copy in each of two indexes
    assert items.total_units == 10


def test_calls_are_described_in_order_with_repeats_counted():
    assert describe(["GetItem", "Query", "Query", "Query", "UpdateItem", "GetItem"]) == (
        "GetItem + 3x Query + UpdateItem + GetItem"
    )


def test_a_per_member_row_is_the_runs_difference_divided_by_the_members():
    empty = Reading(("GetItem", *["Query"] * 8, "UpdateItem"), read_units=1.0, write_units=1.0)
    loaded = Reading(
        ("GetItem", *["Query"] * 9, *["TransactWriteItems"] * 4, "UpdateItem"),
        read_units=2.0,
        write_units=49.0,
    )

    row = OperationCost.per_member("run, per member", loaded, empty, 4)

    assert (row.round_trips, row.read_units, row.write_units) == (1.25, 0.25, 12.0)
    assert row.calls == "0.25x Query + TransactWriteItems"
