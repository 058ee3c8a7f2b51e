"""Earn: purchases and refunds over HTTP, and the SQS purchase consumer (partial batch responses)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.http.resolver import build_resolver
from loyalty.http.routes import activities, purchases
from loyalty.observability import logger, metrics, tracer

app = build_resolver(purchases.router, activities.router)


@lru_cache(maxsize=1)
def _queue_consumer() -> Any:
    """The purchase queue's batch processing, imported on the first queue event: powertools' batch
    utility (asyncio with it) is a fifth of a cold import that an HTTP request never uses."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from loyalty.consumers.purchases import consume_purchase

    processor = BatchProcessor(event_type=EventType.SQS)

    def consume(event: dict[str, Any], context: LambdaContext) -> Mapping[str, Any]:
        return process_partial_response(
            event=event, record_handler=consume_purchase, processor=processor, context=context
        )

    return consume


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Mapping[str, Any]:
    if "Records" in event:
        consume: Any = _queue_consumer()
        return consume(event, context)  # type: ignore[no-any-return]
    return app.resolve(event, context)
