"""The import workers: one message from the import queue is one chunk of one import or its revert
(applied until done or nearly out of time, then put back on the queue)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.consumers.imports import work
from loyalty.observability import logger, metrics, tracer
from loyalty.scheduled import nearly_out_of_time

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    # powertools passes the Lambda context to a record handler that names `lambda_context`
    work(record, nearly_out_of_time(lambda_context))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Mapping[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
