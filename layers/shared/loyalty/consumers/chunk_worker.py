"""The Lambda handler of a queue of resumable chunks (expiry shards, export chunks, import chunks):
each message's chunk is worked until done or nearly out of time (then put back on the queue by the
work itself), and a message whose work raised is retried alone (a partial batch response)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.observability import logger, metrics, tracer
from loyalty.scheduled import nearly_out_of_time

Work = Callable[[SQSRecord, Callable[[], bool]], Any]
Handler = Callable[[dict[str, Any], LambdaContext], Mapping[str, Any]]


def chunk_worker(work: Work) -> Handler:
    """The handler that feeds each message of a batch to `work`, with the clock of the invocation."""
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

    return lambda_handler
