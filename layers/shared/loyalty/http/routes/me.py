"""The member's own view (`Authorization: Bearer <member token>`): thin routes over the shared
operations, with the member the token names; no path takes a member id, so a token can reach no
other member. Any API key here is 403, and a member token anywhere else is 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from loyalty.http.auth import require_member
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import Handler, operation, responses
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

router = Router()
Id = Annotated[str, Path(pattern=ID_PATTERN)]
ME = ["me"]
MEMBER_TOKEN: list[dict[str, list[str]]] = [{"member_token": []}]


def _member(
    method: str, path: str, summary: str, description: str, answers: dict[int, Any]
) -> Callable[[Handler], Handler]:
    """Every route here answers the member a token names: one tag, one security scheme."""
    return operation(
        router, method, path, "member", summary, description, answers, tags=ME, security=MEMBER_TOKEN
    )


def _as_member(action: Callable[..., Outcome], *args: Any) -> Response[str]:
    """Runs a shared operation for the member the token names, in the token's tenant."""
    principal, member_id = require_member(router)
    return respond(action(default_context(), principal.tenant_id, member_id, *args))


@_member(
    "GET",
    "/v1/me",
    "The member's own view",
    "Balance, tier and progress, and what expires when, for the member the token names.",
    responses(200, MemberResponse, 404),
)
def read_me() -> Response[str]:
    return _as_member(members.read_member)


@_member(
    "GET",
    "/v1/me/transactions",
    "The member's history",
    "The member's ledger entries, newest first, each with its explanation.",
    responses(200, TransactionsPage, 404),
)
def my_transactions(
    limit: Annotated[int, Query(ge=1, le=members.MAX_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    return _as_member(members.list_transactions, limit, cursor)


@_member(
    "GET",
    "/v1/me/rewards",
    "Rewards the member may redeem",
    "The catalog as this member sees it: whether each reward can be redeemed now, and why not "
    "(window, tier, stock, limit, points).",
    responses(200, MemberRewardsPage, 404),
)
def my_rewards() -> Response[str]:
    return _as_member(me.member_rewards)


@_member(
    "POST",
    "/v1/me/redemptions",
    "Redeem a reward",
    "Spends the member's points on a reward (natural id `redemption_id`); not enough points or no "
    "stock is 409.",
    responses(201, RedemptionResponse, 404, 409),
)
def redeem(body: RedemptionRequest) -> Response[str]:
    principal, member_id = require_member(router)
    outcome = redemptions.redeem(default_context(), principal.tenant_id, member_id, body)
    if not outcome.replayed:
        count("PointsRedeemed", outcome.body["points"])
    return respond(outcome)


@_member(
    "GET",
    "/v1/me/redemptions/<redemption_id>",
    "Read one of the member's redemptions",
    "One redemption of this member.",
    responses(200, RedemptionResponse, 404),
)
def read_redemption(redemption_id: Id) -> Response[str]:
    return _as_member(redemptions.read_redemption, redemption_id)


@_member(
    "GET",
    "/v1/me/coupons",
    "The member's coupons",
    "The member's coupons and their status, paged.",
    responses(200, CouponsPage, 404),
)
def my_coupons(limit: Limit = DEFAULT_PAGE, cursor: Cursor = None) -> Response[str]:
    return _as_member(coupons.list_member_coupons, limit, cursor)


@_member(
    "GET",
    "/v1/me/draws",
    "The member's lottery draws",
    "The member's draws, newest first (up to 100).",
    responses(200, DrawsPage, 404),
)
def my_draws() -> Response[str]:
    return _as_member(lotteries.list_member_draws)


@_member(
    "GET",
    "/v1/me/program",
    "The program's rules in plain words",
    "The published program's earning, tier, expiry and point-value rules as plain text in the "
    "member's language.",
    responses(200, ProgramRulesResponse, 404),
)
def my_program(
    lang: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")] = None,
) -> Response[str]:
    return _as_member(me.program_rules, lang)
