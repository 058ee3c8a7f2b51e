"""Points lotteries: the prize table (admin), draws and their audit records (server)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import documented, responses
from loyalty.models.common import ID_PATTERN
from loyalty.models.rewards import DrawRecordResponse, DrawRequest, DrawResponse, Lottery, LotteryResponse
from loyalty.operations import lotteries
from loyalty.operations.context import default_context

router = Router()
Id = Annotated[str, Path(pattern=ID_PATTERN)]


@router.put(
    "/v1/lotteries/<lottery_id>",
    **documented(
        "admin",
        "Create or replace a lottery",
        "A draw: its points cost, prize table (weights and stock), the weight of drawing nothing, a "
        "fallback prize and a daily limit per member.",
    ),
    responses=responses(200, LotteryResponse),
    tags=["lotteries"],
)
def put_lottery(lottery_id: Id, body: Lottery) -> Response[str]:
    principal = require(router, "admin")
    return respond(lotteries.put_lottery(default_context(), principal, lottery_id, body))


@router.get(
    "/v1/lotteries/<lottery_id>",
    **documented("server", "Read a lottery", "One lottery with its prizes and what is left of their stock."),
    responses=responses(200, LotteryResponse, 404),
    tags=["lotteries"],
)
def read_lottery(lottery_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(lotteries.read_lottery(default_context(), principal.tenant_id, lottery_id))


@router.post(
    "/v1/members/<member_id>/draws",
    **documented(
        "server",
        "Draw",
        "Spends the lottery's points cost and draws a prize by weight. Exactly-once on `draw_id`; not "
        "enough points or the daily limit reached is 409.",
    ),
    responses=responses(201, DrawResponse, 404, 409),
    tags=["lotteries"],
)
def draw(member_id: Id, body: DrawRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(lotteries.draw(default_context(), principal.tenant_id, member_id, body))


@router.get(
    "/v1/members/<member_id>/draws/<draw_id>",
    **documented("server", "Read a draw", "One draw and what it won, with the roll for audits."),
    responses=responses(200, DrawRecordResponse, 404),
    tags=["lotteries"],
)
def read_draw(member_id: Id, draw_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(lotteries.read_draw(default_context(), principal.tenant_id, member_id, draw_id))
