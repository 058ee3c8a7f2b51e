"""Webhooks, the admin API: subscribe, change, rotate the signing secret, ping, read the delivery log
and ask for a redelivery. Each webhook belongs to the caller's tenant; another tenant's is a 404."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from loyalty.domain.webhooks import PING, TargetRefusedError, body_bytes, check_url
from loyalty.domain.webhooks import delivery_id as make_delivery_id
from loyalty.errors import DeliveryNotFoundError, WebhookLimitError, WebhookNotFoundError, WebhookTargetError
from loyalty.models.webhooks import (
    DeliveryMessage,
    DeliveryRecord,
    DeliveryResponse,
    RotateRequest,
    SigningSecret,
    WebhookRecord,
    WebhookRequest,
    WebhookResponse,
)
from loyalty.operations.context import Outcome, Principal, default_context, utc_now
from loyalty.settings import WebhookSettings, get_settings
from loyalty.store.messaging import DeadLetterQueue
from loyalty.store.webhook_queue import DeliveryQueue
from loyalty.store.webhook_store import WebhookStore

MAX_WEBHOOKS = 25  # per tenant: bounds the dispatcher's fan-out per event
MAX_PAGE = 100


@dataclass
class Webhooks:
    """What webhook operations need: the store, the delivery queue, the settings and a clock."""

    store: WebhookStore
    queue: DeliveryQueue
    settings: WebhookSettings
    dead_letters: DeadLetterQueue | None = None
    clock: Callable[[], datetime] = utc_now
    _cache: dict[str, tuple[datetime, list[WebhookRecord]]] = field(default_factory=dict)

    def subscriptions(self, tenant_id: str) -> list[WebhookRecord]:
        """The tenant's webhooks, cached for a few seconds in a warm function (the dispatcher reads
        them for every event; a new webhook gets events within that time)."""
        now = self.clock()
        cached = self._cache.get(tenant_id)
        if cached and cached[0] > now:
            return cached[1]
        hooks = self.store.list_webhooks(tenant_id)
        ttl = self.settings.subscriptions_cache_seconds
        if ttl:
            self._cache[tenant_id] = (now + timedelta(seconds=ttl), hooks)
        return hooks


@lru_cache(maxsize=1)
def default_webhooks() -> Webhooks:
    settings = get_settings().webhooks
    return Webhooks(
        store=default_context().webhooks,
        queue=DeliveryQueue(settings.delivery_queue_url),
        settings=settings,
        dead_letters=DeadLetterQueue(settings.dead_letter_url),
    )


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def put_webhook(hooks: Webhooks, principal: Principal, webhook_id: str, request: WebhookRequest) -> Outcome:
    try:
        check_url(request.url, allow_loopback=hooks.settings.allow_loopback)
    except TargetRefusedError as refused:
        raise WebhookTargetError(str(refused)) from refused
    now = hooks.clock()
    existing = hooks.store.get_webhook(principal.tenant_id, webhook_id)
    if existing is not None:
        changed = existing.model_copy(update={**request.model_dump(), "updated_at": now})
        if hooks.store.update_webhook(changed):
            return Outcome(200, view(changed))
    if len(hooks.store.list_webhooks(principal.tenant_id)) >= MAX_WEBHOOKS:
        raise WebhookLimitError(f"a tenant has at most {MAX_WEBHOOKS} webhooks")
    secret = new_secret()
    record = WebhookRecord(
        tenant_id=principal.tenant_id,
        webhook_id=webhook_id,
        **request.model_dump(),
        secrets=[SigningSecret(secret=secret, created_at=now)],
        created_at=now,
        updated_at=now,
    )
    if not hooks.store.create_webhook(record):  # created meanwhile by a concurrent PUT: change it
        return put_webhook(hooks, principal, webhook_id, request)
    return Outcome(201, view(record, secret=secret))


def read_webhook(hooks: Webhooks, principal: Principal, webhook_id: str) -> Outcome:
    return Outcome(200, view(_webhook(hooks, principal, webhook_id)))


def list_webhooks(hooks: Webhooks, principal: Principal) -> Outcome:
    records = hooks.store.list_webhooks(principal.tenant_id)
    return Outcome(200, {"items": [view(record) for record in records], "next_cursor": None})


def delete_webhook(hooks: Webhooks, principal: Principal, webhook_id: str) -> Outcome:
    """Deliveries already queued are cancelled when their turn comes (the webhook is gone)."""
    if not hooks.store.delete_webhook(principal.tenant_id, webhook_id):
        raise WebhookNotFoundError(f"webhook {webhook_id!r} not found")
    return Outcome(204, {})


def rotate_secret(hooks: Webhooks, principal: Principal, webhook_id: str, request: RotateRequest) -> Outcome:
    """A new secret signs from now on; the current one keeps signing too until the grace ends
    (deliveries carry both signatures meanwhile). Older secrets are dropped."""
    record = _webhook(hooks, principal, webhook_id)
    now = hooks.clock()
    ends = now + timedelta(seconds=request.grace_seconds)
    secret = new_secret()
    current = record.secrets[0]
    kept = [current.model_copy(update={"expires_at": ends})] if request.grace_seconds else []
    rotated = [SigningSecret(secret=secret, created_at=now), *kept]
    if not hooks.store.set_secrets(principal.tenant_id, webhook_id, rotated, now):
        raise WebhookNotFoundError(f"webhook {webhook_id!r} not found")
    changed = record.model_copy(update={"secrets": rotated, "updated_at": now})
    return Outcome(200, view(changed, secret=secret, previous_expires_at=ends if kept else None))


def ping(hooks: Webhooks, principal: Principal, webhook_id: str) -> Outcome:
    """A `webhook.ping` event delivered (signed, logged, retried) like any other."""
    record = _webhook(hooks, principal, webhook_id)
    now = hooks.clock()
    event_id = str(uuid.uuid4())
    document = {
        "event_id": event_id,
        "type": PING,
        "occurred_at": now.isoformat(),
        "tenant_id": principal.tenant_id,
        "data": {"webhook_id": webhook_id},
    }
    delivery = new_delivery(record, document, now)
    hooks.store.create_delivery(delivery)
    hooks.queue.send([_message(delivery)])
    return Outcome(202, delivery_view(delivery))


def list_deliveries(
    hooks: Webhooks, principal: Principal, webhook_id: str, limit: int, cursor: str | None
) -> Outcome:
    _webhook(hooks, principal, webhook_id)
    page, before = hooks.store.list_deliveries(principal.tenant_id, webhook_id, min(limit, MAX_PAGE), cursor)
    return Outcome(200, {"items": [delivery_view(record) for record in page], "next_cursor": before})


def redeliver(hooks: Webhooks, principal: Principal, webhook_id: str, delivery_id: str) -> Outcome:
    """Send a delivery again now, whatever its status (the receiver deduplicates on event_id)."""
    _webhook(hooks, principal, webhook_id)
    delivery = hooks.store.get_delivery(principal.tenant_id, webhook_id, delivery_id)
    if delivery is None:
        raise DeliveryNotFoundError(f"delivery {delivery_id!r} not found")
    hooks.queue.send([_message(delivery, manual=True)])
    return Outcome(202, delivery_view(delivery))


# --------------------------------------------------------------------------------- shared pieces


def new_delivery(record: WebhookRecord, document: dict[str, Any], now: datetime) -> DeliveryRecord:
    return DeliveryRecord(
        tenant_id=record.tenant_id,
        webhook_id=record.webhook_id,
        delivery_id=make_delivery_id(document["event_id"], record.webhook_id, document["occurred_at"]),
        event_id=document["event_id"],
        event_type=document["type"],
        body=body_bytes(document).decode(),
        created_at=now,
    )


def _message(delivery: DeliveryRecord, *, manual: bool = False) -> DeliveryMessage:
    return DeliveryMessage(
        tenant_id=delivery.tenant_id,
        webhook_id=delivery.webhook_id,
        delivery_id=delivery.delivery_id,
        manual=manual,
    )


def _webhook(hooks: Webhooks, principal: Principal, webhook_id: str) -> WebhookRecord:
    record = hooks.store.get_webhook(principal.tenant_id, webhook_id)
    if record is None:
        raise WebhookNotFoundError(f"webhook {webhook_id!r} not found")
    return record


def view(
    record: WebhookRecord, *, secret: str | None = None, previous_expires_at: datetime | None = None
) -> dict[str, Any]:
    shown = WebhookResponse.model_validate(record, from_attributes=True)
    response = shown.model_copy(update={"secret": secret, "previous_secret_expires_at": previous_expires_at})
    return response.model_dump(mode="json", exclude_none=True)


def delivery_view(record: DeliveryRecord) -> dict[str, Any]:
    response = DeliveryResponse.model_validate(record.model_dump())
    return response.model_dump(mode="json")
