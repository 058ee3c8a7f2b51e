"""The purchase queue of a running stack: SQS messages delivered to the earn function by the poller,
poison messages dead-lettered, and moved back with the AWS redrive call."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

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


def test_dead_letters_are_moved_back_to_the_purchase_queue_with_the_aws_redrive_call(stack, sqs, unique):
    # Given a purchase for a member who does not exist yet, dead-lettered by the consumer
    queues = stack.queue_urls()
    member_id = f"late-{unique}"
    sqs.send_message(
        QueueUrl=queues["PurchaseQueue"], MessageBody=queued_purchase(f"late-o-{unique}", member_id)
    )

    def depths():
        listed = stack.call("GET", "/_local/queues", key=None).json()["queues"]
        return {queue["url"]: queue["depth"] for queue in listed}

    def dead_lettered():
        """the purchase queue is drained into the dead-letter queue"""
        now = depths()
        return now[queues["PurchaseQueue"]] == 0 and now[queues["PurchaseDeadLetterQueue"]] >= 1

    eventually(dead_lettered)
    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=queues["PurchaseDeadLetterQueue"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]

    # When the member enrols and the dead letters are moved back with StartMessageMoveTask
    assert stack.call("POST", "/v1/members", {"member_id": member_id}).status_code == 201
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]

    # Then the task has moved them back to their source queue, and the purchase is credited
    (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=1)["Results"]
    assert (task["Status"], task["SourceArn"]) == ("COMPLETED", dlq_arn)
    assert task["ApproximateNumberOfMessagesMoved"] >= 1
    assert handle

    def credited():
        """the redriven purchase is credited"""
        return stack.call("GET", f"/v1/members/{member_id}").json()["balance"]["available"] == 140

    eventually(credited)
    ledger = stack.call("GET", f"/v1/members/{member_id}/transactions").json()["items"]
    assert [entry.get("order_id") for entry in ledger].count(f"late-o-{unique}") == 1

    # And a queue that is no dead-letter queue is a clear 400, never a stack trace in the log
    purchase_arn = sqs.get_queue_attributes(QueueUrl=queues["PurchaseQueue"], AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    with pytest.raises(ClientError) as refused:
        sqs.start_message_move_task(SourceArn=purchase_arn)
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "dead-letter queue" in refused.value.response["Error"]["Message"]
    assert "Traceback" not in stack.output()


def test_an_action_the_local_aws_endpoint_lacks_is_a_clear_error_not_a_stack_trace(stack):
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=stack.aws_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )

    with pytest.raises(ClientError) as refused:
        dynamodb.describe_contributor_insights(TableName="loyalty-local")

    error = refused.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "UnsupportedOperation",
        400,
    )
    assert "DescribeContributorInsights" in error["Error"]["Message"]
    assert "Traceback" not in stack.output()
