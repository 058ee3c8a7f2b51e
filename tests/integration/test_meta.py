"""Health, the published program and the OpenAPI document."""

from __future__ import annotations

import json

ROUTES = {
    ("get", "/v1/reports/summary"),
    ("get", "/v1/reports/flows"),
    ("get", "/v1/reports/tiers"),
    ("get", "/v1/reports/campaigns"),
    ("get", "/v1/reports/customers"),
    ("get", "/v1/reports/reminders"),
    ("post", "/v1/members"),
    ("get", "/v1/members"),
    ("get", "/v1/members/{member_id}"),
    ("get", "/v1/members/{member_id}/transactions"),
    ("post", "/v1/purchases"),
    ("post", "/v1/purchases/{order_id}/refunds"),
    ("post", "/v1/members/{member_id}/adjustments"),
    ("post", "/v1/tenants"),
    ("post", "/v1/keys"),
    ("delete", "/v1/keys/{key_id}"),
    ("get", "/v1/program"),
    ("get", "/v1/health"),
    ("put", "/v1/program"),
    ("get", "/v1/program/versions/{version}"),
    ("post", "/v1/activities"),
    ("post", "/v1/program/preview"),
    ("put", "/v1/members/{member_id}/tier"),
    ("patch", "/v1/members/{member_id}"),
    ("delete", "/v1/members/{member_id}"),
    ("put", "/v1/members/{member_id}/status"),
    ("get", "/v1/audit"),
    ("get", "/v1/reviews"),
    ("post", "/v1/reviews/{review_id}/resolve"),
    # redemption: the catalog, redemptions, holds, coupons, lotteries
    ("put", "/v1/rewards/{reward_id}"),
    ("get", "/v1/rewards"),
    ("get", "/v1/rewards/{reward_id}"),
    ("post", "/v1/members/{member_id}/redemptions"),
    ("get", "/v1/members/{member_id}/redemptions/{redemption_id}"),
    ("post", "/v1/members/{member_id}/redemptions/{redemption_id}/fulfil"),
    ("post", "/v1/members/{member_id}/redemptions/{redemption_id}/cancel"),
    ("post", "/v1/members/{member_id}/holds"),
    ("post", "/v1/members/{member_id}/checkout-preview"),
    ("get", "/v1/holds/{hold_id}"),
    ("post", "/v1/holds/{hold_id}/capture"),
    ("post", "/v1/holds/{hold_id}/release"),
    ("post", "/v1/holds/{hold_id}/refunds"),
    ("put", "/v1/coupon-templates/{template_id}"),
    ("get", "/v1/coupon-templates"),
    ("post", "/v1/members/{member_id}/coupons"),
    ("get", "/v1/members/{member_id}/coupons"),
    ("post", "/v1/coupons/{code}/check"),
    ("post", "/v1/coupons/{code}/use"),
    ("put", "/v1/lotteries/{lottery_id}"),
    ("get", "/v1/lotteries/{lottery_id}"),
    ("post", "/v1/members/{member_id}/draws"),
    ("get", "/v1/members/{member_id}/draws/{draw_id}"),
    ("put", "/v1/exports/{export_id}"),
    ("get", "/v1/tenants"),
    ("get", "/v1/keys"),
    ("get", "/v1/exports/{export_id}"),
    ("get", "/v1/exports"),
    ("put", "/v1/imports/{import_id}"),
    ("get", "/v1/imports/{import_id}"),
    ("get", "/v1/imports"),
    ("post", "/v1/imports/{import_id}/revert"),
    ("post", "/v1/imports/{import_id}/upload"),
    ("put", "/v1/webhooks/{webhook_id}"),
    ("get", "/v1/webhooks"),
    ("get", "/v1/webhooks/{webhook_id}"),
    ("delete", "/v1/webhooks/{webhook_id}"),
    ("post", "/v1/webhooks/{webhook_id}/rotate"),
    ("post", "/v1/webhooks/{webhook_id}/ping"),
    ("get", "/v1/webhooks/{webhook_id}/deliveries"),
    ("post", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"),
    # member tokens and the member's own view
    ("post", "/v1/members/{member_id}/tokens"),
    # paid membership
    ("post", "/v1/members/{member_id}/memberships"),
    ("get", "/v1/members/{member_id}/memberships"),
    ("post", "/v1/members/{member_id}/memberships/{membership_id}/cancel"),
    ("post", "/v1/token-keys/rotate"),
    ("get", "/v1/me"),
    ("get", "/v1/me/transactions"),
    ("get", "/v1/me/rewards"),
    ("post", "/v1/me/redemptions"),
    ("get", "/v1/me/redemptions/{redemption_id}"),
    ("get", "/v1/me/coupons"),
    ("get", "/v1/me/draws"),
    ("get", "/v1/me/program"),
}


def test_health_needs_no_key(api):
    response = api.call("GET", "/v1/health")
    assert (response.status, response.json()) == (200, {"status": "ok"})


def test_openapi_document_lists_every_route_with_its_models(api):
    response = api.call("GET", "/v1/openapi.json")
    assert response.status == 200
    document = json.loads(response.body)
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert document["paths"]["/v1/health"]["get"]["security"] == [{}]  # no key needed
    health = document["paths"]["/v1/health"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    assert health["$ref"].endswith("/HealthResponse")
    listed = {(method, path) for path, item in document["paths"].items() for method in item}
    assert listed == ROUTES
    # And the member's own routes take a member token, not an API key
    assert document["components"]["securitySchemes"]["member_token"]["scheme"] == "bearer"
    assert document["paths"]["/v1/me"]["get"]["security"] == [{"member_token": []}]
    schemas = document["components"]["schemas"]
    assert {
        "PurchaseRequest",
        "PurchaseResponse",
        "MemberResponse",
        "RefundRequest",
        "AdjustmentRequest",
    } <= set(schemas)
    assert schemas["PurchaseRequest"]["additionalProperties"] is False
    assert schemas["PurchaseRequest"]["properties"]["amount"]["type"] == "string"


def test_the_program_is_published_to_server_keys(api, shop):
    program = api.call("GET", "/v1/program", key=shop.server_key).json()
    assert program["earn"]["points_per_unit"] == 1
    assert program["currency"] == "CNY"
    assert program["point_value"] == {"points": 100, "amount": "1.00"}


def test_every_operation_is_documented_with_its_scope_and_its_error_responses(api):
    # Given the served OpenAPI document
    document = json.loads(api.call("GET", "/v1/openapi.json").body)
    assert "API.md" not in document["info"]["description"]  # the guide is docs/api.md in the repository

    # When walking every operation
    missing: list[str] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            responses = set(operation["responses"])
            scope = operation.get("x-key-scope")
            summary = operation.get("summary") or ""
            # Then each has a summary of its own (not powertools' "METHOD /path"), a description,
            # the key scope it needs, and the problems it can answer
            if not summary or summary == label or path in summary:
                missing.append(f"{label}: summary")
            if len(operation.get("description") or "") < 20:
                missing.append(f"{label}: description")
            if scope not in {"public", "server", "admin", "operator", "member"}:
                missing.append(f"{label}: x-key-scope")
            expected = {"422"}
            if scope != "public":
                expected |= {"401", "403"}
            if "requestBody" in operation:
                expected |= {"415", "400", "413"}
            if "{" in path and method != "put":  # a PUT of a named resource creates it
                expected.add("404")
            if "201" in responses and any(
                name.endswith("_id") for name in _body_schema(document, operation).get("required", [])
            ):
                expected.add("409")  # a create with a natural id: another body under the same id
            for status in sorted(expected - responses):
                missing.append(f"{label}: {status}")
            for status in responses:
                if status.startswith(("4", "5")):
                    content = operation["responses"][status].get("content", {})
                    if "application/problem+json" not in content:
                        missing.append(f"{label}: {status} is not problem+json")
    assert not missing, "\n".join(missing)
    # And enrolment documents its replay's 200
    enrol = document["paths"]["/v1/members"]["post"]["responses"]
    assert {"200", "201", "409"} <= set(enrol)


def _body_schema(document: dict, operation: dict) -> dict:
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema
