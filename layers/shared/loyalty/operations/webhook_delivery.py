"""Webhook delivery: the dispatcher turns one bus event into one delivery per subscribed webhook; the
deliverer makes one attempt per queue message and schedules the next with exponential backoff.

At least once, order not guaranteed: the bus, the queues and a retried attempt can each repeat a
delivery, and a retried delivery can arrive after a later event's. Receivers deduplicate on
`event_id`. A delivery is one log item (status, attempts, last response code) that the attempts
update; after the last attempt it is `failed` and its message goes to the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from loyalty.consumers.webhook_sender import Attempt, post
from loyalty.domain.webhooks import (
    SIGNATURE_HEADER,
    live_secrets,
    payload,
    retry_delay,
    sign,
    subscribes,
)
from loyalty.models.webhooks import DeliveryMessage, DeliveryRecord, DeliveryStatus, WebhookRecord
from loyalty.observability import count, logger
from loyalty.operations.webhooks import Webhooks, new_delivery

Sender = Callable[..., Attempt]
USER_AGENT = "Loyalty-Webhooks/1"


def dispatch(hooks: Webhooks, event: dict[str, Any]) -> int:
    """Create the deliveries one bus event owes and queue their first attempts; how many."""
    document = payload(event)
    tenant_id, event_type = document["tenant_id"], document["type"]
    if not tenant_id or not document["event_id"]:
        raise ValueError("the event has no tenant_id or event_id")
    now = hooks.clock()
    messages: list[DeliveryMessage] = []
    for webhook in hooks.subscriptions(tenant_id):
        if not subscribes(webhook.events, event_type):
            continue
        delivery = new_delivery(webhook, document, now)
        existing = hooks.store.create_delivery(delivery)
        # The same event again: queue its first attempt again only if none was made yet (the
        # earlier dispatch may have stopped between the put and the send).
        if existing is None or (existing.status == "pending" and existing.attempts == 0):
            messages.append(
                DeliveryMessage(
                    tenant_id=tenant_id, webhook_id=webhook.webhook_id, delivery_id=delivery.delivery_id
                )
            )
    hooks.queue.send(messages)
    return len(messages)


def deliver(hooks: Webhooks, message: DeliveryMessage, sender: Sender = post) -> str:
    """One attempt of one delivery; returns what happened (for the log and the tests)."""
    now = hooks.clock()
    if message.not_before is not None and message.not_before > now:
        wait = int((message.not_before - now).total_seconds()) + 1
        hooks.queue.send([message], delay_seconds=wait)  # a wait beyond SQS's 15 minutes, in hops
        return "waiting"
    delivery = hooks.store.get_delivery(message.tenant_id, message.webhook_id, message.delivery_id)
    if delivery is None:
        return "gone"
    if delivery.status in ("succeeded", "failed", "cancelled") and not message.manual:
        return "done already"
    webhook = hooks.store.get_webhook(message.tenant_id, message.webhook_id)
    if webhook is None:
        hooks.store.set_status(delivery, "cancelled", None)
        return "cancelled"
    attempt = sender(
        webhook.url,
        delivery.body.encode(),
        headers(webhook, delivery, now, delivery.attempts + 1),
        timeout=hooks.settings.timeout_seconds,
        allow_loopback=hooks.settings.allow_loopback,
    )
    return _record(hooks, message, delivery, attempt, now)


def headers(webhook: WebhookRecord, delivery: DeliveryRecord, now: datetime, attempt: int) -> dict[str, str]:
    secrets = live_secrets([(s.secret, s.expires_at) for s in webhook.secrets], now)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(secrets, delivery.body.encode(), int(now.timestamp())),
        "Loyalty-Event-Id": delivery.event_id,
        "Loyalty-Event-Type": delivery.event_type,
        "Loyalty-Delivery-Id": delivery.delivery_id,
        "Loyalty-Webhook-Id": delivery.webhook_id,
        "Loyalty-Delivery-Attempt": str(attempt),
    }


def _record(
    hooks: Webhooks, message: DeliveryMessage, delivery: DeliveryRecord, attempt: Attempt, now: datetime
) -> str:
    store, settings = hooks.store, hooks.settings
    attempts = delivery.attempts + 1
    outcome = {"status_code": attempt.status_code, "error": attempt.error}

    def log(status: DeliveryStatus, next_attempt_at: datetime | None) -> None:
        store.record_attempt(
            delivery,
            status,
            at=now,
            status_code=attempt.status_code,
            error=attempt.error,
            next_attempt_at=next_attempt_at,
        )

    if attempt.ok:
        log("succeeded", None)
        count("WebhooksDelivered")
        return "succeeded"
    count("WebhookAttemptsFailed")
    if message.manual:
        # A redelivery asked for by hand is one attempt: a delivery whose own attempts are still
        # coming (queued or being retried) keeps them, any other is failed again (and not
        # dead-lettered twice).
        status: DeliveryStatus = "retrying" if delivery.status in ("pending", "retrying") else "failed"
        log(status, delivery.next_attempt_at)
        return status
    if attempts >= settings.max_attempts:
        log("failed", None)
        if hooks.dead_letters is not None:
            hooks.dead_letters.send(
                message.model_dump_json(exclude_none=True),
                "delivery-failed",
                f"{attempts} attempts; last: {attempt.error}",
                delivery.delivery_id,
            )
            count("WebhookDeadLetters")
        logger.warning("webhook delivery failed", extra={"delivery_id": delivery.delivery_id, **outcome})
        return "failed"
    wait = retry_delay(attempts, settings.retry_base_seconds, settings.retry_cap_seconds)
    next_at = now + timedelta(seconds=wait)
    log("retrying", next_at)
    retry = DeliveryMessage(
        tenant_id=message.tenant_id,
        webhook_id=message.webhook_id,
        delivery_id=message.delivery_id,
        not_before=next_at,
    )
    hooks.queue.send([retry], delay_seconds=wait)
    return "retrying"
