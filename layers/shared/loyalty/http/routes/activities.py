"""Activities over HTTP, and the checkout preview of what a purchase would earn."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.api import ActivityRequest, ActivityResponse, PreviewResponse, PurchaseRequest
from loyalty.observability import count
from loyalty.operations import activities, purchases
from loyalty.operations.context import default_context

router, route = routes(tags=["purchases"])


@route("POST", "/v1/activities", "server", responses(201, ActivityResponse, 404, 409))
def record_activity(body: ActivityRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = activities.record_activity(default_context(), principal.tenant_id, body)
    if not outcome.replayed:
        count("PointsEarned", outcome.body["points_earned"])
    return respond(outcome)


@route("POST", "/v1/program/preview", "server", responses(200, PreviewResponse, 404), tags=["program"])
def preview_purchase(body: PurchaseRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(purchases.preview_purchase(default_context(), principal.tenant_id, body))
