"""Administration: tenants (operator), API keys and point adjustments (admin)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses
from loyalty.models.api import (
    AdjustmentRequest,
    AdjustmentResponse,
    KeyCreatedResponse,
    KeyCreateRequest,
    KeysPage,
    MemberResponse,
    TenantCreatedResponse,
    TenantCreateRequest,
    TenantsPage,
    TierAssignmentRequest,
)
from loyalty.models.common import ID_PATTERN
from loyalty.observability import count
from loyalty.operations import adjustments, tenants, tiers
from loyalty.operations.context import default_context

router = Router()


@router.post("/v1/tenants", responses=responses(201, TenantCreatedResponse, 409), tags=["admin"])
def create_tenant(body: TenantCreateRequest) -> Response[str]:
    require(router, "operator")
    return respond(tenants.create_tenant(default_context(), body))


@router.get("/v1/tenants", responses=responses(200, TenantsPage), tags=["admin"])
def list_tenants() -> Response[str]:
    require(router, "operator")
    return respond(tenants.list_tenants(default_context()))


@router.get("/v1/keys", responses=responses(200, KeysPage), tags=["admin"])
def list_keys() -> Response[str]:
    principal = require(router, "admin")
    return respond(tenants.list_keys(default_context(), principal))


@router.post("/v1/keys", responses=responses(201, KeyCreatedResponse), tags=["admin"])
def create_key(body: KeyCreateRequest) -> Response[str]:
    principal = require(router, "admin")
    return respond(tenants.create_key(default_context(), principal, body))


@router.delete("/v1/keys/<key_id>", responses=responses(204, None, 404), tags=["admin"])
def revoke_key(key_id: Annotated[str, Path(pattern=ID_PATTERN)]) -> Response[str]:
    principal = require(router, "admin")
    return respond(tenants.revoke_key(default_context(), principal, key_id))


@router.post(
    "/v1/members/<member_id>/adjustments",
    responses=responses(201, AdjustmentResponse, 404, 409),
    tags=["admin"],
)
def adjust_points(
    member_id: Annotated[str, Path(pattern=ID_PATTERN)], body: AdjustmentRequest
) -> Response[str]:
    principal = require(router, "admin")
    outcome = adjustments.adjust(default_context(), principal, member_id, body)
    count("PointsAdjusted", 0 if outcome.replayed else abs(body.points))
    return respond(outcome)


@router.put(
    "/v1/members/<member_id>/tier",
    responses=responses(200, MemberResponse, 404),
    tags=["admin"],
)
def assign_tier(
    member_id: Annotated[str, Path(pattern=ID_PATTERN)], body: TierAssignmentRequest
) -> Response[str]:
    principal = require(router, "admin")
    return respond(tiers.assign_tier(default_context(), principal.tenant_id, member_id, body))
