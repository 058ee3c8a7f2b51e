"""Webhooks (admin): subscriptions, secret rotation, pings, the delivery log and redelivery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import Handler, operation, responses
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

router = Router()
Id = Annotated[str, Path(pattern=ID_PATTERN)]
TAGS = ["webhooks"]


def _admin(
    method: str, path: str, summary: str, description: str, answers: dict[int, Any]
) -> Callable[[Handler], Handler]:
    """Every webhook operation is the tenant administrator's, under the one tag."""
    return operation(router, method, path, "admin", summary, description, answers, tags=TAGS)


def _as_admin(action: Callable[..., Outcome], *args: Any) -> Response[str]:
    """Runs a webhook operation for the calling administrator's tenant."""
    principal = require(router, "admin")
    return respond(action(default_webhooks(), principal, *args))


@_admin(
    "PUT",
    "/v1/webhooks/<webhook_id>",
    "Subscribe a webhook",
    "Creates or updates the subscription `{url, events, description?}`. The signing secret is shown "
    "once, when the webhook is created (201); an update answers 200 without it.",
    responses(200, WebhookResponse, 409),
)
def put_webhook(webhook_id: Id, body: WebhookRequest) -> Response[str]:
    return _as_admin(webhooks.put_webhook, webhook_id, body)


@_admin(
    "GET",
    "/v1/webhooks",
    "List webhooks",
    "The tenant's webhook subscriptions (secrets never shown).",
    responses(200, WebhooksPage),
)
def list_webhooks() -> Response[str]:
    return _as_admin(webhooks.list_webhooks)


@_admin(
    "GET",
    "/v1/webhooks/<webhook_id>",
    "Read a webhook",
    "One subscription and the state of its secrets (never the secrets).",
    responses(200, WebhookResponse, 404),
)
def read_webhook(webhook_id: Id) -> Response[str]:
    return _as_admin(webhooks.read_webhook, webhook_id)


@_admin(
    "DELETE",
    "/v1/webhooks/<webhook_id>",
    "Delete a webhook",
    "Ends the subscription; deliveries not yet sent are cancelled.",
    responses(204, None, 404),
)
def delete_webhook(webhook_id: Id) -> Response[str]:
    return _as_admin(webhooks.delete_webhook, webhook_id)


@_admin(
    "POST",
    "/v1/webhooks/<webhook_id>/rotate",
    "Rotate a webhook's secret",
    "A new signing secret, shown once; the old one keeps signing (a second `v1=` signature) for "
    "`grace_seconds`.",
    responses(200, WebhookResponse, 404),
)
def rotate_secret(webhook_id: Id, body: RotateRequest) -> Response[str]:
    return _as_admin(webhooks.rotate_secret, webhook_id, body)


@_admin(
    "POST",
    "/v1/webhooks/<webhook_id>/ping",
    "Ping a webhook",
    "Sends a signed `webhook.ping` delivery to the URL, logged like any other.",
    responses(202, DeliveryResponse, 404),
)
def ping(webhook_id: Id) -> Response[str]:
    return _as_admin(webhooks.ping, webhook_id)


@_admin(
    "GET",
    "/v1/webhooks/<webhook_id>/deliveries",
    "List a webhook's deliveries",
    "The delivery log, newest first: status, attempts, last response code.",
    responses(200, DeliveriesPage, 404),
)
def list_deliveries(
    webhook_id: Id,
    limit: Annotated[int, Query(ge=1, le=webhooks.MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> Response[str]:
    return _as_admin(webhooks.list_deliveries, webhook_id, limit, cursor)


@_admin(
    "POST",
    "/v1/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver",
    "Redeliver",
    "Sends a logged delivery again, as a new attempt under the same event id.",
    responses(202, DeliveryResponse, 404),
)
def redeliver(webhook_id: Id, delivery_id: Id) -> Response[str]:
    return _as_admin(webhooks.redeliver, webhook_id, delivery_id)
