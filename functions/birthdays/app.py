"""The birthday run, fired hourly by an EventBridge schedule; "now" is the event's `time`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.observability import count, logger, metrics, tracer
from loyalty.operations.birthdays import run_birthdays
from loyalty.operations.context import default_context
from loyalty.settings import get_settings
from loyalty.store.job_store import JobStore


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    now = datetime.fromisoformat(event.time.replace("Z", "+00:00"))
    report = run_birthdays(default_context(), JobStore(get_settings().table_name), now)
    count("BirthdayPoints", report.points_given)
    logger.info("birthdays run", extra=asdict(report))
    return asdict(report)
