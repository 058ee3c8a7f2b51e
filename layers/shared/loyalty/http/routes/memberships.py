"""Paid membership: buy one for a member, cancel it, list a member's memberships."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import documented, responses
from loyalty.models.common import ID_PATTERN
from loyalty.models.memberships import MembershipRequest, MembershipResponse, MembershipsPage
from loyalty.observability import count
from loyalty.operations import memberships
from loyalty.operations.context import default_context

router = Router()
MemberId = Annotated[str, Path(pattern=ID_PATTERN)]
MembershipId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.post(
    "/v1/members/<member_id>/memberships",
    **documented(
        "server",
        "Buy a paid membership",
        "The plan's tier at once, from today up to (not including) `ends_on`, calendar months in the "
        "program's time zone; a member who already has one gets the new one from the end of the last. "
        "`amount` and `currency` must be the plan's price (else 422). Exactly-once on `membership_id`: "
        "the same request again answers 200 with the stored membership; another body is 409.",
    ),
    responses=responses(201, MembershipResponse, 404, 409, replay=200),
    tags=["memberships"],
)
def buy(member_id: MemberId, body: MembershipRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = memberships.buy_membership(default_context(), principal.tenant_id, member_id, body)
    count("MembershipsBought", 1 if outcome.committed else 0)
    return respond(outcome)


@router.post(
    "/v1/members/<member_id>/memberships/<membership_id>/cancel",
    **documented(
        "server",
        "Cancel a paid membership",
        "Withdraws a membership that has not ended: the member falls back at once to the tier their "
        "figures reach (never below an admin's assignment or another membership in force). Cancelling "
        "again answers the same; a membership that ended is 409.",
    ),
    responses=responses(200, MembershipResponse, 404, 409),
    tags=["memberships"],
)
def cancel(member_id: MemberId, membership_id: MembershipId) -> Response[str]:
    principal = require(router, "server")
    context = default_context()
    return respond(memberships.cancel_membership(context, principal.tenant_id, member_id, membership_id))


@router.get(
    "/v1/members/<member_id>/memberships",
    **documented(
        "server",
        "List a member's paid memberships",
        "Every membership bought, newest first, with its status today (scheduled, active, ended, cancelled).",
    ),
    responses=responses(200, MembershipsPage, 404),
    tags=["memberships"],
)
def list_memberships(member_id: MemberId) -> Response[str]:
    principal = require(router, "server")
    return respond(memberships.list_memberships(default_context(), principal.tenant_id, member_id))
