"""Webhooks on the local stack: a receiver on this machine gets the bus's events through the rule,
the dispatcher and the deliverer of template.yaml, signed; it fails twice and the third attempt,
after the local stack's short backoff, succeeds; the log and a redelivery say and do so."""

from __future__ import annotations

import json
import time

from loyalty.domain.webhooks import verify
from tests.e2e.helpers import ADMIN_KEY, eventually
from tests.support.receiver import receiver


def test_a_receiver_that_fails_twice_gets_the_signed_event_on_the_third_attempt(stack, unique):
    member_id = f"wh-{unique}"
    # (another test's enrolment may reach this webhook too: only this member's attempts fail)
    with receiver(script=[500, 502], scripted=member_id.encode()) as hook:
        # Given a webhook of the demo tenant for enrolments, pointing at a receiver on this machine
        created = stack.call(
            "PUT",
            f"/v1/webhooks/wh-{unique}",
            {"url": hook.url, "events": ["member.enrolled"], "description": "e2e"},
            key=ADMIN_KEY,
        )
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        # When a member enrols (the table stream publishes member.enrolled on the bus)
        assert stack.call("POST", "/v1/members", {"member_id": member_id}).status_code == 201

        def three_attempts() -> bool:
            """the receiver got the enrolment three times"""
            return len([r for r in hook.received if member_id.encode() in r.body]) >= 3

        eventually(three_attempts, timeout=60)
        received = [r for r in hook.received if member_id.encode() in r.body]
        # Then each attempt carried the same event, signed with the webhook's secret
        for attempt in received:
            assert verify(secret, attempt.headers["Loyalty-Signature"], attempt.body, int(time.time()))
            assert attempt.headers["Loyalty-Event-Type"] == "member.enrolled"
        bodies = [json.loads(r.body) for r in received]
        assert {b["event_id"] for b in bodies} == {bodies[0]["event_id"]}
        assert bodies[0]["data"]["member_id"] == member_id
        assert bodies[0]["tenant_id"] == "demo"

        # And the delivery log shows three attempts, the last one accepted
        def logged() -> dict | None:
            """this event's delivery is logged as succeeded"""
            items = stack.call("GET", f"/v1/webhooks/wh-{unique}/deliveries", key=ADMIN_KEY).json()["items"]
            ours = [item for item in items if item["event_id"] == bodies[0]["event_id"]]
            return ours[0] if ours and ours[0]["status"] == "succeeded" else None

        entry = eventually(logged, timeout=30)
        assert (entry["attempts"], entry["last_status_code"], entry["event_id"]) == (
            3,
            200,
            bodies[0]["event_id"],
        )
        # When the admin asks for a redelivery, the receiver gets the event a fourth time
        redeliver = stack.call(
            "POST",
            f"/v1/webhooks/wh-{unique}/deliveries/{entry['delivery_id']}/redeliver",
            key=ADMIN_KEY,
        )
        assert redeliver.status_code == 202
        eventually(lambda: len([r for r in hook.received if member_id.encode() in r.body]) == 4, timeout=30)
        # And a ping arrives too
        assert stack.call("POST", f"/v1/webhooks/wh-{unique}/ping", key=ADMIN_KEY).status_code == 202
        eventually(lambda: any(b"webhook.ping" in r.body for r in hook.received), timeout=30)
        assert stack.call("DELETE", f"/v1/webhooks/wh-{unique}", key=ADMIN_KEY).status_code == 204
