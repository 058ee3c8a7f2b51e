"""Checkout holds: reserve, capture, release, and the most points an order may use."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import documented, responses
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

router = Router()
Id = Annotated[str, Path(pattern=ID_PATTERN)]


@router.post(
    "/v1/members/<member_id>/holds",
    **documented(
        "server",
        "Hold points for a checkout",
        "Moves points from available to held until captured, released, or `ttl_seconds` pass (then they "
        "are released by themselves). Exactly-once on `hold_id`; more than the available points is 409. "
        "A hold that states its `order_amount` may use no more than the program's `max_share_of_order` "
        "of it (the checkout preview's `max_points`): more is 409 `share-of-order-exceeded`.",
    ),
    responses=responses(201, HoldResponse, 404, 409),
    tags=["holds"],
)
def reserve(member_id: Id, body: HoldRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(holds.reserve(default_context(), principal.tenant_id, member_id, body))


@router.post(
    "/v1/members/<member_id>/checkout-preview",
    **documented(
        "server",
        "Preview points at checkout",
        "The most points an order of this amount may use now (the program's `max_share_of_order` and the "
        "member's available points), and the member's tier discount rate and free shipping for the shop "
        "to apply.",
    ),
    responses=responses(200, CheckoutPreviewResponse, 404),
    tags=["holds"],
)
def preview(member_id: Id, body: CheckoutPreviewRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(checkout.preview_checkout(default_context(), principal.tenant_id, member_id, body))


@router.get(
    "/v1/holds/<hold_id>",
    **documented("server", "Read a hold", "One hold and its status: held, captured or released."),
    responses=responses(200, HoldResponse, 404),
    tags=["holds"],
)
def read_hold(hold_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(holds.read_hold(default_context(), principal.tenant_id, hold_id))


@router.post(
    "/v1/holds/<hold_id>/capture",
    **documented(
        "server",
        "Capture a hold",
        "Spends the held points for the order. The body is optional: a hold made for an order is captured "
        "for that order only (another `order_id` is 409). `points` below the held amount captures that "
        "many and releases the rest to the lots they came from (a `release` entry, then the `redeem` "
        "entry); above it is 409 `capture-exceeds-hold`. A released or expired hold is 409; capturing "
        "again answers the same.",
    ),
    responses=responses(200, HoldResponse, 404, 409),
    tags=["holds"],
)
def capture(hold_id: Id, body: CaptureRequest | None = None) -> Response[str]:
    principal = require(router, "server")
    return respond(holds.capture_hold(default_context(), principal.tenant_id, hold_id, body))


@router.post(
    "/v1/holds/<hold_id>/release",
    **documented(
        "server",
        "Release a hold",
        "Gives the held points back to available; a captured hold is 409; releasing again answers the same.",
    ),
    responses=responses(200, HoldResponse, 404, 409),
    tags=["holds"],
)
def release(hold_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(holds.release_hold(default_context(), principal.tenant_id, hold_id))


@router.post(
    "/v1/holds/<hold_id>/refunds",
    **documented(
        "server",
        "Give back points a capture spent",
        "The shop refunded the order (or part of it): `points` of the captured ones come back in the lots "
        "they came from, with their dates (lots whose date passed come back due and expire at the next "
        "expiry run). Exactly-once on `refund_id`; refunds summing past the capture, or of a hold not "
        "captured, are 409 `refund-exceeds-capture`; after the program's last redeeming day, 409 "
        "`program-ended`.",
    ),
    responses=responses(201, HoldRefundResponse, 404, 409),
    tags=["holds"],
)
def refund(hold_id: Id, body: HoldRefundRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(hold_refunds.refund_points(default_context(), principal.tenant_id, hold_id, body))
