"""The API over real HTTP: earning, idempotent purchases, and who may see what."""

from __future__ import annotations

import json

import requests

from tests.e2e.helpers import OPERATOR_KEY, SERVER_KEY

PROBLEM_JSON = "application/problem+json"


def purchase(order_id: str, member_id: str, amount: str = "129.90") -> dict[str, str]:
    return {"order_id": order_id, "member_id": member_id, "amount": amount, "currency": "CNY"}


def test_enrol_buy_and_read_the_member_back(stack, unique):
    # Given a member enrolled in the demo shop with the signup bonus
    member_id = f"m-{unique}"
    enrolled = stack.call("POST", "/v1/members", {"member_id": member_id, "name": "Ann"})
    assert enrolled.status_code == 201
    assert enrolled.json()["balance"] == {"available": 100, "pending": 0, "held": 0, "withheld": 0}

    # When the member buys for 129.90 CNY
    bought = stack.call("POST", "/v1/purchases", purchase(f"o-{unique}", member_id))

    # Then 129 points are earned and the balance and the ledger add up
    assert bought.status_code == 201
    assert bought.json()["points_earned"] == 129
    member = stack.call("GET", f"/v1/members/{member_id}")
    assert member.status_code == 200
    assert member.json()["balance"]["available"] == 229
    ledger = stack.call("GET", f"/v1/members/{member_id}/transactions").json()
    assert [entry["points"] for entry in ledger["items"]] == [129, 100]


def test_a_replayed_purchase_answers_the_same_and_changes_nothing(stack, member, unique):
    # Given a purchase that was recorded
    first = stack.call("POST", "/v1/purchases", purchase(f"o-{unique}", member, "50.00"))
    assert first.status_code == 201

    # When the point of sale sends it again
    again = stack.call("POST", "/v1/purchases", purchase(f"o-{unique}", member, "50.00"))

    # Then it gets the same status and body, and the member is credited once
    assert again.status_code == first.status_code
    assert again.json() == first.json()
    assert stack.call("GET", f"/v1/members/{member}").json()["balance"]["available"] == 150
    ledger = stack.call("GET", f"/v1/members/{member}/transactions").json()["items"]
    assert [entry.get("order_id") for entry in ledger].count(f"o-{unique}") == 1


def test_the_same_order_id_with_another_body_is_a_conflict(stack, member, unique):
    # Given a recorded purchase
    assert stack.call("POST", "/v1/purchases", purchase(f"o-{unique}", member, "50.00")).status_code == 201

    # When another purchase reuses its order_id with a different amount
    conflict = stack.call("POST", "/v1/purchases", purchase(f"o-{unique}", member, "70.00"))

    # Then it is refused as problem+json and the balance keeps the first purchase only
    assert conflict.status_code == 409
    assert conflict.headers["content-type"].startswith(PROBLEM_JSON)
    assert conflict.json()["status"] == 409
    assert "conflict" in conflict.json()["type"]
    assert stack.call("GET", f"/v1/members/{member}").json()["balance"]["available"] == 150


def test_a_request_without_a_key_is_unauthorized(stack, member):
    # When a member is read without an Authorization header
    response = stack.call("GET", f"/v1/members/{member}", key=None)

    # Then API Gateway itself answers 401
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


def test_an_unknown_key_is_unauthorized(stack, member):
    # When a member is read with a key nobody issued
    response = stack.call("GET", f"/v1/members/{member}", key="lk_server_not-a-real-key")

    # Then the function answers 401 as problem+json
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["status"] == 401


def test_a_server_key_cannot_create_keys(stack):
    # When the demo server key asks for a new key (an admin-only call)
    response = stack.call("POST", "/v1/keys", {"scope": "server"})

    # Then it is forbidden
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["status"] == 403


def test_a_tenant_cannot_see_another_tenants_member(stack, unique):
    # Given a second tenant, created by the platform operator, with a member of its own
    created = stack.call(
        "POST", "/v1/tenants", {"tenant_id": f"rival-{unique}", "name": "Rival"}, key=OPERATOR_KEY
    )
    assert created.status_code == 201, created.text
    rival_key = created.json()["server_key"]
    enrolled = stack.call("POST", "/v1/members", {"member_id": f"r-{unique}", "name": "Bob"}, key=rival_key)
    assert enrolled.status_code == 201

    # When the demo shop's key asks for that member
    response = stack.call("GET", f"/v1/members/r-{unique}")

    # Then it does not exist for the demo shop
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert stack.call("GET", f"/v1/members/r-{unique}", key=rival_key).status_code == 200


def test_curl_d_without_a_content_type_hears_415_saying_to_send_json(stack, member, unique):
    # Given what `curl -d '{...}'` sends without -H 'Content-Type: application/json': a form
    body = json.dumps(purchase(f"o-{unique}", member))
    headers = {"Authorization": f"Bearer {SERVER_KEY}", "Content-Type": "application/x-www-form-urlencoded"}

    # When it is posted to the running stack
    response = requests.post(stack.url + "/v1/purchases", data=body, headers=headers, timeout=15)

    # Then it is a 415 problem that says how to send it, and nothing was credited
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "Content-Type: application/json" in response.json()["detail"]
    assert stack.call("GET", f"/v1/members/{member}").json()["balance"]["available"] == 100


def test_an_unknown_route_and_an_unknown_method_are_problems_over_http(stack):
    # When a path no route serves, and a method a route does not answer, reach the stack
    missing = requests.get(stack.url + "/v1/no-such-thing", timeout=15)
    wrong = requests.delete(
        stack.url + "/v1/program", headers={"Authorization": f"Bearer {SERVER_KEY}"}, timeout=15
    )

    # Then they are 404 and 405 problem+json (not API Gateway's bare {"message": "Not Found"})
    assert (missing.status_code, missing.headers["content-type"]) == (404, PROBLEM_JSON), missing.text
    assert missing.json()["status"] == 404
    assert (wrong.status_code, wrong.headers["content-type"]) == (405, PROBLEM_JSON), wrong.text
    assert wrong.headers["allow"] == "GET, PUT"


def test_a_server_key_hears_403_on_an_admin_route_whatever_the_body(stack):
    response = stack.call("POST", "/v1/keys", {"scope": 12, "unexpected": True})
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
