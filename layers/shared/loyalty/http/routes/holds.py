"""Checkout holds: reserve, capture, release, and the most points an order may use."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.common import ID_PATTERN
from loyalty.models.rewards import (
    CaptureRequest,
    CheckoutPreviewRequest,
    CheckoutPreviewResponse,
    HoldRefundRequest,
    HoldRefundResponse,
    HoldRequest,
    HoldResponse,
)
from loyalty.operations import checkout, hold_refunds, holds
from loyalty.operations.context import default_context

router, route = routes(tags=["holds"])
Id = Annotated[str, Path(pattern=ID_PATTERN)]


@route("POST", "/v1/members/<member_id>/holds", "server", responses(201, HoldResponse, 404, 409))
def reserve(member_id: Id, body: HoldRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(holds.reserve(default_context(), principal.tenant_id, member_id, body))


@route(
    "POST", "/v1/members/<member_id>/checkout-preview", "server", responses(200, CheckoutPreviewResponse, 404)
)
def preview(member_id: Id, body: CheckoutPreviewRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(checkout.preview_checkout(default_context(), principal.tenant_id, member_id, body))


@route("GET", "/v1/holds/<hold_id>", "server", responses(200, HoldResponse, 404))
def read_hold(hold_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(holds.read_hold(default_context(), principal.tenant_id, hold_id))


@route("POST", "/v1/holds/<hold_id>/capture", "server", responses(200, HoldResponse, 404, 409))
def capture(hold_id: Id, body: CaptureRequest | None = None) -> Response[str]:
    principal = require(router, "server")
    return respond(holds.capture_hold(default_context(), principal.tenant_id, hold_id, body))


@route("POST", "/v1/holds/<hold_id>/release", "server", responses(200, HoldResponse, 404, 409))
def release(hold_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(holds.release_hold(default_context(), principal.tenant_id, hold_id))


@route("POST", "/v1/holds/<hold_id>/refunds", "server", responses(201, HoldRefundResponse, 404, 409))
def refund(hold_id: Id, body: HoldRefundRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(hold_refunds.refund_points(default_context(), principal.tenant_id, hold_id, body))
