"""What the operator CLI lists: tenants (operator key) and a tenant's keys (admin key), never a key
itself and never another tenant's."""

from __future__ import annotations

from tests.support.api import OPERATOR_KEY


def test_given_two_tenants_when_the_operator_lists_tenants_then_both_and_only_for_operator_keys(
    api, shop, rival
):
    listed = api.call("GET", "/v1/tenants", key=OPERATOR_KEY)
    assert listed.status == 200
    assert [(item["tenant_id"], item["name"]) for item in listed.json()["items"]] == [
        ("acme", "Acme"),
        ("rival", "Rival"),
    ]
    assert api.call("GET", "/v1/tenants", key=shop.admin_key).status == 403


def test_given_issued_and_revoked_keys_when_an_admin_lists_keys_then_this_tenants_live_keys_without_secrets(
    api, shop, rival
):
    issued = api.call("POST", "/v1/keys", {"scope": "server", "name": "till 3"}, key=shop.admin_key).json()
    first = api.call("GET", "/v1/keys", key=shop.admin_key).json()["items"]
    assert sorted((item["scope"], item["name"]) for item in first) == [
        ("admin", "first admin key"),
        ("server", "first server key"),
        ("server", "till 3"),
    ]
    assert all(set(item) == {"key_id", "scope", "name", "created_at"} for item in first)
    assert api.call("DELETE", f"/v1/keys/{issued['key_id']}", key=shop.admin_key).status == 204
    after = api.call("GET", "/v1/keys", key=shop.admin_key).json()["items"]
    assert issued["key_id"] not in {item["key_id"] for item in after}
    assert len(api.call("GET", "/v1/keys", key=rival.admin_key).json()["items"]) == 2
    assert api.call("GET", "/v1/keys", key=shop.server_key).status == 403
