"""Keeps the report aggregates (flows per day, balances, tiers, expiry forecast) from the table stream."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.consumers.report_aggregates import count_batch
from loyalty.observability import logger, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return count_batch(event)
