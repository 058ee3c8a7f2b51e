"""The purchase queue of a running stack: SQS messages delivered to the earn function by the poller."""

from __future__ import annotations

import json

from tests.e2e.helpers import eventually


def queued_purchase(order_id: str, member_id: str, tenant_id: str = "demo") -> str:
    return json.dumps(
        {
            "tenant_id": tenant_id,
            "order_id": order_id,
            "member_id": member_id,
            "amount": "40.00",
            "currency": "CNY",
        }
    )


def test_a_purchase_queued_three_times_is_credited_once(stack, sqs, member, unique):
    # Given the same purchase message sent to the purchase queue three times
    queue_url = stack.queue_urls()["PurchaseQueue"]
    for _ in range(3):
        sqs.send_message(QueueUrl=queue_url, MessageBody=queued_purchase(f"q-{unique}", member))

    # When the poller has delivered them
    def credited():
        """the member is credited for the queued purchase"""
        return stack.call("GET", f"/v1/members/{member}").json()["balance"]["available"] > 100

    eventually(credited)

    def drained():
        """the purchase queue is empty"""
        listed = stack.call("GET", "/_local/queues", key=None).json()["queues"]
        return next(queue for queue in listed if queue["url"] == queue_url)["depth"] == 0

    eventually(drained)

    # Then the member earned 40 points once, with one ledger entry for the order
    assert stack.call("GET", f"/v1/members/{member}").json()["balance"]["available"] == 140
    ledger = stack.call("GET", f"/v1/members/{member}/transactions").json()["items"]
    assert [entry.get("order_id") for entry in ledger].count(f"q-{unique}") == 1


def test_poison_messages_land_in_the_dead_letter_queue_with_their_reason(stack, sqs, member, unique):
    # Given a message that is not JSON and one for a tenant that does not exist
    queues = stack.queue_urls()
    not_json = f"not json {unique}"
    unknown_tenant = queued_purchase(f"p-{unique}", member, tenant_id=f"ghost-{unique}")
    sqs.send_message(QueueUrl=queues["PurchaseQueue"], MessageBody=not_json)
    sqs.send_message(QueueUrl=queues["PurchaseQueue"], MessageBody=unknown_tenant)

    # When the poller has delivered them
    reasons: dict[str, str] = {}

    def both_dead_lettered():
        """both messages are in the dead-letter queue"""
        received = sqs.receive_message(
            QueueUrl=queues["PurchaseDeadLetterQueue"],
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
        )
        for message in received.get("Messages", []):
            reasons[message["Body"]] = message["MessageAttributes"]["reason"]["StringValue"]
        return not_json in reasons and unknown_tenant in reasons

    eventually(both_dead_lettered, timeout=10)

    # Then each carries why it can never succeed, and nothing was credited
    assert reasons[not_json] == "malformed-json"
    assert reasons[unknown_tenant] == "tenant-not-found"
    assert stack.call("GET", f"/v1/members/{member}").json()["balance"]["available"] == 100
