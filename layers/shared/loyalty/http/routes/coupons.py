"""Coupons: templates (admin), issuing and listing a member's coupons, checking and using a code."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
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

router, route = routes(tags=["coupons"])
Id = Annotated[str, Path(pattern=ID_PATTERN)]


@route("PUT", "/v1/coupon-templates/<template_id>", "admin", responses(200, CouponTemplateResponse))
def put_template(template_id: Id, body: CouponTemplate) -> Response[str]:
    principal = require(router, "admin")
    return respond(coupons.put_template(default_context(), principal, template_id, body))


@route("GET", "/v1/coupon-templates", "server", responses(200, CouponTemplatesPage))
def list_templates(limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> Response[str]:
    principal = require(router, "server")
    return respond(coupons.list_templates(default_context(), principal.tenant_id, limit, cursor))


@route("POST", "/v1/members/<member_id>/coupons", "server", responses(201, CouponResponse, 404, 409))
def issue(member_id: Id, body: CouponIssueRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(coupons.issue(default_context(), principal, member_id, body))


@route("GET", "/v1/members/<member_id>/coupons", "server", responses(200, CouponsPage, 404))
def list_member_coupons(member_id: Id, limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> Response[str]:
    principal = require(router, "server")
    return respond(
        coupons.list_member_coupons(default_context(), principal.tenant_id, member_id, limit, cursor)
    )


@route("POST", "/v1/coupons/<code>/check", "server", responses(200, CouponCheckResponse, 404))
def check(code: Id, body: CouponCheckRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(coupons.check(default_context(), principal.tenant_id, code, body))


@route("POST", "/v1/coupons/<code>/use", "server", responses(200, CouponCheckResponse, 404, 409))
def use(code: Id, body: CouponUseRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(coupons.use(default_context(), principal.tenant_id, code, body))
