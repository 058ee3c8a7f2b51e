"""Points lotteries: the prize table (admin), draws and their audit records (server)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path

from loyalty.http.auth import require
from loyalty.http.resolver import respond
from loyalty.http.routes.docs import responses, routes
from loyalty.models.common import ID_PATTERN
from loyalty.models.rewards import DrawRecordResponse, DrawRequest, DrawResponse, Lottery, LotteryResponse
from loyalty.operations import lotteries
from loyalty.operations.context import default_context

router, route = routes(tags=["lotteries"])
Id = Annotated[str, Path(pattern=ID_PATTERN)]


@route("PUT", "/v1/lotteries/<lottery_id>", "admin", responses(200, LotteryResponse))
def put_lottery(lottery_id: Id, body: Lottery) -> Response[str]:
    principal = require(router, "admin")
    return respond(lotteries.put_lottery(default_context(), principal, lottery_id, body))


@route("GET", "/v1/lotteries/<lottery_id>", "server", responses(200, LotteryResponse, 404))
def read_lottery(lottery_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(lotteries.read_lottery(default_context(), principal.tenant_id, lottery_id))


@route("POST", "/v1/members/<member_id>/draws", "server", responses(201, DrawResponse, 404, 409))
def draw(member_id: Id, body: DrawRequest) -> Response[str]:
    principal = require(router, "server")
    return respond(lotteries.draw(default_context(), principal.tenant_id, member_id, body))


@route("GET", "/v1/members/<member_id>/draws/<draw_id>", "server", responses(200, DrawRecordResponse, 404))
def read_draw(member_id: Id, draw_id: Id) -> Response[str]:
    principal = require(router, "server")
    return respond(lotteries.read_draw(default_context(), principal.tenant_id, member_id, draw_id))
