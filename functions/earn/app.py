"""Earn: purchases and refunds over HTTP, and the SQS purchase consumer (partial batch responses)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.consumers.purchases import consume_purchase
from loyalty.http.resolver import build_resolver
from loyalty.http.routes import activities, purchases
from loyalty.observability import logger, metrics, tracer

app = build_resolver(purchases.router, activities.router)
processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Mapping[str, Any]:
    if "Records" in event:
        return process_partial_response(
            event=event, record_handler=consume_purchase, processor=processor, context=context
        )
    return app.resolve(event, context)
