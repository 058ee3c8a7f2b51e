"""Activities over HTTP, and the checkout preview of what a purchase would earn."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import documented, responses
from loyalty.models.api import ActivityRequest, ActivityResponse, PreviewResponse, PurchaseRequest
from loyalty.observability import count
from loyalty.operations import activities, purchases
from loyalty.operations.context import default_context

router = Router()


@router.post(
    "/v1/activities",
    **documented(
        "server",
        "Record an activity",
        "Credits the fixed points the program gives for the activity type, within its limit and caps (a "
        "limit reached is recorded and earns nothing, with the reason). Exactly-once on `activity_id`. "
        "`occurred_at` may not be more than 5 minutes ahead of the server clock (422); an activity older "
        "than `earn.max_age_days` earns nothing.",
    ),
    responses=responses(201, ActivityResponse, 404, 409),
    tags=["purchases"],
)
def record_activity(body: ActivityRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = activities.record_activity(default_context(), principal.tenant_id, body)
    if not outcome.replayed:
        count("PointsEarned", outcome.body["points_earned"])
    return respond(outcome)


@router.post(
    "/v1/program/preview",
    **documented(
        "server",
        "Preview a purchase",
        "What a purchase would earn now, with the explanation, without writing anything.",
    ),
    responses=responses(200, PreviewResponse, 404),
    tags=["program"],
)
def preview_purchase(body: PurchaseRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(purchases.preview_purchase(default_context(), principal.tenant_id, body))
