"""The birthday run, fired hourly by an EventBridge schedule; "now" is the event's `time`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.observability import count, logger, metrics, tracer
from loyalty.operations.birthdays import run_birthdays
from loyalty.operations.context import default_context, default_jobs
from loyalty.scheduled import scheduled_time


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    now = scheduled_time(event)
    report = run_birthdays(default_context(), default_jobs(), now)
    count("BirthdayPoints", report.points_given)
    logger.info("birthdays run", extra=asdict(report))
    return asdict(report)
