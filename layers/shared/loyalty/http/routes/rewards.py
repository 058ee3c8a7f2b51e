"""The catalog (admin PUTs, server reads) and redemptions of catalog rewards."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.paging import Cursor, Limit
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.common import ID_PATTERN
from loyalty.models.rewards import RedemptionRequest, RedemptionResponse, Reward, RewardResponse, RewardsPage
from loyalty.observability import count
from loyalty.operations import redemptions
from loyalty.operations.context import default_context
from loyalty.operations.paging import DEFAULT_PAGE

router, route = routes(tags=["redemptions"])
REDEMPTION = "/v1/members/<member_id>/redemptions/<redemption_id>"
Id = Annotated[str, Path(pattern=ID_PATTERN)]


@route("PUT", "/v1/rewards/<reward_id>", "admin", responses(200, RewardResponse), tags=["rewards"])
def put_reward(reward_id: Id, body: Reward) -> Response[str]:
    principal = require(router, "admin")
    return respond(redemptions.put_reward(default_context(), principal, reward_id, body))


@route("GET", "/v1/rewards", "server", responses(200, RewardsPage), tags=["rewards"])
def list_rewards(
    limit: Limit = DEFAULT_PAGE,
    cursor: Cursor = None,
) -> Response[str]:
    principal = require(router, "server")
    return respond(redemptions.list_rewards(default_context(), principal.tenant_id, limit, cursor))


@route("GET", "/v1/rewards/<reward_id>", "server", responses(200, RewardResponse, 404), tags=["rewards"])
def read_reward(reward_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(redemptions.read_reward(default_context(), principal.tenant_id, reward_id))


@route("POST", "/v1/members/<member_id>/redemptions", "server", responses(201, RedemptionResponse, 404, 409))
def redeem(member_id: Id, body: RedemptionRequest) -> Response[str]:
    principal = require(router, "server")
    outcome = redemptions.redeem(default_context(), principal.tenant_id, member_id, body)
    if not outcome.replayed:
        count("PointsRedeemed", outcome.body["points"])
    return respond(outcome)


@route("GET", REDEMPTION, "server", responses(200, RedemptionResponse, 404))
def read_redemption(member_id: Id, redemption_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(
        redemptions.read_redemption(default_context(), principal.tenant_id, member_id, redemption_id)
    )


@route("POST", f"{REDEMPTION}/fulfil", "server", responses(200, RedemptionResponse, 404, 409))
def fulfil(member_id: Id, redemption_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(redemptions.fulfil(default_context(), principal.tenant_id, member_id, redemption_id))


@route("POST", f"{REDEMPTION}/cancel", "server", responses(200, RedemptionResponse, 404, 409))
def cancel(member_id: Id, redemption_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(redemptions.cancel(default_context(), principal.tenant_id, member_id, redemption_id))
