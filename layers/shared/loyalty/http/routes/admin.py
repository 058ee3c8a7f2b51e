"""Administration: tenants (operator), API keys and point adjustments (admin)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import documented, responses
from loyalty.models.api import (
    AdjustmentRequest,
    AdjustmentResponse,
    KeyCreatedResponse,
    KeyCreateRequest,
    MemberResponse,
    SigningKeyRotatedResponse,
    TenantCreatedResponse,
    TenantCreateRequest,
    TierAssignmentRequest,
)
from loyalty.models.common import ID_PATTERN
from loyalty.observability import count
from loyalty.operations import adjustments, member_tokens, tenants, tiers
from loyalty.operations.context import default_context

router = Router()


@router.post(
    "/v1/tenants",
    **documented(
        "operator",
        "Create a tenant",
        "Creates a tenant with the default program and answers its first admin and server keys (shown "
        "once). Exactly-once on `tenant_id`: another tenant with the same id is 409.",
    ),
    responses=responses(201, TenantCreatedResponse, 409),
    tags=["admin"],
)
def create_tenant(body: TenantCreateRequest) -> Response[str]:
    require(router, "operator")
    return respond(tenants.create_tenant(default_context(), body))


@router.post(
    "/v1/keys",
    **documented(
        "admin",
        "Create an API key",
        "Creates a `server` or `admin` key for the caller's tenant; the key is shown once.",
    ),
    responses=responses(201, KeyCreatedResponse),
    tags=["admin"],
)
def create_key(body: KeyCreateRequest) -> Response[str]:
    principal = require(router, "admin")
    return respond(tenants.create_key(default_context(), principal, body))


@router.delete(
    "/v1/keys/<key_id>",
    **documented(
        "admin",
        "Revoke an API key",
        "Revokes one of the tenant's keys; it stops working within the authorizer's cache time (60 s).",
    ),
    responses=responses(204, None, 404),
    tags=["admin"],
)
def revoke_key(key_id: Annotated[str, Path(pattern=ID_PATTERN)]) -> Response[str]:
    principal = require(router, "admin")
    return respond(tenants.revoke_key(default_context(), principal, key_id))


@router.post(
    "/v1/members/<member_id>/adjustments",
    **documented(
        "admin",
        "Adjust a member's points",
        "Grants (positive) or deducts (negative) points with a reason; a deduction spends the oldest "
        "points and is 409 beyond the available balance. `source: import` brings points from another "
        "system, with their own `expires_on`. Exactly-once on `adjustment_id`.",
    ),
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
    **documented(
        "admin",
        "Assign a member's tier",
        "Puts the member in a tier by hand, with a reason, until the date given or the next evaluation.",
    ),
    responses=responses(200, MemberResponse, 404),
    tags=["admin"],
)
def assign_tier(
    member_id: Annotated[str, Path(pattern=ID_PATTERN)], body: TierAssignmentRequest
) -> Response[str]:
    principal = require(router, "admin")
    return respond(tiers.assign_tier(default_context(), principal, member_id, body))


@router.post(
    "/v1/token-keys/rotate",
    **documented(
        "admin",
        "Rotate the member-token signing key",
        "Member tokens are signed with a new key from now on; tokens signed before stay good until "
        "they expire.",
    ),
    responses=responses(200, SigningKeyRotatedResponse),
    tags=["admin"],
)
def rotate_token_key() -> Response[str]:
    """Sign member tokens with a new key from now on; tokens signed before stay good until they expire."""
    principal = require(router, "admin")
    return respond(member_tokens.rotate(default_context(), principal))
