"""Paid membership: buy one for a member, cancel it, list a member's memberships."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.common import ID_PATTERN
from loyalty.models.memberships import MembershipRequest, MembershipResponse, MembershipsPage
from loyalty.observability import count
from loyalty.operations import memberships
from loyalty.operations.context import default_context

router, route = routes(tags=["memberships"])
MEMBERSHIPS = "/v1/members/<member_id>/memberships"
MemberId = Annotated[str, Path(pattern=ID_PATTERN)]
MembershipId = Annotated[str, Path(pattern=ID_PATTERN)]


@route("POST", MEMBERSHIPS, "server", responses(201, MembershipResponse, 404, 409, replay=200))
def buy(member_id: MemberId, body: MembershipRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = memberships.buy_membership(default_context(), principal.tenant_id, member_id, body)
    count("MembershipsBought", 1 if outcome.committed else 0)
    return respond(outcome)


@route(
    "POST", f"{MEMBERSHIPS}/<membership_id>/cancel", "server", responses(200, MembershipResponse, 404, 409)
)
def cancel(member_id: MemberId, membership_id: MembershipId) -> Response[str]:
    principal = require(router, "server")
    context = default_context()
    return respond(memberships.cancel_membership(context, principal.tenant_id, member_id, membership_id))


@route("GET", MEMBERSHIPS, "server", responses(200, MembershipsPage, 404))
def list_memberships(member_id: MemberId) -> Response[str]:
    principal = require(router, "server")
    return respond(memberships.list_memberships(default_context(), principal.tenant_id, member_id))
