"""Issued and revoked keys, with the authorizer's cache."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import ADMIN_KEY, SERVER_KEY
from tests.e2e.security_matrix.support import assert_problem, new_id, send

# --- issuing and revoking keys ----------------------------------------------------------------


def issue(stack: Any, scope: str, admin_key: str = ADMIN_KEY) -> dict[str, Any]:
    issued = stack.call("POST", "/v1/keys", {"scope": scope, "name": f"{scope} for a test"}, key=admin_key)
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["scope"] == scope
    assert body["key_id"]
    assert body["key"]
    return body


def test_an_issued_key_has_exactly_its_scope(stack, demo):
    # Given a server key and an admin key issued by the demo admin
    server, admin = issue(stack, "server"), issue(stack, "admin")

    # Then the server key reads members but may not adjust; the admin key may do both
    assert stack.call("GET", f"/v1/members/{demo.member_id}", key=server["key"]).status_code == 200
    adjust = {"adjustment_id": new_id("a"), "points": 1, "reason": "issued key"}
    path = f"/v1/members/{demo.member_id}/adjustments"
    assert_problem(stack.call("POST", path, adjust, key=server["key"]), 403)
    assert stack.call("POST", path, adjust, key=admin["key"]).status_code == 201
    # And neither may create tenants
    tenant = {"tenant_id": new_id("nope"), "name": "Nope"}
    assert_problem(stack.call("POST", "/v1/tenants", tenant, key=admin["key"]), 403)


def test_an_admin_cannot_issue_an_operator_key(stack):
    # When the demo admin asks for a key with the operator scope
    response = stack.call("POST", "/v1/keys", {"scope": "operator"}, key=ADMIN_KEY)

    # Then the scope is refused as invalid
    assert_problem(response, 422)


def test_a_revoked_key_that_was_never_used_is_refused_at_once(stack, demo):
    # Given a server key issued and revoked before any call used it
    issued = issue(stack, "server")
    revoked = stack.call("DELETE", f"/v1/keys/{issued['key_id']}", key=ADMIN_KEY)
    assert revoked.status_code == 204
    assert revoked.content == b""

    # When it is used for the first time
    response = stack.call("GET", f"/v1/members/{demo.member_id}", key=issued["key"])

    # Then it is unknown (401), and revoking it again finds nothing
    assert_problem(response, 401)
    assert_problem(stack.call("DELETE", f"/v1/keys/{issued['key_id']}", key=ADMIN_KEY), 404)


def test_a_revoked_key_works_only_through_a_header_the_authorizer_cached(stack, demo):
    # Given a server key that was used (the authorizer's answer is cached for its header, 60 s)
    issued = issue(stack, "server")
    path = f"/v1/members/{demo.member_id}"
    assert stack.call("GET", path, key=issued["key"]).status_code == 200

    # When it is revoked
    assert stack.call("DELETE", f"/v1/keys/{issued['key_id']}", key=ADMIN_KEY).status_code == 204

    # Then the same header keeps working until the cache entry ends (README: up to 60 s)
    assert stack.call("GET", path, key=issued["key"]).status_code == 200
    # And the same key in any header the cache has not seen is refused at once
    for header in (f"bearer {issued['key']}", f"Bearer  {issued['key']}", f"BEARER {issued['key']} "):
        assert_problem(send(stack, "GET", path, headers={"Authorization": header}), 401)


def test_a_server_key_cannot_revoke_keys(stack, demo):
    # Given a key nobody used yet
    issued = issue(stack, "server")

    # When the demo server key tries to revoke it
    response = stack.call("DELETE", f"/v1/keys/{issued['key_id']}", key=SERVER_KEY)

    # Then it is forbidden, and the key still works
    assert_problem(response, 403)
    assert stack.call("GET", f"/v1/members/{demo.member_id}", key=issued["key"]).status_code == 200
