"""The webhook queues' record handlers: the dispatcher (bus events from WebhookQueue) and the
deliverer (one attempt per WebhookDeliveryQueue message). A body that can never be handled goes to
its dead-letter queue at once, with the reason; anything else that fails raises, so SQS retries
that record alone."""

from __future__ import annotations

import json
from functools import lru_cache

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from loyalty.consumers.poison import dead_letter, invalid_body
from loyalty.models.webhooks import DeliveryMessage
from loyalty.observability import logger
from loyalty.operations.webhook_delivery import Sender, deliver, dispatch
from loyalty.operations.webhooks import Webhooks, default_webhooks
from loyalty.settings import get_settings
from loyalty.store.messaging import DeadLetterQueue


@lru_cache(maxsize=1)
def dispatch_dead_letters() -> DeadLetterQueue:
    return DeadLetterQueue(get_settings().webhooks.dispatch_dead_letter_url)


def dispatch_record(record: SQSRecord, hooks: Webhooks | None = None) -> None:
    try:
        event = json.loads(record.body)
        if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
            raise ValueError("not an EventBridge event")
        queued = dispatch(hooks or default_webhooks(), event)
    except ValueError as error:
        dead_letter(dispatch_dead_letters(), record, "invalid-event", str(error), what="webhook event")
        return
    logger.debug("webhook event dispatched", extra={"deliveries": queued})


def deliver_record(record: SQSRecord, hooks: Webhooks | None = None, sender: Sender | None = None) -> None:
    hooks = hooks or default_webhooks()
    try:
        message = DeliveryMessage.model_validate_json(record.body)
    except ValidationError as error:
        assert hooks.dead_letters is not None
        reason, detail = invalid_body(error, record.body)
        dead_letter(hooks.dead_letters, record, reason, detail, what="webhook delivery")
        return
    outcome = deliver(hooks, message, sender) if sender else deliver(hooks, message)
    logger.info("webhook delivery attempt", extra={"delivery_id": message.delivery_id, "outcome": outcome})
