"""Members: enrol, read with balance and expiring points, list ledger entries."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses
from loyalty.models.api import (
    EnrollRequest,
    MemberResponse,
    MemberTokenRequest,
    MemberTokenResponse,
    TransactionsPage,
)
from loyalty.models.common import ID_PATTERN
from loyalty.observability import count
from loyalty.operations import member_tokens, members
from loyalty.operations.context import default_context

router = Router()
MemberId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.post("/v1/members", responses=responses(201, MemberResponse, 409), tags=["members"])
def enroll(body: EnrollRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = members.enroll(default_context(), principal.tenant_id, body)
    count("MembersEnrolled", 0 if outcome.replayed else 1)
    return respond(outcome)


@router.get("/v1/members/<member_id>", responses=responses(200, MemberResponse, 404), tags=["members"])
def read_member(member_id: MemberId) -> Response[str]:
    principal = require(router, "server")
    return respond(members.read_member(default_context(), principal.tenant_id, member_id))


@router.get(
    "/v1/members/<member_id>/transactions", responses=responses(200, TransactionsPage, 404), tags=["members"]
)
def list_transactions(
    member_id: MemberId,
    limit: Annotated[int, Query(ge=1, le=members.MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    principal = require(router, "server")
    return respond(
        members.list_transactions(default_context(), principal.tenant_id, member_id, limit, cursor)
    )


@router.post(
    "/v1/members/<member_id>/tokens", responses=responses(201, MemberTokenResponse, 404), tags=["members"]
)
def mint_token(member_id: MemberId, body: MemberTokenRequest) -> Response[str]:
    """A short-lived token for this member alone, for the portal or a shop's own front-end."""
    principal = require(router, "server")
    return respond(member_tokens.mint(default_context(), principal.tenant_id, member_id, body))
