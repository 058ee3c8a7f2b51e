"""The daily expiry-reminder run and a program sunset's notices, fired by an EventBridge schedule;
"now" is the event's `time`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.observability import count, logger, metrics, tracer
from loyalty.operations.context import default_context, default_jobs
from loyalty.operations.reminders import run_reminders
from loyalty.operations.sunset import run_sunset_notices
from loyalty.scheduled import scheduled_time


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    now = scheduled_time(event)
    report = run_reminders(default_context(), now)
    count("ExpiryRemindersSent", report.reminders_sent)
    notices = run_sunset_notices(default_context(), default_jobs(), now)
    count("SunsetNoticesSent", notices.notices_sent)
    logger.info("reminders run", extra=asdict(report) | {"sunset": asdict(notices)})
    return asdict(report) | {"sunset_notices_sent": notices.notices_sent}
