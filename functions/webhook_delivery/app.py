"""Webhook deliverer: one signed HTTPS POST per WebhookDeliveryQueue message, retries scheduled."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.consumers.webhooks import deliver_record
from loyalty.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Mapping[str, Any]:
    return process_partial_response(
        event=event, record_handler=deliver_record, processor=processor, context=context
    )
