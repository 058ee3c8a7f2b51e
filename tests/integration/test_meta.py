"""Health, the published program and the OpenAPI document."""

from __future__ import annotations

import json

ROUTES = {
    ("post", "/v1/members"),
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
