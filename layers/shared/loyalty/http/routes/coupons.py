"""Coupons: templates (admin), issuing and listing a member's coupons, checking and using a code."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import documented, responses
from loyalty.models.common import ID_PATTERN
from loyalty.models.rewards import (
    CouponCheckRequest,
    CouponCheckResponse,
    CouponIssueRequest,
    CouponResponse,
    CouponsPage,
    CouponTemplate,
    CouponTemplateResponse,
    CouponTemplatesPage,
    CouponUseRequest,
)
from loyalty.operations import coupons
from loyalty.operations.context import default_context
from loyalty.operations.paging import DEFAULT_PAGE

router = Router()
Id = Annotated[str, Path(pattern=ID_PATTERN)]


@router.put(
    "/v1/coupon-templates/<template_id>",
    **documented(
        "admin",
        "Create or replace a coupon template",
        "What a coupon gives (an amount or percent off, free shipping), how long it is valid, its points "
        "price if members may buy it, and the events that issue it by themselves.",
    ),
    responses=responses(200, CouponTemplateResponse),
    tags=["coupons"],
)
def put_template(template_id: Id, body: CouponTemplate) -> Response[str]:
    principal = require(router, "admin")
    return respond(coupons.put_template(default_context(), principal, template_id, body))


@router.get(
    "/v1/coupon-templates",
    **documented("server", "List coupon templates", "The tenant's coupon templates."),
    responses=responses(200, CouponTemplatesPage),
    tags=["coupons"],
)
def list_templates(limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> Response[str]:
    principal = require(router, "server")
    return respond(coupons.list_templates(default_context(), principal.tenant_id, limit, cursor))


@router.post(
    "/v1/members/<member_id>/coupons",
    **documented(
        "server",
        "Issue a coupon",
        "Gives the member a coupon from a template, or sells it for points (`pay_with_points`). "
        "Exactly-once on `issue_id`; not enough points is 409.",
    ),
    responses=responses(201, CouponResponse, 404, 409),
    tags=["coupons"],
)
def issue(member_id: Id, body: CouponIssueRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(coupons.issue(default_context(), principal, member_id, body))


@router.get(
    "/v1/members/<member_id>/coupons",
    **documented("server", "List a member's coupons", "The member's coupons and their status."),
    responses=responses(200, CouponsPage, 404),
    tags=["coupons"],
)
def list_member_coupons(member_id: Id, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> Response[str]:
    principal = require(router, "server")
    return respond(
        coupons.list_member_coupons(default_context(), principal.tenant_id, member_id, limit, cursor)
    )


@router.post(
    "/v1/coupons/<code>/check",
    **documented(
        "server",
        "Check a coupon",
        "Whether the coupon applies to an order of this amount and what it takes off, without using it.",
    ),
    responses=responses(200, CouponCheckResponse, 404),
    tags=["coupons"],
)
def check(code: Id, body: CouponCheckRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(coupons.check(default_context(), principal.tenant_id, code, body))


@router.post(
    "/v1/coupons/<code>/use",
    **documented(
        "server",
        "Use a coupon",
        "Uses the coupon for an order, once: another order is 409, the same order again answers the same;"
        " an expired coupon is 409.",
    ),
    responses=responses(200, CouponCheckResponse, 404, 409),
    tags=["coupons"],
)
def use(code: Id, body: CouponUseRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(coupons.use(default_context(), principal.tenant_id, code, body))
