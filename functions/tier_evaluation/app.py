"""The daily tier evaluation, fired by an EventBridge schedule; "now" is the event's `time`, so a run can
be replayed for any date and catches up on days a schedule missed."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.observability import count, logger, metrics, tracer
from loyalty.operations.context import default_context
from loyalty.operations.tiers import run_tiers
from loyalty.settings import get_settings
from loyalty.store.job_store import JobStore

SAFETY_MILLIS = 10_000  # stop early enough to write the checkpoint


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    now = datetime.fromisoformat(event.time.replace("Z", "+00:00"))
    report = run_tiers(
        default_context(),
        JobStore(get_settings().table_name),
        now,
        should_stop=lambda: context.get_remaining_time_in_millis() < SAFETY_MILLIS,
    )
    count("TierDowngrades", report.downgraded)
    logger.info("tier run", extra=asdict(report))
    return asdict(report)
