"""Webhooks (admin): subscriptions, secret rotation, pings, the delivery log and redelivery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.common import ID_PATTERN
from loyalty.models.webhooks import (
    DeliveriesPage,
    DeliveryResponse,
    RotateRequest,
    WebhookRequest,
    WebhookResponse,
    WebhooksPage,
)
from loyalty.operations import webhooks
from loyalty.operations.context import Outcome
from loyalty.operations.webhooks import default_webhooks

router, route = routes(tags=["webhooks"])
DELIVERIES = "/v1/webhooks/<webhook_id>/deliveries"
Id = Annotated[str, Path(pattern=ID_PATTERN)]


def _as_admin(action: Callable[..., Outcome], *args: Any) -> Response[str]:
    """Runs a webhook operation for the calling administrator's tenant."""
    principal = require(router, "admin")
    return respond(action(default_webhooks(), principal, *args))


@route("PUT", "/v1/webhooks/<webhook_id>", "admin", responses(200, WebhookResponse, 409))
def put_webhook(webhook_id: Id, body: WebhookRequest) -> Response[str]:
    return _as_admin(webhooks.put_webhook, webhook_id, body)


@route("GET", "/v1/webhooks", "admin", responses(200, WebhooksPage))
def list_webhooks() -> Response[str]:
    return _as_admin(webhooks.list_webhooks)


@route("GET", "/v1/webhooks/<webhook_id>", "admin", responses(200, WebhookResponse, 404))
def read_webhook(webhook_id: Id) -> Response[str]:
    return _as_admin(webhooks.read_webhook, webhook_id)


@route("DELETE", "/v1/webhooks/<webhook_id>", "admin", responses(204, None, 404))
def delete_webhook(webhook_id: Id) -> Response[str]:
    return _as_admin(webhooks.delete_webhook, webhook_id)


@route("POST", "/v1/webhooks/<webhook_id>/rotate", "admin", responses(200, WebhookResponse, 404))
def rotate_secret(webhook_id: Id, body: RotateRequest) -> Response[str]:
    return _as_admin(webhooks.rotate_secret, webhook_id, body)


@route("POST", "/v1/webhooks/<webhook_id>/ping", "admin", responses(202, DeliveryResponse, 404))
def ping(webhook_id: Id) -> Response[str]:
    return _as_admin(webhooks.ping, webhook_id)


@route("GET", DELIVERIES, "admin", responses(200, DeliveriesPage, 404))
def list_deliveries(
    webhook_id: Id,
    limit: Annotated[int, Query(ge=1, le=webhooks.MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> Response[str]:
    return _as_admin(webhooks.list_deliveries, webhook_id, limit, cursor)


@route("POST", f"{DELIVERIES}/<delivery_id>/redeliver", "admin", responses(202, DeliveryResponse, 404))
def redeliver(webhook_id: Id, delivery_id: Id) -> Response[str]:
    return _as_admin(webhooks.redeliver, webhook_id, delivery_id)
