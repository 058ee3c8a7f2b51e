"""Lotteries: a draw costs points, is recorded for audit, respects the daily limit, and falls
back when the drawn prize ran out; the roll comes from the injected source."""

from __future__ import annotations

import random

import pytest

from loyalty.errors import MemberLimitReachedError
from loyalty.models.api import EnrollRequest
from loyalty.models.rewards import DrawRequest, Lottery
from loyalty.operations import lotteries, members
from loyalty.operations.context import Principal
from loyalty.store import keys
from loyalty.store.table import to_item
from tests.support.ledger import assert_adds_up, member_state

ADMIN = Principal(tenant_id="shop", scope="admin", key_id="k")
TABLE = {
    "name": "Draw",
    "points_cost": 10,
    "prizes": [
        {"prize_id": "car", "name": "Car", "weight": 1, "stock": 1},
        {"prize_id": "thanks", "name": "Sticker", "weight": 1},
    ],
    "fallback_prize_id": "thanks",
    "daily_limit": 3,
}


class Rigged(random.Random):
    """Rolls what the test says (the injected source of an audit replay)."""

    def __init__(self, *rolls: int) -> None:
        super().__init__(0)
        self.rolls = list(rolls)

    def randrange(self, *args, **kwargs) -> int:  # type: ignore[no-untyped-def, override]
        return self.rolls.pop(0)


def test_draws_cost_points_fall_back_when_a_prize_ran_out_and_stop_at_the_daily_limit(ledger, aws, clock):
    members.enroll(ledger, "shop", EnrollRequest(member_id="m1"))
    lotteries.put_lottery(ledger, ADMIN, "spring", Lottery.model_validate(TABLE))

    # When the member draws the car twice (rolls 0 and 0) and then the sticker
    first = lotteries.draw(
        ledger, "shop", "m1", DrawRequest(draw_id="d1", lottery_id="spring"), Rigged(0)
    ).body
    second = lotteries.draw(
        ledger, "shop", "m1", DrawRequest(draw_id="d2", lottery_id="spring"), Rigged(0)
    ).body
    third = lotteries.draw(
        ledger, "shop", "m1", DrawRequest(draw_id="d3", lottery_id="spring"), Rigged(1)
    ).body

    # Then the first wins the only car, the second falls back to the sticker, each costs 10 points
    assert (first["prize_id"], first["fell_back"]) == ("car", False)
    assert (second["prize_id"], second["drawn_prize_id"], second["fell_back"]) == ("thanks", "car", True)
    assert third["prize_id"] == "thanks"
    assert third["balance"]["available"] == 70
    assert lotteries.read_lottery(ledger, "shop", "spring").body["prizes"][0]["stock"] == 0
    # And a fourth draw the same day is over the limit; the next day it is allowed
    with pytest.raises(MemberLimitReachedError):
        lotteries.draw(ledger, "shop", "m1", DrawRequest(draw_id="d4", lottery_id="spring"), Rigged(1))
    clock.advance(days=1)
    assert (
        lotteries.draw(ledger, "shop", "m1", DrawRequest(draw_id="d4", lottery_id="spring"), Rigged(1)).status
        == 201
    )
    # And every draw is recorded with its roll and its table; a replay answers the same
    audit = lotteries.read_draw(ledger, "shop", "m1", "d2").body
    assert (audit["roll"], audit["total_weight"], audit["prize_id"]) == (0, 2, "thanks")
    assert audit["prize_table"] == Lottery.model_validate(TABLE).model_dump(mode="json")
    replayed = lotteries.draw(ledger, "shop", "m1", DrawRequest(draw_id="d1", lottery_id="spring"), Rigged(1))
    assert replayed.body == first
    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    assert state.available == 60
    assert_adds_up(state)


def test_a_draw_that_wins_nothing_is_recorded_and_read_back(ledger):
    # Given a table where a roll past the prizes' weights wins nothing
    members.enroll(ledger, "shop", EnrollRequest(member_id="m1"))
    lotteries.put_lottery(ledger, ADMIN, "blank", Lottery.model_validate({**TABLE, "empty_weight": 1}))

    # When the member rolls into the empty share
    drawn = lotteries.draw(
        ledger, "shop", "m1", DrawRequest(draw_id="d1", lottery_id="blank"), Rigged(2)
    ).body

    # Then the draw, and its audit record, say nothing was won
    assert (drawn["prize_id"], drawn["drawn_prize_id"], drawn["roll"]) == (None, None, 2)
    audit = lotteries.read_draw(ledger, "shop", "m1", "d1").body
    assert (audit["prize_id"], audit["roll"], audit["total_weight"]) == (None, 2, 3)


def test_lotteries_over_http(api, shop):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    assert api.call("PUT", "/v1/lotteries/spring", TABLE, key=shop.admin_key).status == 200
    assert api.call("PUT", "/v1/lotteries/spring", TABLE, key=shop.server_key).status == 403
    bad = {**TABLE, "fallback_prize_id": "car"}
    assert api.call("PUT", "/v1/lotteries/bad", bad, key=shop.admin_key).status == 422
    drawn = api.call(
        "POST", "/v1/members/m1/draws", {"draw_id": "d1", "lottery_id": "spring"}, key=shop.server_key
    )
    assert drawn.status == 201, drawn.body
    assert drawn.json()["prize_id"] in {"car", "thanks"}
    read = api.call("GET", "/v1/members/m1/draws/d1", key=shop.server_key)
    assert read.json()["roll"] == drawn.json()["roll"]
    # The audit's prize table is the object that was PUT, not a JSON-encoded string
    assert read.json()["prize_table"]["prizes"][0] == {**TABLE["prizes"][0], "reward_id": None}
    assert read.json()["prize_table"]["daily_limit"] == 3
    assert (
        api.call(
            "POST", "/v1/members/m1/draws", {"draw_id": "d2", "lottery_id": "nope"}, key=shop.server_key
        ).status
        == 404
    )


def test_a_draw_recorded_with_its_prize_table_as_a_string_still_reads_as_an_object(ledger, aws):
    # Given a draw record as it was stored before 2026-12 (the table JSON-encoded into a string)
    table = Lottery.model_validate(TABLE)
    old = {
        "PK": keys.member_pk("shop", "m1"),
        "SK": keys.draw_sk("d0"),
        "tenant_id": "shop",
        "draw_id": "d0",
        "member_id": "m1",
        "lottery_id": "spring",
        "prize_id": "car",
        "prize_name": "Car",
        "drawn_prize_id": "car",
        "fell_back": False,
        "roll": 0,
        "total_weight": 2,
        "points": 10,
        "entry_id": "2",
        "created_at": "2026-03-01T10:00:00+00:00",
        "prize_table": table.model_dump_json(),
    }
    aws.dynamodb.put_item(TableName=aws.table_name, Item=to_item(old))

    # When it is read
    audit = lotteries.read_draw(ledger, "shop", "m1", "d0").body

    # Then its prize table is the object, as a new record's is
    assert audit["prize_table"] == table.model_dump(mode="json")
    assert audit["prize_table"]["prizes"][1]["weight"] == 1
