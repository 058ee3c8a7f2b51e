"""Members: enrol, read with balance and expiring points, list ledger entries."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.api import (
    EnrollRequest,
    ErasureResponse,
    MemberResponse,
    MembersPage,
    MemberTokenRequest,
    MemberTokenResponse,
    ProfileRequest,
    TransactionsPage,
)
from loyalty.models.common import ID_PATTERN
from loyalty.observability import count
from loyalty.operations import erasure, member_search, member_tokens, members
from loyalty.operations.context import default_context
from loyalty.operations.paging import DEFAULT_PAGE

router, route = routes(tags=["members"])
MemberId = Annotated[str, Path(pattern=ID_PATTERN)]


@route("POST", "/v1/members", "server", responses(201, MemberResponse, 409, replay=200))
def enroll(body: EnrollRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = members.enroll(default_context(), principal.tenant_id, body)
    count("MembersEnrolled", 0 if outcome.replayed else 1)
    return respond(outcome)


@route("GET", "/v1/members", "admin", responses(200, MembersPage))
def search_members(
    member_id: Annotated[str | None, Query(pattern=ID_PATTERN)] = None,
    email: Annotated[str | None, Query(max_length=256)] = None,
    phone: Annotated[str | None, Query(max_length=40)] = None,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Response[str]:
    principal = require(router, "admin")
    return respond(
        member_search.search_members(
            default_context(),
            principal.tenant_id,
            member_id=member_id,
            email=email,
            phone=phone,
            limit=limit,
            cursor=cursor,
        )
    )


@route("GET", "/v1/members/<member_id>", "server", responses(200, MemberResponse, 404))
def read_member(member_id: MemberId) -> Response[str]:
    principal = require(router, "server")
    return respond(members.read_member(default_context(), principal.tenant_id, member_id))


@route("PATCH", "/v1/members/<member_id>", "server", responses(200, MemberResponse, 404, 409))
def correct_profile(member_id: MemberId, body: ProfileRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(members.correct_profile(default_context(), principal, member_id, body))


@route("DELETE", "/v1/members/<member_id>", "admin", responses(200, ErasureResponse, 404))
def erase_member(member_id: MemberId) -> Response[str]:
    principal = require(router, "admin")
    return respond(erasure.erase_member(default_context(), principal, member_id))


@route("GET", "/v1/members/<member_id>/transactions", "server", responses(200, TransactionsPage, 404))
def list_transactions(
    member_id: MemberId,
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Response[str]:
    principal = require(router, "server")
    return respond(
        members.list_transactions(default_context(), principal.tenant_id, member_id, limit, cursor)
    )


@route("POST", "/v1/members/<member_id>/tokens", "server", responses(201, MemberTokenResponse, 404, 409))
def mint_token(member_id: MemberId, body: MemberTokenRequest) -> Response[str]:
    """A short-lived token for this member alone, for the portal or a shop's own front-end."""
    principal = require(router, "server")
    return respond(member_tokens.mint(default_context(), principal.tenant_id, member_id, body))
