"""Publishing the program: every accepted PUT is a new version, old versions stay readable, and
past ledger entries keep naming the version that produced them."""

from __future__ import annotations


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


def test_the_version_in_the_body_is_the_servers_to_set(api, shop):
    document = {**published(api, shop), "version": 77}
    assert api.call("PUT", "/v1/program", document, key=shop.admin_key).json()["version"] == 2


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
