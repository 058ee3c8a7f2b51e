"""Events out: which committed items become which EventBridge events (the table stream is the outbox).

Pure mapping from a stream record's new image to an event; publishing is the store's job. Every
event carries `event_id`, derived from the item's key, so consumers can drop duplicates (the
stream and EventBridge both deliver at least once)."""

from __future__ import annotations

import uuid
from typing import Any

from loyalty.models.ledger import entry_fields

SOURCE = "loyalty"
_NAMESPACE = uuid.UUID("6f1c1d52-5a43-4b8e-9c1e-6a0d3e0f4a11")

ENTRY_EVENTS = {
    "earn": "points.earned",
    "clawback": "points.clawed_back",
    "adjust": "points.adjusted",
    "redeem": "points.redeemed",
    "expire": "points.expired",
    "sunset": "points.expired",  # the program ended: the entry's type and reason say so
    "redeem_cancel": "points.redemption_cancelled",
    "hold": "points.held",
    "release": "points.released",
    "redeem_refund": "points.refunded",  # points a checkout capture spent, given back for a refund
    "erase": "member.erased",  # what the member had left, forfeited; no personal data (there is none)
}

# Every detail-type event_for_item can publish (webhooks subscribe to these; docs/webhooks.md shows
# a sample of each).
EVENT_TYPES = (
    "member.enrolled",
    "member.birthday",
    *dict.fromkeys(ENTRY_EVENTS.values()),
    "points.expiring",
    "tier.changed",
    "membership.started",
    "membership.extended",
    "membership.cancelled",
    "membership.lapsed",
    "membership.expiring",
    "program.sunset_notice",
)


def event_for_item(item: dict[str, Any]) -> dict[str, Any] | None:
    """The event a newly inserted item stands for, or None for items nobody outside needs."""
    sk = str(item.get("SK", ""))
    if sk == "MEMBER":
        detail_type = "member.enrolled"
        detail = {
            "member_id": item["member_id"],
            "enrolled_at": item["enrolled_at"],
            "channel": (item.get("profile") or {}).get("channel"),
            "referrer_id": (item.get("profile") or {}).get("referrer_id"),
        }
        occurred_at = item["enrolled_at"]
    elif sk.startswith("REMINDER#"):
        detail_type = "points.expiring"
        detail = {
            name: item.get(name)
            for name in ("member_id", "points", "expires_on", "window_days", "locale", "message")
        }
        occurred_at = item["created_at"]
    elif sk.startswith("TIER#") and item.get("from_tier") != item.get("to_tier"):
        # (a history item of an assignment that moved nothing is no change to tell)
        detail_type = "tier.changed"
        detail = {
            name: item.get(name)
            for name in ("member_id", "from_tier", "to_tier", "reason", "detail", "assignment_reason")
        }
        occurred_at = item["created_at"]
    elif sk.startswith("MEMBERSHIPEVENT#"):
        detail_type = f"membership.{item['kind']}"
        detail = {
            name: item.get(name)
            for name in (
                "member_id",
                "membership_id",
                "plan_id",
                "tier_id",
                "starts_on",
                "ends_on",
                "days_before",
            )
        }
        occurred_at = item["created_at"]
    elif sk.startswith("SUNSET#"):
        detail_type = "program.sunset_notice"
        detail = {
            name: item.get(name) for name in ("member_id", "points", "last_redeeming_day", "days_before")
        }
        occurred_at = item["created_at"]
    elif sk.startswith("LEDGER#") and item.get("type") in ENTRY_EVENTS:
        # A birthday entry is the shop's cue for a greeting, whatever points it carries.
        detail_type = "member.birthday" if item.get("source") == "birthday" else ENTRY_EVENTS[item["type"]]
        # Every field the entry was written with; its time is the event's `occurred_at`.
        detail = {name: value for name, value in entry_fields(item).items() if name != "created_at"}
        detail["member_id"] = item["member_id"]
        occurred_at = item["created_at"]
    else:
        return None
    event_id = str(uuid.uuid5(_NAMESPACE, f"{item['PK']}|{sk}"))
    return {
        "source": SOURCE,
        "detail-type": detail_type,
        "time": occurred_at,
        "detail": {
            "event_id": event_id,
            "tenant_id": item["tenant_id"],
            "occurred_at": occurred_at,
            **{key: value for key, value in detail.items() if value is not None},
        },
    }
