"""Administration: tenants (operator), API keys and point adjustments (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.api import (
    AdjustmentRequest,
    AdjustmentResponse,
    KeyCreatedResponse,
    KeyCreateRequest,
    KeysPage,
    MemberResponse,
    SigningKeyRotatedResponse,
    StatusRequest,
    StatusResponse,
    TenantCreatedResponse,
    TenantCreateRequest,
    TenantsPage,
    TierAssignmentRequest,
)
from loyalty.models.audit import AuditPage, AuditQuery
from loyalty.models.common import ID_PATTERN
from loyalty.models.risk import ResolveReviewRequest, ResolveReviewResponse, ReviewPage, ReviewStatus
from loyalty.observability import count
from loyalty.operations import adjustments, audit, member_tokens, reviews, risk, tenants, tiers
from loyalty.operations.context import default_context
from loyalty.operations.paging import DEFAULT_PAGE

router, route = routes(tags=["admin"])


@route("POST", "/v1/tenants", "operator", responses(201, TenantCreatedResponse, 409))
def create_tenant(body: TenantCreateRequest) -> Response[str]:
    operator = require(router, "operator")
    return respond(tenants.create_tenant(default_context(), body, operator))


@route("GET", "/v1/tenants", "operator", responses(200, TenantsPage))
def list_tenants() -> Response[str]:
    require(router, "operator")
    return respond(tenants.list_tenants(default_context()))


@route("GET", "/v1/keys", "admin", responses(200, KeysPage))
def list_keys() -> Response[str]:
    principal = require(router, "admin")
    return respond(tenants.list_keys(default_context(), principal))


@route("POST", "/v1/keys", "admin", responses(201, KeyCreatedResponse))
def create_key(body: KeyCreateRequest) -> Response[str]:
    principal = require(router, "admin")
    return respond(tenants.create_key(default_context(), principal, body))


@route("DELETE", "/v1/keys/<key_id>", "admin", responses(204, None, 404))
def revoke_key(key_id: Annotated[str, Path(pattern=ID_PATTERN)]) -> Response[str]:
    principal = require(router, "admin")
    return respond(tenants.revoke_key(default_context(), principal, key_id))


@route("POST", "/v1/members/<member_id>/adjustments", "admin", responses(201, AdjustmentResponse, 404, 409))
def adjust_points(
    member_id: Annotated[str, Path(pattern=ID_PATTERN)], body: AdjustmentRequest
) -> Response[str]:
    principal = require(router, "admin")
    outcome = adjustments.adjust(default_context(), principal, member_id, body)
    count("PointsAdjusted", 0 if outcome.replayed else abs(body.points))
    return respond(outcome)


@route("PUT", "/v1/members/<member_id>/tier", "admin", responses(200, MemberResponse, 404, 409))
def assign_tier(
    member_id: Annotated[str, Path(pattern=ID_PATTERN)], body: TierAssignmentRequest
) -> Response[str]:
    principal = require(router, "admin")
    return respond(tiers.assign_tier(default_context(), principal, member_id, body))


@route("PUT", "/v1/members/<member_id>/status", "admin", responses(200, StatusResponse, 404, 409))
def set_status(member_id: Annotated[str, Path(pattern=ID_PATTERN)], body: StatusRequest) -> Response[str]:
    principal = require(router, "admin")
    return respond(risk.set_status(default_context(), principal, member_id, body))


@route("GET", "/v1/reviews", "admin", responses(200, ReviewPage))
def list_reviews(
    status: Annotated[ReviewStatus | None, Query()] = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Response[str]:
    principal = require(router, "admin")
    return respond(reviews.list_reviews(default_context(), principal.tenant_id, status, limit, cursor))


@route("POST", "/v1/reviews/<review_id>/resolve", "admin", responses(200, ResolveReviewResponse, 404, 409))
def resolve_review(
    review_id: Annotated[str, Path(pattern=ID_PATTERN)], body: ResolveReviewRequest
) -> Response[str]:
    principal = require(router, "admin")
    return respond(reviews.resolve_review(default_context(), principal, review_id, body))


@route("GET", "/v1/audit", "admin", responses(200, AuditPage))
def read_audit(
    member_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    actor: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Response[str]:
    principal = require(router, "admin")
    return respond(
        audit.list_audit(
            default_context(),
            principal.tenant_id,
            AuditQuery(member_id=member_id, actor=actor, start=start, end=end, limit=limit),
            cursor,
        )
    )


@route("POST", "/v1/token-keys/rotate", "admin", responses(200, SigningKeyRotatedResponse))
def rotate_token_key() -> Response[str]:
    """Sign member tokens with a new key from now on; tokens signed before stay good until they expire."""
    principal = require(router, "admin")
    return respond(member_tokens.rotate(default_context(), principal))
