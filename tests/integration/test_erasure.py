"""Erasure: the person is gone from the member item (profile, birthday index), its later events
and its enrolment's stored answer; the ledger keeps its entries (no personal data) and one
`erase` entry forfeits what was left (held and withheld points included), so it still adds up;
the id cannot be enrolled again; exactly once and audited; a purchase racing it stays consistent."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from loyalty.errors import MemberErasedError
from loyalty.events import event_for_item
from loyalty.models.api import EnrollRequest, PurchaseRequest
from loyalty.operations import erasure, members, purchases
from loyalty.operations.context import Principal
from loyalty.operations.exports import member_row
from loyalty.store import keys
from loyalty.store.table import from_item, to_item
from tests.support.ledger import assert_adds_up, member_state

PERSON = {
    "name": "Li Lei",
    "email": "li.lei@example.com",
    "phone": "+8613800138000",
    "birthday": "1990-05-06",
}


def member_item(aws, tenant, member_id):
    key = {"PK": keys.member_pk(tenant, member_id), "SK": keys.MEMBER_SK}
    return from_item(aws.dynamodb.get_item(TableName=aws.table_name, Key=to_item(key))["Item"])


def problem_type(response):
    return response.json()["type"].rsplit("/", 1)[1]


def test_an_erased_member_keeps_its_ledger_without_the_person_and_cannot_come_back(api, shop, rival, aws):
    # Given a member with a profile, a purchase, an open hold, and withheld points (frozen)
    enrolled = api.call("POST", "/v1/members", {"member_id": "m1", **PERSON}, key=shop.server_key)
    assert enrolled.status == 201, enrolled.body
    body = {"order_id": "o1", "member_id": "m1", "amount": "50.00", "currency": "CNY"}
    assert api.call("POST", "/v1/purchases", body, key=shop.server_key).status == 201
    assert (
        api.call("POST", "/v1/members/m1/holds", {"hold_id": "h1", "points": 30}, key=shop.server_key).status
        == 201
    )
    status = {"status": "frozen", "reason": "asked to leave"}
    assert api.call("PUT", "/v1/members/m1/status", status, key=shop.admin_key).status == 200
    body = {"order_id": "o2", "member_id": "m1", "amount": "20.00", "currency": "CNY"}
    assert api.call("POST", "/v1/purchases", body, key=shop.server_key).status == 201  # 20 withheld

    # When a server key, another tenant's admin, then the tenant's admin (twice) erase it
    as_server = api.call("DELETE", "/v1/members/m1", key=shop.server_key)
    as_rival = api.call("DELETE", "/v1/members/m1", key=rival.admin_key)
    erased = api.call("DELETE", "/v1/members/m1", key=shop.admin_key)
    again = api.call("DELETE", "/v1/members/m1", key=shop.admin_key)

    # Then only the admin erased it, once: 120 available + 30 held + 20 withheld forfeited by one entry
    assert (as_server.status, as_rival.status) == (403, 404)
    assert erased.status == 200, erased.body
    assert erased.json() == {"member_id": "m1", "status": "erased", "points_forfeited": 170, "entry_id": "6"}
    assert (again.status, again.json()) == (200, erased.json())
    state = member_state(aws.dynamodb, aws.table_name, "acme", "m1")
    assert_adds_up(state)
    assert (state.available, state.pending, state.held, state.withheld, state.lots) == (0, 0, 0, 0, [])
    assert [(e["type"], e["points"]) for e in state.entries][-1] == ("erase", -170)
    assert [e["type"] for e in state.entries] == ["earn", "earn", "hold", "status", "earn", "erase"]
    # And nothing personal is left on the member item, its entries or the stored answers
    item = member_item(aws, "acme", "m1")
    assert (item["status"], "profile" in item, "GSI2PK" in item) == ("erased", False, False)
    items = aws.dynamodb.scan(TableName=aws.table_name)["Items"]
    everything = json.dumps(items)
    for value in PERSON.values():
        assert value not in everything
    # And the search by email or phone finds nobody: the lookup items went with the profile
    assert not [item for item in items if "#CONTACT#" in item["PK"]["S"] and item["SK"]["S"] == "M#m1"]
    for query in (f"email={PERSON['email']}", "phone=%2B8613800138000"):
        found = api.call("GET", "/v1/members", key=shop.admin_key, query=query)
        assert (found.status, found.json()["items"]) == (200, [])
    # And its erase entry is a member.erased event without personal data
    event = event_for_item({**state.entries[-1], "tenant_id": "acme", "member_id": "m1"})
    assert event is not None
    assert event["detail-type"] == "member.erased"
    view = api.call("GET", "/v1/members/m1", key=shop.server_key).json()
    assert (view["status"], view.get("name"), view.get("email")) == ("erased", None, None)
    row = member_row(view)  # a members export's row is the member view's
    assert {name: row[name] for name in ("name", "email", "phone", "birthday")} == dict.fromkeys(
        ("name", "email", "phone", "birthday")
    )
    # And the id cannot be enrolled again, nor take a purchase or a hold; the hold is closed
    again_enrolled = api.call("POST", "/v1/members", {"member_id": "m1", **PERSON}, key=shop.server_key)
    assert again_enrolled.status == 409
    body = {"order_id": "o3", "member_id": "m1", "amount": "20.00", "currency": "CNY"}
    bought = api.call("POST", "/v1/purchases", body, key=shop.server_key)
    assert (bought.status, problem_type(bought)) == (409, "member-erased")
    assert api.call("GET", "/v1/holds/h1", key=shop.server_key).json()["status"] == "released"
    assert api.call("POST", "/v1/holds/h1/capture", key=shop.server_key).status == 409
    token = api.call("POST", "/v1/members/m1/tokens", {"ttl_seconds": 60}, key=shop.server_key)
    assert (token.status, problem_type(token)) == (409, "member-erased")
    # And the erasure is in the audit log
    audit = api.call("GET", "/v1/audit", key=shop.admin_key, query="member_id=m1").json()["items"]
    newest = audit[0]
    assert (newest["action"], newest["detail"]["points_forfeited"]) == ("member.erased", 170)


def admin(request_id):
    return Principal(tenant_id="shop", scope="admin", key_id="key_admin", request_id=request_id)


def purchase(context, order_id):
    request = PurchaseRequest(order_id=order_id, member_id="m1", amount=Decimal("40.00"), currency="CNY")
    return purchases.record_purchase(context, "shop", request)


def test_an_erasure_committed_between_a_purchases_read_and_its_write_refuses_the_purchase(
    aws, context, monkeypatch
):
    # Given a member, and an erasure committed right after a purchase has read the member
    members.enroll(context, "shop", EnrollRequest(member_id="m1", name="Han Meimei"))
    original = context.ledger.read_member_and_operation
    raced: list[bool] = []

    def read_then_erase(tenant_id, member_id, kind, natural_id):
        read = original(tenant_id, member_id, kind, natural_id)
        if kind == "purchase" and not raced:
            raced.append(True)
            erasure.erase_member(context, admin("req-erase"), "m1")
        return read

    monkeypatch.setattr(context.ledger, "read_member_and_operation", read_then_erase)

    # When the purchase commits on the member as it read it
    with pytest.raises(MemberErasedError):
        purchase(context, "o1")

    # Then its version condition failed and its retry found the member erased: nothing credited
    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    assert_adds_up(state)
    assert (raced, state.available) == ([True], 0)
    assert [(e["type"], e["points"]) for e in state.entries] == [("earn", 100), ("erase", -100)]


def test_a_purchase_committed_between_an_erasures_read_and_its_write_is_forfeited_with_the_rest(
    aws, context, monkeypatch
):
    # Given a member, and a purchase committed right after the erasure has read the member
    members.enroll(context, "shop", EnrollRequest(member_id="m1", email="hm@example.com"))
    original = context.ledger.read_member_and_operation
    raced: list[bool] = []

    def read_then_buy(tenant_id, member_id, kind, natural_id):
        read = original(tenant_id, member_id, kind, natural_id)
        if kind == "erase" and not raced:
            raced.append(True)
            purchase(context, "o1")
        return read

    monkeypatch.setattr(context.ledger, "read_member_and_operation", read_then_buy)

    # When the erasure commits
    erased = erasure.erase_member(context, admin("req-erase"), "m1")

    # Then it re-read the member: the purchase's 40 points are forfeited with the signup's 100
    assert erased.body["points_forfeited"] == 140
    state = member_state(aws.dynamodb, aws.table_name, "shop", "m1")
    assert_adds_up(state)
    assert (raced, state.available) == ([True], 0)
    assert [(e["type"], e["points"]) for e in state.entries] == [("earn", 100), ("earn", 40), ("erase", -140)]
    assert "profile" not in member_item(aws, "shop", "m1")
