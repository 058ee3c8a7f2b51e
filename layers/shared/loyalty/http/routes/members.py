"""Members: enrol, read with balance and expiring points, list ledger entries."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses
from loyalty.models.api import EnrollRequest, MemberResponse, TransactionsPage
from loyalty.models.common import ID_PATTERN
from loyalty.observability import count
from loyalty.operations import members
from loyalty.operations.context import default_context
from loyalty.operations.paging import DEFAULT_PAGE

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
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Response[str]:
    principal = require(router, "server")
    return respond(
        members.list_transactions(default_context(), principal.tenant_id, member_id, limit, cursor)
    )
