"""The daily tier evaluation, fired by an EventBridge schedule; "now" is the event's `time`, so a run can
be replayed for any date and catches up on days a schedule missed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.observability import count, logger, metrics, tracer
from loyalty.operations.context import default_context, default_jobs
from loyalty.operations.tiers import run_tiers
from loyalty.scheduled import nearly_out_of_time, scheduled_time


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    now = scheduled_time(event)
    report = run_tiers(
        default_context(),
        default_jobs(),
        now,
        should_stop=nearly_out_of_time(context),
    )
    count("TierDowngrades", report.downgraded)
    logger.info("tier run", extra=asdict(report))
    return asdict(report)
