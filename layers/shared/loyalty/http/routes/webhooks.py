"""Webhooks (admin): subscriptions, secret rotation, pings, the delivery log and redelivery."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses
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
from loyalty.operations.webhooks import default_webhooks

router = Router()
Id = Annotated[str, Path(pattern=ID_PATTERN)]
TAGS = ["webhooks"]


@router.put("/v1/webhooks/<webhook_id>", responses=responses(200, WebhookResponse, 409), tags=TAGS)
def put_webhook(webhook_id: Id, body: WebhookRequest) -> Response[str]:
    principal = require(router, "admin")
    return respond(webhooks.put_webhook(default_webhooks(), principal, webhook_id, body))


@router.get("/v1/webhooks", responses=responses(200, WebhooksPage), tags=TAGS)
def list_webhooks() -> Response[str]:
    principal = require(router, "admin")
    return respond(webhooks.list_webhooks(default_webhooks(), principal))


@router.get("/v1/webhooks/<webhook_id>", responses=responses(200, WebhookResponse, 404), tags=TAGS)
def read_webhook(webhook_id: Id) -> Response[str]:
    principal = require(router, "admin")
    return respond(webhooks.read_webhook(default_webhooks(), principal, webhook_id))


@router.delete("/v1/webhooks/<webhook_id>", responses=responses(204, None, 404), tags=TAGS)
def delete_webhook(webhook_id: Id) -> Response[str]:
    principal = require(router, "admin")
    return respond(webhooks.delete_webhook(default_webhooks(), principal, webhook_id))


@router.post("/v1/webhooks/<webhook_id>/rotate", responses=responses(200, WebhookResponse, 404), tags=TAGS)
def rotate_secret(webhook_id: Id, body: RotateRequest) -> Response[str]:
    principal = require(router, "admin")
    return respond(webhooks.rotate_secret(default_webhooks(), principal, webhook_id, body))


@router.post("/v1/webhooks/<webhook_id>/ping", responses=responses(202, DeliveryResponse, 404), tags=TAGS)
def ping(webhook_id: Id) -> Response[str]:
    principal = require(router, "admin")
    return respond(webhooks.ping(default_webhooks(), principal, webhook_id))


@router.get("/v1/webhooks/<webhook_id>/deliveries", responses=responses(200, DeliveriesPage, 404), tags=TAGS)
def list_deliveries(
    webhook_id: Id,
    limit: Annotated[int, Query(ge=1, le=webhooks.MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
) -> Response[str]:
    principal = require(router, "admin")
    return respond(webhooks.list_deliveries(default_webhooks(), principal, webhook_id, limit, cursor))


@router.post(
    "/v1/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver",
    responses=responses(202, DeliveryResponse, 404),
    tags=TAGS,
)
def redeliver(webhook_id: Id, delivery_id: Id) -> Response[str]:
    principal = require(router, "admin")
    return respond(webhooks.redeliver(default_webhooks(), principal, webhook_id, delivery_id))
