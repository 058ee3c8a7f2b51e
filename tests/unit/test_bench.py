"""bench/ must not rot: its stubbed CPU run, its item sizing and its cost model run with tiny
parameters and give figures that follow from their inputs (no timing is asserted)."""

from __future__ import annotations

from decimal import Decimal

from bench import prices
from bench.cost import million_earns
from bench.cpu import measure_cpu
from bench.items import item_size, write_units


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
