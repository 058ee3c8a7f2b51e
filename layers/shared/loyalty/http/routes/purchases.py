"""Purchases and refunds over HTTP (the purchase queue calls the same operations)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import documented, responses
from loyalty.models.api import PurchaseRequest, PurchaseResponse, RefundRequest, RefundResponse
from loyalty.models.common import ID_PATTERN
from loyalty.observability import count
from loyalty.operations import purchases
from loyalty.operations.context import default_context

router = Router()


@router.post(
    "/v1/purchases",
    **documented(
        "server",
        "Record a purchase",
        "Credits the points the program gives for the purchase (base rate, item, channel, tier and "
        "campaign multipliers, caps), pending first if the program says so. Exactly-once on `order_id`. "
        "`occurred_at` may not be more than 5 minutes ahead of the server clock (422); a purchase older "
        "than `earn.max_age_days` is recorded and earns nothing. The amount is in the program's currency.",
    ),
    responses=responses(201, PurchaseResponse, 404, 409),
    tags=["purchases"],
)
def create_purchase(body: PurchaseRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = purchases.record_purchase(default_context(), principal.tenant_id, body)
    if outcome.replayed:
        count("PurchaseReplays")
    else:
        count("PointsEarned", outcome.body["points_earned"])
    return respond(outcome)


@router.post(
    "/v1/purchases/<order_id>/refunds",
    **documented(
        "server",
        "Refund a purchase",
        "Takes back the refunded share of the purchase's points: pending first, then available, then as "
        "debt that later earnings settle. Exactly-once on `refund_id`; refunds beyond the purchase amount"
        " are 409.",
    ),
    responses=responses(201, RefundResponse, 404, 409),
    tags=["purchases"],
)
def refund_purchase(order_id: Annotated[str, Path(pattern=ID_PATTERN)], body: RefundRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = purchases.refund_purchase(default_context(), principal.tenant_id, order_id, body)
    if not outcome.replayed:
        count("PointsClawedBack", outcome.body["points_clawed_back"])
    return respond(outcome)
