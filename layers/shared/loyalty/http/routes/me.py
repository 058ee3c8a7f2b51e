"""The member's own view (`Authorization: Bearer <member token>`): thin routes over the shared
operations, with the member the token names; no path takes a member id, so a token can reach no
other member. Any API key here is 403, and a member token anywhere else is 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from loyalty.http.auth import require_member
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.api import MemberResponse, ProgramRulesResponse, TransactionsPage
from loyalty.models.common import ID_PATTERN
from loyalty.models.rewards import (
    CouponsPage,
    DrawsPage,
    MemberRewardsPage,
    RedemptionRequest,
    RedemptionResponse,
)
from loyalty.observability import count
from loyalty.operations import coupons, lotteries, me, members, redemptions
from loyalty.operations.context import Outcome, default_context
from loyalty.operations.paging import DEFAULT_PAGE

router, route = routes(tags=["me"])
Id = Annotated[str, Path(pattern=ID_PATTERN)]


def _as_member(action: Callable[..., Outcome], *args: Any) -> Response[str]:
    """Runs a shared operation for the member the token names, in the token's tenant."""
    principal, member_id = require_member(router)
    return respond(action(default_context(), principal.tenant_id, member_id, *args))


@route("GET", "/v1/me", "member", responses(200, MemberResponse, 404))
def read_me() -> Response[str]:
    return _as_member(members.read_member)


@route("GET", "/v1/me/transactions", "member", responses(200, TransactionsPage, 404))
def my_transactions(
    limit: Annotated[int, Query(ge=1, le=members.MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    return _as_member(members.list_transactions, limit, cursor)


@route("GET", "/v1/me/rewards", "member", responses(200, MemberRewardsPage, 404))
def my_rewards() -> Response[str]:
    return _as_member(me.member_rewards)


@route("POST", "/v1/me/redemptions", "member", responses(201, RedemptionResponse, 404, 409))
def redeem(body: RedemptionRequest) -> Response[str]:
    principal, member_id = require_member(router)
    outcome = redemptions.redeem(default_context(), principal.tenant_id, member_id, body)
    if not outcome.replayed:
        count("PointsRedeemed", outcome.body["points"])
    return respond(outcome)


@route("GET", "/v1/me/redemptions/<redemption_id>", "member", responses(200, RedemptionResponse, 404))
def read_redemption(redemption_id: Id) -> Response[str]:
    return _as_member(redemptions.read_redemption, redemption_id)


@route("GET", "/v1/me/coupons", "member", responses(200, CouponsPage, 404))
def my_coupons(limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> Response[str]:
    return _as_member(coupons.list_member_coupons, limit, cursor)


@route("GET", "/v1/me/draws", "member", responses(200, DrawsPage, 404))
def my_draws() -> Response[str]:
    return _as_member(lotteries.list_member_draws)


@route("GET", "/v1/me/program", "member", responses(200, ProgramRulesResponse, 404))
def my_program(
    lang: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = None,
) -> Response[str]:
    return _as_member(me.program_rules, lang)
