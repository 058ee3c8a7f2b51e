"""Publishing the program: every accepted PUT is a new version, old versions stay readable, and
past ledger entries keep naming the version that produced them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from loyalty.errors import ProgramChangedError
from loyalty.models.program import Program
from loyalty.operations import programs
from loyalty.operations.context import Principal, ProgramCache, default_context
from loyalty.store import keys


def published(api, shop):
    return api.call("GET", "/v1/program", key=shop.server_key).json()


def test_put_of_what_get_returns_publishes_the_next_version(api, shop):
    document = published(api, shop)
    document["earn"]["points_per_unit"] = 2

    response = api.call("PUT", "/v1/program", document, key=shop.admin_key)

    assert response.status == 200
    assert (response.json()["version"], response.json()["earn"]["points_per_unit"]) == (2, 2)
    assert published(api, shop)["version"] == 2
    first = api.call("GET", "/v1/program/versions/1", key=shop.server_key).json()
    assert (first["version"], first["earn"]["points_per_unit"]) == (1, 1)


def test_a_version_in_the_body_that_is_not_the_current_one_is_409_and_never_a_422(api, shop):
    for version in (77, "abc", 0):
        document = {**published(api, shop), "version": version, "name": "Changed"}
        response = api.call("PUT", "/v1/program", document, key=shop.admin_key)
        assert (response.status, response.json()["type"].rsplit("/", 1)[1]) == (409, "program-changed")
    assert (published(api, shop)["version"], published(api, shop)["name"]) == (1, "Acme")


def test_changing_the_program_never_changes_past_entries(api, shop):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    body = {"order_id": "o1", "member_id": "m1", "amount": "10.00", "currency": "CNY"}
    assert api.call("POST", "/v1/purchases", body, key=shop.server_key).json()["points_earned"] == 10
    document = published(api, shop)
    document["earn"]["points_per_unit"] = 3
    assert api.call("PUT", "/v1/program", document, key=shop.admin_key).status == 200

    later = api.call("POST", "/v1/purchases", {**body, "order_id": "o2"}, key=shop.server_key).json()

    assert (later["points_earned"], later["program_version"]) == (30, 2)
    entries = api.call("GET", "/v1/members/m1/transactions", key=shop.server_key).json()["items"]
    assert [(entry["points"], entry["program_version"]) for entry in entries] == [(30, 2), (10, 1), (100, 1)]


def test_an_invalid_program_is_422_with_the_field_path_and_nothing_is_stored(api, shop):
    document = published(api, shop)
    document["earn"]["points_per_unit"] = -1
    document["timezone"] = "Mars/Olympus"

    response = api.call("PUT", "/v1/program", document, key=shop.admin_key)

    assert response.status == 422
    assert response.headers["content-type"] == "application/problem+json"
    locations = {tuple(error["loc"]) for error in response.json()["errors"]}
    assert ("earn", "points_per_unit") in locations
    assert ("timezone",) in locations
    assert published(api, shop)["version"] == 1


def test_only_admin_keys_publish(api, shop, rival):
    document = published(api, shop)
    assert api.call("PUT", "/v1/program", document, key=shop.server_key).status == 403
    assert api.call("GET", "/v1/program/versions/9", key=shop.server_key).status == 404
    rival_program = api.call("GET", "/v1/program/versions/1", key=rival.server_key).json()
    assert rival_program["name"] == "Rival"


def put(api, shop, document, **headers):
    return api.call("PUT", "/v1/program", document, key=shop.admin_key, headers=headers)


def problem(response):
    return response.status, response.json()["type"].rsplit("/", 1)[1]


def test_a_put_of_a_document_read_before_another_put_is_409_and_publishes_nothing(api, shop):
    # Given two admins who read version 1, and the first publishes a change
    first, second = published(api, shop), published(api, shop)
    first["signup_bonus"] = 10
    assert put(api, shop, first).json()["version"] == 2

    # When the second publishes its own change to version 1
    second["earn"]["points_per_unit"] = 5
    lost = put(api, shop, second)

    # Then it is 409, and version 2 is current with the first's change only
    assert problem(lost) == (409, "program-changed")
    current = published(api, shop)
    assert (current["version"], current["signup_bonus"], current["earn"]["points_per_unit"]) == (2, 10, 1)
    assert api.call("GET", "/v1/program/versions/3", key=shop.server_key).status == 404


def test_get_tags_the_program_and_a_put_with_a_stale_if_match_is_412(api, shop):
    # Given the program as GET returns it, tagged with its version
    read = api.call("GET", "/v1/program", key=shop.server_key)
    assert read.headers["etag"] == '"1"'
    document = {key: value for key, value in read.json().items() if key != "version"}

    # When it is changed with If-Match of the current tag, and again with the same (now stale) tag
    document["signup_bonus"] = 20
    accepted = put(api, shop, document, **{"If-Match": '"1"'})
    document["signup_bonus"] = 30
    stale = put(api, shop, document, **{"If-Match": '"1"'})

    # Then the first publishes version 2 (tagged so), the second is 412 and publishes nothing
    assert (accepted.status, accepted.json()["version"], accepted.headers["etag"]) == (200, 2, '"2"')
    assert problem(stale) == (412, "precondition-failed")
    assert (published(api, shop)["version"], published(api, shop)["signup_bonus"]) == (2, 20)
    # And "*" or a list naming the current tag match; a weak tag never does
    document["signup_bonus"] = 40
    assert put(api, shop, document, **{"If-Match": 'W/"2"'}).status == 412
    assert put(api, shop, document, **{"If-Match": '"1", "2"'}).json()["version"] == 3
    document["signup_bonus"] = 50
    assert put(api, shop, document, **{"If-Match": "*"}).json()["version"] == 4


def test_a_put_identical_to_the_current_program_publishes_no_new_version(api, shop):
    # Given the current program, spelled differently where values are the same
    document = published(api, shop)
    document["tiers"][1]["earn_multiplier"] = "2.0"

    # When it is PUT as is, and again without a version
    same = put(api, shop, document)
    again = put(api, shop, {key: value for key, value in document.items() if key != "version"})

    # Then both answer the current version 1, and no version 2 exists
    assert (same.status, same.json()["version"], same.headers["etag"]) == (200, 1, '"1"')
    assert (again.status, again.json()) == (200, same.json())
    assert api.call("GET", "/v1/program/versions/2", key=shop.server_key).status == 404


def test_a_document_without_a_version_publishes_over_the_current_one(api, shop):
    document = published(api, shop)
    assert put(api, shop, {**document, "signup_bonus": 1}).json()["version"] == 2
    fresh = {key: value for key, value in document.items() if key != "version"}

    assert put(api, shop, {**fresh, "signup_bonus": 2}).json()["version"] == 3
    assert put(api, shop, {**fresh, "version": None, "signup_bonus": 3}).json()["version"] == 4
    assert published(api, shop)["signup_bonus"] == 3


def test_the_currency_cannot_change_once_the_program_has_members(api, shop, rival):
    # Given a program with a member (who earned the signup bonus in CNY), and one without
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201

    # When both change their currency to USD
    refused = put(api, shop, {**published(api, shop), "currency": "USD"})
    accepted = put(api, rival, {**published(api, rival), "currency": "USD"})

    # Then the one with a member is 409 and keeps CNY; the other publishes USD
    assert problem(refused) == (409, "currency-locked")
    assert (published(api, shop)["version"], published(api, shop)["currency"]) == (1, "CNY")
    assert (accepted.status, accepted.json()["currency"]) == (200, "USD")
    # And any other change of the program with members still publishes
    assert put(api, shop, {**published(api, shop), "signup_bonus": 7}).json()["version"] == 2


class FirstReadStale(ProgramCache):
    """A cache whose first fresh read answers the program as it was: the PUT read it just before
    another PUT published over it (the race the conditional write must settle)."""

    def __init__(self, tenants, stale):
        super().__init__(tenants, 0)
        self.stale = [stale]

    def get(self, tenant_id, *, fresh=False):
        return self.stale.pop() if self.stale else super().get(tenant_id, fresh=fresh)


ADMIN = Principal(tenant_id="shop", scope="admin", key_id="k")


def racing(ledger):
    """The context of a PUT that read version 1 just before another PUT published version 2."""
    version_1 = ledger.tenants.read_program("shop")
    winner = version_1.model_copy(update={"signup_bonus": 1})
    programs.publish_program(ledger, ADMIN, winner)
    return replace(ledger, programs=FirstReadStale(ledger.tenants, version_1)), version_1


def test_of_two_puts_from_the_same_version_only_one_publishes(ledger):
    context, version_1 = racing(ledger)

    # When the loser's write, decided on version 1, reaches the table after version 2
    loser = Program.model_validate({**version_1.model_dump(mode="json"), "signup_bonus": 2})
    with pytest.raises(ProgramChangedError):
        programs.publish_program(context, ADMIN, loser)

    # Then the version pointer's condition refused it: version 2 is the winner's, no version 3
    current = ledger.tenants.read_program("shop")
    assert (current.version, current.signup_bonus) == (2, 1)
    assert ledger.tenants.read_program("shop", 3) is None


def test_a_put_without_a_version_that_loses_the_race_publishes_over_the_winner(ledger):
    context, version_1 = racing(ledger)

    fresh = Program.model_validate(
        {**version_1.model_dump(mode="json", exclude={"version"}), "signup_bonus": 2}
    )
    answer = programs.publish_program(context, ADMIN, fresh)

    assert (answer.body["version"], ledger.tenants.read_program("shop").signup_bonus) == (3, 2)


def test_the_openapi_document_says_how_to_publish_conditionally(api):
    document = api.call("GET", "/v1/openapi.json").json()

    put_program = document["paths"]["/v1/program"]["put"]
    assert {"409", "412"} <= set(put_program["responses"])
    assert [(p["name"], p["in"]) for p in put_program["parameters"]] == [("if-match", "header")]
    listing = document["paths"]["/v1/coupon-templates"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"limit", "cursor"}


def test_get_and_put_decide_on_the_program_as_last_published_not_a_replicas_copy(api, shop):
    # Given every read of the current program an API call makes is recorded
    client = default_context().tenants.client
    reads: list[dict] = []

    def record(params, **_):
        if params["Key"]["SK"]["S"] == keys.PROGRAM_SK:
            reads.append(params)

    client.meta.events.register("provide-client-params.dynamodb.GetItem", record)
    try:
        # When the program is read with GET and published with PUT
        document = published(api, shop)
        assert put(api, shop, {**document, "signup_bonus": 9}).json()["version"] == 2
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.GetItem", record)

    # Then both read it strongly consistent: the version a GET tags and a PUT checks is the
    # current one, not one a replica still shows a moment after another PUT (a false 409/412)
    assert len(reads) >= 2
    assert all(read.get("ConsistentRead") is True for read in reads), reads
