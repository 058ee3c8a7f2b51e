"""The webhook delivery cost model prices the figures it is given, per line, from the template."""

from __future__ import annotations

from decimal import Decimal

from bench import prices
from bench.webhooks import RETRY_SHARE, WebhookFigures, million_webhook_events, total


def test_webhook_cost_model_prices_units_requests_and_duration_per_million_events():
    # Given one write and no read to dispatch, two reads and one write per attempt to deliver
    figures = WebhookFigures(0, 1, "PutItem", 2, 1, "2x GetItem + UpdateItem", cpu_ms=4.0)
    # When pricing a million events
    lines, plan = million_webhook_events(figures)
    by_item = {line.item: line for line in lines}
    # Then DynamoDB is priced per unit, retries included
    attempts = Decimal(str(1 + RETRY_SHARE))
    assert by_item["DynamoDB write units"].dollars == (1 + attempts) * prices.DYNAMODB_PER_MILLION_WRITE_UNITS
    assert by_item["DynamoDB read units"].dollars == 2 * attempts * prices.DYNAMODB_PER_MILLION_READ_UNITS
    # And the deliverer waits for the receiver on every attempt, at the template's 256 MB
    assert plan["deliver_ms"] > 150
    assert "(256 MB)" in by_item["Lambda duration"].quantity
    # And the total is the sum of the lines, a few dollars
    assert total(figures) == sum(line.dollars for line in lines)
    assert Decimal(2) < total(figures) < Decimal(10)
