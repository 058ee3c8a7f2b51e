"""Administration: tenants (operator), API keys and point adjustments (admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import documented, responses
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
    operator = require(router, "operator")
    return respond(tenants.create_tenant(default_context(), body, operator))


@router.get(
    "/v1/tenants",
    **documented(
        "operator",
        "List the tenants",
        "Lists every tenant on the platform with its name and creation time, from the tenant registry "
        "written with each new tenant.",
    ),
    responses=responses(200, TenantsPage),
    tags=["admin"],
)
def list_tenants() -> Response[str]:
    require(router, "operator")
    return respond(tenants.list_tenants(default_context()))


@router.get(
    "/v1/keys",
    **documented(
        "admin",
        "List the API keys",
        "Lists the caller's tenant's keys: id, scope, name and creation time, never the key itself.",
    ),
    responses=responses(200, KeysPage),
    tags=["admin"],
)
def list_keys() -> Response[str]:
    principal = require(router, "admin")
    return respond(tenants.list_keys(default_context(), principal))


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
    responses=responses(200, MemberResponse, 404, 409),
    tags=["admin"],
)
def assign_tier(
    member_id: Annotated[str, Path(pattern=ID_PATTERN)], body: TierAssignmentRequest
) -> Response[str]:
    principal = require(router, "admin")
    return respond(tiers.assign_tier(default_context(), principal, member_id, body))


@router.put(
    "/v1/members/<member_id>/status",
    **documented(
        "admin",
        "Freeze or unfreeze a member",
        "`frozen`: the member can no longer spend (redemptions, holds, coupons bought with points, draws "
        "answer 409 `member-frozen`); purchases and activities are still recorded, their points withheld "
        "(`balance.withheld`). `active`: the withheld points are released (`release_withheld`, the default) "
        "or forfeited with an entry. Every change is a ledger entry with its reason and the acting key.",
    ),
    responses=responses(200, StatusResponse, 404, 409),
    tags=["admin"],
)
def set_status(member_id: Annotated[str, Path(pattern=ID_PATTERN)], body: StatusRequest) -> Response[str]:
    principal = require(router, "admin")
    return respond(risk.set_status(default_context(), principal, member_id, body))


@router.get(
    "/v1/reviews",
    **documented(
        "admin",
        "List the velocity reviews",
        "Members whose earns breached one of the program's velocity rules (`risk.velocity`): each review "
        "holds the points withheld from those earns, the rules breached and whether a rule froze the "
        "member too. Oldest first; `status` filters (`open`, `released`, `forfeited`); a page at a time "
        "(`limit`, `cursor`).",
    ),
    responses=responses(200, ReviewPage),
    tags=["admin"],
)
def list_reviews(
    status: Annotated[ReviewStatus | None, Query()] = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Response[str]:
    principal = require(router, "admin")
    return respond(reviews.list_reviews(default_context(), principal.tenant_id, status, limit, cursor))


@router.post(
    "/v1/reviews/<review_id>/resolve",
    **documented(
        "admin",
        "Resolve a velocity review",
        "`release: true` releases the points withheld under the review into the member's balance (an "
        "entry of type `review`; a frozen member is 409 `member-frozen`: unfreeze it instead), `false` "
        "forfeits them with an entry. Exactly once per review (the same request answers the same; another "
        "resolution after it is 409); audited.",
    ),
    responses=responses(200, ResolveReviewResponse, 404, 409),
    tags=["admin"],
)
def resolve_review(
    review_id: Annotated[str, Path(pattern=ID_PATTERN)], body: ResolveReviewRequest
) -> Response[str]:
    principal = require(router, "admin")
    return respond(reviews.resolve_review(default_context(), principal, review_id, body))


@router.get(
    "/v1/audit",
    **documented(
        "admin",
        "Read the audit log",
        "Every admin and operator action on the tenant (adjustments, tier assignments, program versions, "
        "keys, status changes), newest first, each with the acting key (`actor`), its time (`at`), the API "
        "request that made it and what it was (`detail`); written in the same transaction as the action "
        "and never changed. Filter by `member_id`, `actor` and a time range (`from`, `to`, inclusive); a "
        "page at a time (`limit`, `cursor`).",
    ),
    responses=responses(200, AuditPage),
    tags=["admin"],
)
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
