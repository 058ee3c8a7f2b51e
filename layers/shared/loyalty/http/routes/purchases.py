"""Purchases and refunds over HTTP (the purchase queue calls the same operations)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.api import PurchaseRequest, PurchaseResponse, RefundRequest, RefundResponse
from loyalty.models.common import ID_PATTERN
from loyalty.observability import count
from loyalty.operations import purchases
from loyalty.operations.context import default_context

router, route = routes(tags=["purchases"])


@route("POST", "/v1/purchases", "server", responses(201, PurchaseResponse, 404, 409))
def create_purchase(body: PurchaseRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = purchases.record_purchase(default_context(), principal.tenant_id, body)
    if outcome.replayed:
        count("PurchaseReplays")
    else:
        count("PointsEarned", outcome.body["points_earned"])
    return respond(outcome)


@route("POST", "/v1/purchases/<order_id>/refunds", "server", responses(201, RefundResponse, 404, 409))
def refund_purchase(order_id: Annotated[str, Path(pattern=ID_PATTERN)], body: RefundRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = purchases.refund_purchase(default_context(), principal.tenant_id, order_id, body)
    if not outcome.replayed:
        count("PointsClawedBack", outcome.body["points_clawed_back"])
    return respond(outcome)
