"""The catalog (admin PUTs, server reads) and redemptions of catalog rewards."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import documented, responses
from loyalty.models.common import ID_PATTERN
from loyalty.models.rewards import RedemptionRequest, RedemptionResponse, Reward, RewardResponse, RewardsPage
from loyalty.observability import count
from loyalty.operations import redemptions
from loyalty.operations.context import default_context
from loyalty.operations.paging import DEFAULT_PAGE

router = Router()
Id = Annotated[str, Path(pattern=ID_PATTERN)]


@router.put(
    "/v1/rewards/<reward_id>",
    **documented(
        "admin",
        "Create or replace a reward",
        "The catalog entry: names, points cost (and campaign prices), stock, per-member limit, validity. "
        "PUT is idempotent.",
    ),
    responses=responses(200, RewardResponse),
    tags=["rewards"],
)
def put_reward(reward_id: Id, body: Reward) -> Response[str]:
    principal = require(router, "admin")
    return respond(redemptions.put_reward(default_context(), principal, reward_id, body))


@router.get(
    "/v1/rewards",
    **documented(
        "server", "List rewards", "The reward catalog with the current prices and stock, a page at a time."
    ),
    responses=responses(200, RewardsPage),
    tags=["rewards"],
)
def list_rewards(
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Response[str]:
    principal = require(router, "server")
    return respond(redemptions.list_rewards(default_context(), principal.tenant_id, limit, cursor))


@router.get(
    "/v1/rewards/<reward_id>",
    **documented("server", "Read a reward", "One catalog entry with its current price and stock."),
    responses=responses(200, RewardResponse, 404),
    tags=["rewards"],
)
def read_reward(reward_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(redemptions.read_reward(default_context(), principal.tenant_id, reward_id))


@router.post(
    "/v1/members/<member_id>/redemptions",
    **documented(
        "server",
        "Redeem a reward",
        "Spends the reward's current price (x quantity) from the member's available points and takes the "
        "stock. Exactly-once on `redemption_id`; not enough points, no stock, or the per-member limit "
        "reached is 409.",
    ),
    responses=responses(201, RedemptionResponse, 404, 409),
    tags=["redemptions"],
)
def redeem(member_id: Id, body: RedemptionRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = redemptions.redeem(default_context(), principal.tenant_id, member_id, body)
    if not outcome.replayed:
        count("PointsRedeemed", outcome.body["points"])
    return respond(outcome)


@router.get(
    "/v1/members/<member_id>/redemptions/<redemption_id>",
    **documented("server", "Read a redemption", "One redemption and its status."),
    responses=responses(200, RedemptionResponse, 404),
    tags=["redemptions"],
)
def read_redemption(member_id: Id, redemption_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(
        redemptions.read_redemption(default_context(), principal.tenant_id, member_id, redemption_id)
    )


@router.post(
    "/v1/members/<member_id>/redemptions/<redemption_id>/fulfil",
    **documented(
        "server",
        "Fulfil a redemption",
        "Marks the redemption as delivered; a cancelled one is 409. Fulfilling again answers the same.",
    ),
    responses=responses(200, RedemptionResponse, 404, 409),
    tags=["redemptions"],
)
def fulfil(member_id: Id, redemption_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(redemptions.fulfil(default_context(), principal.tenant_id, member_id, redemption_id))


@router.post(
    "/v1/members/<member_id>/redemptions/<redemption_id>/cancel",
    **documented(
        "server",
        "Cancel a redemption",
        "Gives the points back (into the lots they came from) and the stock; a fulfilled one is 409. "
        "Cancelling again answers the same.",
    ),
    responses=responses(200, RedemptionResponse, 404, 409),
    tags=["redemptions"],
)
def cancel(member_id: Id, redemption_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(redemptions.cancel(default_context(), principal.tenant_id, member_id, redemption_id))
