"""Events out: the table stream is the outbox. Records read from DynamoDB Local's real stream go
through the EventPublisher function to the bus, where a rule delivers them to a queue we read."""

from __future__ import annotations

import json

import boto3
import pytest

from infra.events import dynamodb_stream_event, lambda_stream_record
from infra.lambdas import invoke, load_handler
from infra.template_model import load_template

pytestmark = [pytest.mark.parametrize("backend", ["dynamodb-local"], indirect=True), pytest.mark.stream]


def stream_records(aws, dynamodb_local):
    streams = boto3.client("dynamodbstreams", endpoint_url=dynamodb_local.endpoint)
    arn = aws.dynamodb.describe_table(TableName=aws.table_name)["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += [
            lambda_stream_record(record) for record in streams.get_records(ShardIterator=iterator)["Records"]
        ]
    return arn, [record for record in records if record["eventName"] == "INSERT"]  # the template's filter


@pytest.fixture
def bus_tap(aws):
    url = aws.sqs.create_queue(QueueName="tap")["QueueUrl"]
    arn = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.events.put_rule(
        Name="tap", EventBusName=aws.bus_name, EventPattern=json.dumps({"source": ["loyalty"]})
    )
    aws.events.put_targets(Rule="tap", EventBusName=aws.bus_name, Targets=[{"Id": "tap", "Arn": arn}])

    def drain():
        events = []
        while messages := aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            events += [json.loads(message["Body"]) for message in messages]
            aws.sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in messages],
            )
        return events

    return drain


def test_committed_entries_become_events_with_ids_to_deduplicate_on(api, shop, aws, dynamodb_local, bus_tap):
    assert (
        api.call("POST", "/v1/members", {"member_id": "m1", "channel": "app"}, key=shop.server_key).status
        == 201
    )
    body = {"order_id": "o1", "member_id": "m1", "amount": "30.00", "currency": "CNY"}
    assert api.call("POST", "/v1/purchases", body, key=shop.server_key).status == 201
    refund = {"refund_id": "r1", "amount": "30.00"}
    assert api.call("POST", "/v1/purchases/o1/refunds", refund, key=shop.server_key).status == 201
    grant = {"adjustment_id": "a1", "points": 5, "reason": "sorry"}
    assert api.call("POST", "/v1/members/m1/adjustments", grant, key=shop.admin_key).status == 201

    arn, records = stream_records(aws, dynamodb_local)
    spec = load_template().function("EventPublisherFunction")
    handler = load_handler(spec)
    # The stream delivers at least once: the same batch twice publishes twice, with the same ids.
    for _ in range(2):
        assert invoke(spec, handler, dynamodb_stream_event(records, arn)) == {"batchItemFailures": []}

    events = bus_tap()
    kinds = sorted(event["detail-type"] for event in events)
    assert kinds == sorted(
        ["member.enrolled", "points.earned", "points.earned", "points.clawed_back", "points.adjusted"] * 2
    )
    ids = {event["detail"]["event_id"] for event in events}
    assert len(ids) == 5  # consumers deduplicate on event_id
    earned = next(
        e for e in events if e["detail-type"] == "points.earned" and e["detail"].get("order_id") == "o1"
    )
    assert (earned["source"], earned["detail"]["tenant_id"], earned["detail"]["points"]) == (
        "loyalty",
        "acme",
        30,
    )
