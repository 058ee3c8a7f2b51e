"""The purchase queue consumer: exactly once per (tenant, order_id), poison straight to the DLQ.

A record either succeeds, is dead-lettered by us with its reason (it can never succeed, so
retrying it would only delay the DLQ), or raises so that the partial batch response makes SQS
redeliver it (throttling, contention, an unreachable table)."""

from __future__ import annotations

from functools import lru_cache

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from loyalty.consumers.poison import dead_letter, invalid_body
from loyalty.errors import LoyaltyError
from loyalty.models.api import PurchaseMessage, PurchaseRequest
from loyalty.observability import count, logger
from loyalty.operations.context import Context, default_context
from loyalty.operations.purchases import record_purchase
from loyalty.settings import get_settings
from loyalty.store.messaging import DeadLetterQueue


@lru_cache(maxsize=1)
def default_dead_letters() -> DeadLetterQueue:
    return DeadLetterQueue(get_settings().purchase_dlq_url)


def consume_purchase(
    record: SQSRecord, context: Context | None = None, dead_letters: DeadLetterQueue | None = None
) -> None:
    context = context or default_context()
    dead_letters = dead_letters or default_dead_letters()
    try:
        message = PurchaseMessage.model_validate_json(record.body)
    except ValidationError as error:
        return dead_letter(dead_letters, record, *invalid_body(error, record.body), what="purchase")
    request = PurchaseRequest.model_validate(message.model_dump(exclude={"tenant_id"}))
    try:
        outcome = record_purchase(context, message.tenant_id, request)
    except LoyaltyError as error:  # unknown tenant or member, conflicting replay, wrong currency
        return dead_letter(dead_letters, record, error.problem, error.detail, what="purchase")
    logger.info("purchase consumed", extra={"order_id": request.order_id, "replayed": outcome.replayed})
    count(
        "PurchaseReplays" if outcome.replayed else "PointsEarned",
        1 if outcome.replayed else outcome.body["points_earned"],
    )
    return None
