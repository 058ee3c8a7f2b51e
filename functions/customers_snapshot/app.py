"""The customers snapshot, fired hourly by an EventBridge schedule; "now" is the event's `time`.
Each tenant's snapshot is made once per program-local day; a run nearly out of time stops at a
page boundary and the next run resumes from the checkpoints."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.observability import logger, metrics, tracer
from loyalty.operations.context import default_context
from loyalty.operations.customers import run_snapshots
from loyalty.scheduled import nearly_out_of_time, scheduled_time


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    report = run_snapshots(default_context(), scheduled_time(event), should_stop=nearly_out_of_time(context))
    logger.info("customers snapshot", extra=asdict(report))
    return asdict(report)
