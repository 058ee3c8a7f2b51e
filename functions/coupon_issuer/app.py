"""Issues the coupons a program gives by itself (signup, purchase, birthday, referral) from the
table stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from loyalty.consumers.coupon_triggers import issue_for_record
from loyalty.observability import logger, tracer

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Mapping[str, Any]:
    return process_partial_response(
        event=event, record_handler=issue_for_record, processor=processor, context=context
    )
