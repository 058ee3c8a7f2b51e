"""Finding members by id, email and phone (admin): the lookups are written with the profile
(enrolment, a correction), move when the value changes, are per tenant, and a value that is not an
email or a phone is a clear 422."""

from __future__ import annotations

from urllib.parse import quote

from loyalty.models.api import EnrollRequest, ProfileRequest
from loyalty.operations import members
from loyalty.operations.context import Principal
from loyalty.operations.member_search import index_contacts, search_members
from loyalty.store import keys

SERVER = Principal(tenant_id="shop", scope="server", key_id="key_test")


def get(api, path: str, key: str):
    """GET a path with its query string (the test gateway takes the query apart)."""
    route, _, query = path.partition("?")
    return api.call("GET", route, key=key, query=query)


def found(api, tenant, **query) -> list[str]:
    path = "/v1/members?" + "&".join(f"{name}={quote(value)}" for name, value in query.items())
    answer = get(api, path, tenant.admin_key)
    assert answer.status == 200, answer.body
    return [member["member_id"] for member in answer.json()["items"]]


def test_given_a_member_enrolled_with_an_email_and_a_phone_then_each_finds_them_in_any_spelling(api, shop):
    # Given a member enrolled with an email and a phone, and another without
    enrol = {"member_id": "ann", "email": "Ann@Example.com", "phone": "+86 138-0013-8000"}
    assert api.call("POST", "/v1/members", enrol, key=shop.server_key).status == 201
    assert api.call("POST", "/v1/members", {"member_id": "bob"}, key=shop.server_key).status == 201

    # When the admin searches by the email or the phone, spelled another way
    by_email = get(api, "/v1/members?email=%20ann%40EXAMPLE.com%20", shop.admin_key)
    by_phone = found(api, shop, phone="0086 (138) 0013 8000")

    # Then the member is found, with the member view's balance and profile
    assert by_email.status == 200, by_email.body
    body = by_email.json()
    assert [m["member_id"] for m in body["items"]] == ["ann"]
    assert body["next_cursor"] is None
    view = api.call("GET", "/v1/members/ann", key=shop.server_key).json()
    assert body["items"][0] == view
    assert by_phone == ["ann"]
    # And by id; an unknown id or address finds nobody
    assert found(api, shop, member_id="ann") == ["ann"]
    assert found(api, shop, member_id="nobody") == []
    assert found(api, shop, email="nobody@example.com") == []


def test_given_a_changed_email_then_the_new_one_finds_the_member_and_the_old_one_no_longer(api, shop):
    # Given a member found by their email and phone
    enrol = {"member_id": "ann", "email": "ann@old.example", "phone": "13800138000"}
    assert api.call("POST", "/v1/members", enrol, key=shop.server_key).status == 201
    assert found(api, shop, email="ann@old.example") == ["ann"]

    # When the email is corrected and the phone cleared
    patch = {"email": "ann@new.example", "phone": None}
    assert api.call("PATCH", "/v1/members/ann", patch, key=shop.server_key).status == 200

    # Then the new email finds them, the old one and the phone no longer do
    assert found(api, shop, email="ann@new.example") == ["ann"]
    assert found(api, shop, email="ann@old.example") == []
    assert found(api, shop, phone="13800138000") == []
    # And a correction to the same address in other letters keeps it found (no lookup moved)
    assert (
        api.call("PATCH", "/v1/members/ann", {"email": "ANN@new.example"}, key=shop.server_key).status == 200
    )
    assert found(api, shop, email="ann@new.example") == ["ann"]


def test_given_an_email_shared_by_two_members_then_both_are_found_a_page_at_a_time(api, shop):
    for member_id in ("kid", "parent"):
        enrol = {"member_id": member_id, "email": "family@example.com"}
        assert api.call("POST", "/v1/members", enrol, key=shop.server_key).status == 201

    first = get(api, "/v1/members?email=family%40example.com&limit=1", shop.admin_key).json()
    cursor = first["next_cursor"]
    second = get(
        api, f"/v1/members?email=family%40example.com&limit=1&cursor={cursor}", shop.admin_key
    ).json()

    assert [m["member_id"] for m in first["items"]] == ["kid"]
    assert [m["member_id"] for m in second["items"]] == ["parent"]
    assert second["next_cursor"] is None


def test_given_two_tenants_with_the_same_email_then_each_finds_only_its_own_member(api, shop, rival):
    assert (
        api.call(
            "POST", "/v1/members", {"member_id": "a1", "email": "x@example.com"}, key=shop.server_key
        ).status
        == 201
    )
    assert (
        api.call(
            "POST", "/v1/members", {"member_id": "r1", "email": "x@example.com"}, key=rival.server_key
        ).status
        == 201
    )

    assert found(api, shop, email="x@example.com") == ["a1"]
    assert found(api, rival, email="x@example.com") == ["r1"]
    assert found(api, rival, member_id="a1") == []


def test_given_bad_searches_then_clear_problems(api, shop):
    cases = {
        "/v1/members": 422,  # nothing to search by
        "/v1/members?email=a%40b.c&phone=13800138000": 422,  # two at once
        "/v1/members?email=not-an-address": 422,
        "/v1/members?phone=12ab": 422,
        "/v1/members?phone=123": 422,  # too short for a phone
        "/v1/members?member_id=a%23b": 422,
        "/v1/members?email=a%40b.c&cursor=bogus": 422,
    }
    for path, expected in cases.items():
        answer = get(api, path, shop.admin_key)
        assert (path, answer.status) == (path, expected), answer.body
        assert answer.headers["content-type"].startswith("application/problem+json")
    # And a server key may not search (an admin's view of the program's members)
    assert get(api, "/v1/members?member_id=a1", shop.server_key).status == 403


def test_given_an_enrolment_and_a_correction_then_the_lookup_items_hold_no_personal_data(aws, context):
    # Given a member enrolled with an email, then given another one
    members.enroll(context, "shop", EnrollRequest(member_id="m1", email="ann@example.com"))
    members.correct_profile(context, SERVER, "m1", ProfileRequest(email="anne@example.com"))

    # Then one lookup item, under the new address's hash, naming only the member
    old = context.contacts.read_item(
        keys.contact_pk("shop", "email", "ann@example.com"), keys.contact_sk("m1")
    )
    new = context.contacts.read_item(
        keys.contact_pk("shop", "email", "anne@example.com"), keys.contact_sk("m1")
    )
    assert old is None
    assert new is not None
    assert "anne" not in str(new)
    assert {name: new[name] for name in ("tenant_id", "member_id", "kind")} == {
        "tenant_id": "shop",
        "member_id": "m1",
        "kind": "email",
    }
    # And the store gives an erasure the items to delete with the member
    removals = context.contacts.removals("shop", "m1", context.members.read_member("shop", "m1").profile)
    assert [list(action.action) for action in removals] == [["Delete"]]


def test_given_members_enrolled_before_the_lookups_then_indexing_them_makes_them_found(aws, context):
    # Given two members whose lookup items do not exist (enrolled before the lookups did)
    members.enroll(context, "shop", EnrollRequest(member_id="old1", email="old1@example.com"))
    members.enroll(context, "shop", EnrollRequest(member_id="old2", phone="+86 138 0013 8000"))
    members.enroll(context, "shop", EnrollRequest(member_id="none"))
    for member_id, kind, normal in (
        ("old1", "email", "old1@example.com"),
        ("old2", "phone", "+8613800138000"),
    ):
        key = {"PK": {"S": keys.contact_pk("shop", kind, normal)}, "SK": {"S": keys.contact_sk(member_id)}}
        aws.dynamodb.delete_item(TableName=aws.table_name, Key=key)

    def search(**query):
        query = {"member_id": None, "email": None, "phone": None} | query
        outcome = search_members(context, "shop", **query, limit=10, cursor=None)
        return [item["member_id"] for item in outcome.body["items"]]

    assert search(email="old1@example.com") == []

    # When the tenant's members are indexed
    indexed = index_contacts(context, "shop")

    # Then both are found (the one without contacts needs nothing)
    assert indexed == 2
    assert search(email="old1@example.com") == ["old1"]
    assert search(phone="+8613800138000") == ["old2"]


def test_given_a_correction_after_the_index_read_the_member_then_no_stale_lookup_is_written(aws, context):
    # Given a member as an indexing run read them, then a correction of their email
    members.enroll(context, "shop", EnrollRequest(member_id="m1", email="before@example.com"))
    as_read = context.members.read_member("shop", "m1")
    members.correct_profile(context, SERVER, "m1", ProfileRequest(email="after@example.com"))

    # When the run writes the lookups of the member as it read them
    written = context.contacts.index_existing(as_read)

    # Then nothing is written: the old address finds nobody, the new one the member
    assert written is False
    stale = context.contacts.read_item(
        keys.contact_pk("shop", "email", "before@example.com"), keys.contact_sk("m1")
    )
    assert stale is None
    assert context.contacts.find("shop", "email", "after@example.com", 10, None) == (["m1"], None)
