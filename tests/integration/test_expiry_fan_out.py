"""The expiry run fanned out over its shards, with the real handlers and event shapes: the scheduled
ExpiryFunction enqueues one message per shard, ExpiryShardsFunction drains each; a redelivery
changes nothing, a worker out of time puts its shard back, a poison message goes to the DLQ with
its reason, a transient failure is retried alone."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest

from infra.events import QueueMessage, scheduled_event, sqs_event
from infra.lambdas import LocalLambdaContext, invoke, load_handler
from infra.template_model import load_template
from loyalty.models.api import EnrollRequest, PurchaseRequest
from loyalty.operations import members, purchases
from loyalty.operations.expiry import shard_job
from loyalty.store import keys
from loyalty.store.job_store import JobStore
from tests.support import faults
from tests.support.ledger import assert_adds_up, member_state

SHARD_QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:ExpiryShardQueue"
# Points earned at the fake clock's start (2026-11-23) are spendable through 2028-11-30, Shanghai.
AFTER_LAST_DAY = "2028-12-01T01:00:00Z"
MEMBERS = [f"m{number}" for number in range(12)]


@pytest.fixture
def members_with_points(context):
    for member in MEMBERS:
        members.enroll(context, "shop", EnrollRequest(member_id=member))
        purchases.record_purchase(
            context,
            "shop",
            PurchaseRequest(
                order_id=f"o-{member}", member_id=member, amount=Decimal("50.00"), currency="CNY"
            ),
        )
    assert len({keys.expiry_shard("shop", member) for member in MEMBERS}) > 1  # spread over shards
    return MEMBERS


def start_run(time_iso: str):
    spec = load_template().function("ExpiryFunction")
    event = scheduled_event(time_iso, "arn:aws:scheduler:us-east-1:123456789012:schedule/default/expiry")
    return invoke(spec, load_handler(spec), event)


def take(aws, logical_id: str) -> list[dict]:
    """Every message on one of the template's queues (received, so no longer visible)."""
    taken: list[dict] = []
    while True:
        received = aws.sqs.receive_message(
            QueueUrl=aws.queues[logical_id], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not received:
            return taken
        taken.extend(received)


def as_event(*messages: dict) -> dict:
    return sqs_event(
        [QueueMessage(m["MessageId"], m["ReceiptHandle"], m["Body"]) for m in messages], SHARD_QUEUE_ARN
    )


def work(event: dict, *, seconds_left: int | None = None):
    spec = load_template().function("ExpiryShardsFunction")
    handler = load_handler(spec)
    if seconds_left is None:
        return invoke(spec, handler, event)
    return handler(event, LocalLambdaContext(spec.logical_id, timeout_seconds=seconds_left))


def available(aws, member: str) -> int:
    return member_state(aws.dynamodb, aws.table_name, "shop", member).available


def test_the_scheduled_run_enqueues_every_shard_and_the_workers_expire_each_member_once(
    aws, members_with_points
):
    # When the schedule fires the day after the points' last day
    started = start_run(AFTER_LAST_DAY)

    # Then it expired nothing itself and left one message per shard, each carrying the run's time
    assert (started["shards_enqueued"], started["members_expired"]) == (keys.EXPIRY_SHARDS, 0)
    messages = take(aws, "ExpiryShardQueue")
    bodies = sorted((json.loads(m["Body"]) for m in messages), key=lambda body: body["shard"])
    assert [body["shard"] for body in bodies] == list(range(keys.EXPIRY_SHARDS))
    assert {body["now"] for body in bodies} == {"2028-12-01T01:00:00Z"}
    assert all(available(aws, member) == 150 for member in members_with_points)

    # When the workers drain every shard, one message per invocation as the template batches them
    answers = [work(as_event(message)) for message in messages]

    # Then every member's points expired, balance and ledger agreeing
    assert answers == [{"batchItemFailures": []}] * keys.EXPIRY_SHARDS
    for member in members_with_points:
        state = member_state(aws.dynamodb, aws.table_name, "shop", member)
        assert (state.available, [entry["type"] for entry in state.entries].count("expire")) == (0, 1)
        assert_adds_up(state)

    # When every message is delivered again (SQS delivers at least once), nothing changes
    again = [work(as_event(message)) for message in messages]
    assert again == [{"batchItemFailures": []}] * keys.EXPIRY_SHARDS
    for member in members_with_points:
        entries = member_state(aws.dynamodb, aws.table_name, "shop", member).entries
        assert [entry["type"] for entry in entries].count("expire") == 1
    assert take(aws, "ExpiryShardQueue") == []  # and no shard went round again


def test_a_worker_nearly_out_of_time_puts_its_shard_back_and_the_next_finishes_it(aws, members_with_points):
    start_run(AFTER_LAST_DAY)
    [first, *_] = take(aws, "ExpiryShardQueue")
    shard = json.loads(first["Body"])["shard"]
    in_shard = [member for member in members_with_points if keys.expiry_shard("shop", member) == shard]

    # When the worker gets the shard with less time left than it keeps in reserve
    answer = work(as_event(first), seconds_left=5)

    # Then it walked nothing (its checkpoint is still before the due day) and put the same shard
    # of the same run back
    assert answer == {"batchItemFailures": []}
    assert JobStore(aws.table_name).next_date(shard_job(shard)) <= date(2028, 11, 30)
    assert [available(aws, member) for member in in_shard] == [150] * len(in_shard)
    [continuation] = take(aws, "ExpiryShardQueue")
    assert json.loads(continuation["Body"]) == json.loads(first["Body"])

    # And the next worker finishes that shard
    assert work(as_event(continuation)) == {"batchItemFailures": []}
    assert [available(aws, member) for member in in_shard] == [0] * len(in_shard)
    assert JobStore(aws.table_name).next_date(shard_job(shard)) == date(2028, 12, 1)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "malformed-json"),
        ('{"shard": 99, "now": "2028-12-01T01:00:00Z"}', "validation-error"),
        ('{"shard": 1, "now": "2028-12-01T01:00:00"}', "validation-error"),  # no time zone
    ],
)
def test_a_poison_message_goes_to_the_dead_letter_queue_with_its_reason(aws, body, reason):
    poison = {"MessageId": "poison-1", "ReceiptHandle": "r", "Body": body}

    assert work(as_event(poison)) == {"batchItemFailures": []}

    [dead] = take(aws, "ExpiryShardDeadLetterQueue")
    assert (dead["Body"], dead["MessageAttributes"]["reason"]["StringValue"]) == (body, reason)
    assert dead["MessageAttributes"]["source_message_id"]["StringValue"] == "poison-1"


def test_a_transient_failure_is_retried_alone(aws, members_with_points):
    start_run(AFTER_LAST_DAY)
    messages = take(aws, "ExpiryShardQueue")[:2]  # two shards in one batch, whatever the batch size
    failing, healthy = (json.loads(message["Body"])["shard"] for message in messages)
    partition = re.compile(rf'"EXPIRY#[0-9-]+#{failing}"')

    def throttle_one_shard(params):
        return faults.throttling("Query") if partition.search(params["body"].decode()) else None

    with faults.before_call("Query", throttle_one_shard):
        answer = work(as_event(*messages))

    # Then only the throttled shard is reported failed (SQS redelivers it), the other is done
    assert answer == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
    assert take(aws, "ExpiryShardDeadLetterQueue") == []
    for member in members_with_points:
        shard = keys.expiry_shard("shop", member)
        if shard in (failing, healthy):
            assert available(aws, member) == (150 if shard == failing else 0)
