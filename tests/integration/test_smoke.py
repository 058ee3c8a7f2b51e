"""The shortest path through the product: enrol, buy, read the member and its ledger."""


def test_enrol_buy_and_read_back(api, shop):
    # Given a member enrolled with the default signup bonus
    enrolled = api.call("POST", "/v1/members", {"member_id": "m1", "name": "Ann"}, key=shop.server_key)
    assert enrolled.status == 201
    assert enrolled.json()["balance"] == {"available": 100, "pending": 0, "held": 0, "withheld": 0}

    # When the member buys for 129.90 CNY
    bought = api.call(
        "POST",
        "/v1/purchases",
        {"order_id": "o1", "member_id": "m1", "amount": "129.90", "currency": "CNY"},
        key=shop.server_key,
    )

    # Then 129 points are earned (1 per whole yuan, rounded down) and balance and ledger agree
    assert bought.status == 201
    assert bought.json()["points_earned"] == 129
    member = api.call("GET", "/v1/members/m1", key=shop.server_key).json()
    assert member["balance"]["available"] == 229
    ledger = api.call("GET", "/v1/members/m1/transactions", key=shop.server_key).json()
    assert [entry["points"] for entry in ledger["items"]] == [129, 100]
    assert ledger["next_cursor"] is None
