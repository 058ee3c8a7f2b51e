"""Redeem: the catalog, redemptions, checkout holds, coupons and lotteries over HTTP, and the
`holds` schedule that releases expired holds ("now" is the event's `time`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.http.resolver import build_resolver
from loyalty.http.routes import coupons, holds, lotteries, rewards
from loyalty.observability import count, logger, metrics, tracer
from loyalty.operations.context import default_context
from loyalty.operations.holds import sweep_expired_holds
from loyalty.scheduled import scheduled_time

app = build_resolver(rewards.router, holds.router, coupons.router, lotteries.router)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("detail-type") == "Scheduled Event":
        now = scheduled_time(EventBridgeEvent(event))
        report = sweep_expired_holds(default_context(), now)
        count("HoldsExpired", report.holds_released)
        logger.info("holds sweep", extra=asdict(report))
        return asdict(report)
    return app.resolve(event, context)
