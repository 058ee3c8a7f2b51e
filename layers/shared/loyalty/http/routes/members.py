"""Members: enrol, read with balance and expiring points, list ledger entries."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import documented, responses
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

router = Router()
MemberId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.post(
    "/v1/members",
    **documented(
        "server",
        "Enrol a member",
        "Enrols `member_id` with its optional profile and credits the program's signup bonus. "
        "Exactly-once on `member_id`: the same request again answers 200 with the stored member; another "
        "body for the same id is 409.",
    ),
    responses=responses(201, MemberResponse, 409, replay=200),
    tags=["members"],
)
def enroll(body: EnrollRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = members.enroll(default_context(), principal.tenant_id, body)
    count("MembersEnrolled", 0 if outcome.replayed else 1)
    return respond(outcome)


@router.get(
    "/v1/members",
    **documented(
        "admin",
        "Find members",
        "Exactly one of `member_id`, `email`, `phone`: the members it names, as `GET "
        "/v1/members/{member_id}` shows them, in id order, a page at a time. Emails are compared "
        "trimmed and lower-cased; phones by their digits (spaces, dashes, dots and brackets dropped, "
        "a leading `00` read as `+`), so `+86 138-0013-8000` finds `+8613800138000` (a number stored "
        "without its country code is found only without it). An email or phone may be shared by "
        "several members. A value that is not an email address or a phone number is 422.",
    ),
    responses=responses(200, MembersPage),
    tags=["members"],
)
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


@router.get(
    "/v1/members/<member_id>",
    **documented(
        "server",
        "Read a member",
        "The member's balance (available, pending, held, debt), the points expiring next, the tier with "
        "its progress, and the profile.",
    ),
    responses=responses(200, MemberResponse, 404),
    tags=["members"],
)
def read_member(member_id: MemberId) -> Response[str]:
    principal = require(router, "server")
    return respond(members.read_member(default_context(), principal.tenant_id, member_id))


@router.patch(
    "/v1/members/<member_id>",
    **documented(
        "server",
        "Correct a member's profile",
        "Sets the fields sent (`name`, `email`, `phone`, `birthday`, `locale`; null clears one) and keeps "
        "the others; answers the member. A new birthday pays no second birthday bonus in a year that had "
        "one.",
    ),
    responses=responses(200, MemberResponse, 404, 409),
    tags=["members"],
)
def correct_profile(member_id: MemberId, body: ProfileRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(members.correct_profile(default_context(), principal, member_id, body))


@router.delete(
    "/v1/members/<member_id>",
    **documented(
        "admin",
        "Erase a member",
        "Removes the person: the profile and the indexes that find it are gone from the member, so from "
        "its later events and exports too. What was left of the balance (available, pending, held on "
        "open holds, which close, and withheld) is forfeited by one `erase` entry (event `member.erased`). "
        "The ledger keeps its entries, which hold no personal data, under the member id; the id cannot be "
        "enrolled again (409) and takes no more purchases or spends (409 `member-erased`). Exactly once "
        "(erasing again answers the same); audited.",
    ),
    responses=responses(200, ErasureResponse, 404),
    tags=["members"],
)
def erase_member(member_id: MemberId) -> Response[str]:
    principal = require(router, "admin")
    return respond(erasure.erase_member(default_context(), principal, member_id))


@router.get(
    "/v1/members/<member_id>/transactions",
    **documented(
        "server",
        "List a member's ledger entries",
        "The member's ledger, newest first, a page at a time (`limit`, and `cursor` from the previous "
        "page's `next_cursor`). Every entry has its signed points and the balance after it.",
    ),
    responses=responses(200, TransactionsPage, 404),
    tags=["members"],
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


@router.post(
    "/v1/members/<member_id>/tokens",
    **documented(
        "server",
        "Mint a member token",
        "A short-lived signed token (default 1 hour) for this member alone, for the portal "
        "(`/portal/?token=...`) or a shop's own front-end calling `/v1/me`.",
    ),
    responses=responses(201, MemberTokenResponse, 404, 409),
    tags=["members"],
)
def mint_token(member_id: MemberId, body: MemberTokenRequest) -> Response[str]:
    """A short-lived token for this member alone, for the portal or a shop's own front-end."""
    principal = require(router, "server")
    return respond(member_tokens.mint(default_context(), principal.tenant_id, member_id, body))
