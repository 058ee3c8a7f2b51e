"""The daily expiry run, fired by an EventBridge schedule: a program's sunset first, then one
message per shard of the expiry index for the ExpiryShardsFunction workers. "now" is the event's
`time`, carried in every message, so a run can be replayed for any date and catches up on days a
schedule missed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.consumers.expiry_shards import default_shard_queue
from loyalty.observability import logger, metrics, tracer
from loyalty.operations.context import default_context, default_jobs
from loyalty.operations.expiry import start_expiry
from loyalty.scheduled import nearly_out_of_time, scheduled_time


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    report = start_expiry(
        default_context(),
        default_jobs(),
        scheduled_time(event),
        default_shard_queue(),
        should_stop=nearly_out_of_time(context),
    )
    logger.info("expiry run started", extra=asdict(report))
    return asdict(report)
