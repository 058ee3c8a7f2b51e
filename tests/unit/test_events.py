"""Which committed items become which events."""

from __future__ import annotations

from loyalty.events import event_for_item

ENTRY = {
    "PK": "T#acme#M#m1",
    "SK": "LEDGER#000000000002",
    "tenant_id": "acme",
    "member_id": "m1",
    "entry_id": "2",
    "type": "earn",
    "points": 129,
    "balance_after": 229,
    "created_at": "2026-11-23T12:00:00+00:00",
    "order_id": "o1",
    "source": "purchase",
}


def test_an_earn_entry_is_points_earned_with_a_stable_id():
    event = event_for_item(ENTRY)
    assert event is not None
    assert (event["source"], event["detail-type"]) == ("loyalty", "points.earned")
    assert event["detail"]["points"] == 129
    assert event["detail"]["order_id"] == "o1"
    assert event["detail"]["event_id"] == event_for_item(dict(ENTRY))["detail"]["event_id"]  # type: ignore[index]


def test_each_entry_type_maps_to_its_event():
    for entry_type, detail_type in [("clawback", "points.clawed_back"), ("adjust", "points.adjusted")]:
        assert event_for_item({**ENTRY, "type": entry_type})["detail-type"] == detail_type  # type: ignore[index]


def test_member_item_is_member_enrolled_and_other_items_are_silent():
    member = {
        "PK": "T#acme#M#m1",
        "SK": "MEMBER",
        "tenant_id": "acme",
        "member_id": "m1",
        "enrolled_at": "2026-11-23T12:00:00+00:00",
        "profile": {"channel": "app"},
    }
    assert event_for_item(member)["detail-type"] == "member.enrolled"  # type: ignore[index]
    assert event_for_item({"PK": "T#acme#M#m1", "SK": "MEMBER#LOT#2028-11-30"}) is None
    assert event_for_item({"PK": "T#acme#OP#purchase#o1", "SK": "OP"}) is None


def test_a_tier_history_item_is_tier_changed_with_from_to_and_why():
    item = {
        "PK": "T#acme#M#m1",
        "SK": "TIER#00000001",
        "tenant_id": "acme",
        "member_id": "m1",
        "from_tier": "base",
        "to_tier": "silver",
        "reason": "qualified",
        "detail": "spend 5000.00, 1 purchases, 5000 points",
        "created_at": "2026-11-23T12:00:00+00:00",
    }
    event = event_for_item(item)
    assert event is not None
    assert event["detail-type"] == "tier.changed"
    assert {key: event["detail"][key] for key in ("member_id", "from_tier", "to_tier", "reason")} == {
        "member_id": "m1",
        "from_tier": "base",
        "to_tier": "silver",
        "reason": "qualified",
    }


def test_a_tier_history_item_of_an_assignment_tells_its_reason_and_one_that_moved_nothing_is_no_event():
    item = {
        "PK": "T#acme#M#m1",
        "SK": "TIER#00000002",
        "tenant_id": "acme",
        "member_id": "m1",
        "from_tier": "base",
        "to_tier": "gold",
        "reason": "assigned",
        "detail": "assigned gold until further notice",
        "assignment_reason": "VIP event",
        "actor": "key_1",
        "created_at": "2026-12-04T10:00:00+00:00",
    }

    event = event_for_item(item)
    unmoved = event_for_item({**item, "SK": "TIER#00000003", "from_tier": "gold"})

    assert event is not None
    assert event["detail"]["assignment_reason"] == "VIP event"
    assert "actor" not in event["detail"]
    assert unmoved is None
