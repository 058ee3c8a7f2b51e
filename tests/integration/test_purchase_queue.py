"""The purchase queue consumer, invoked with real SQS events: exactly once, poison to the DLQ with
its reason, transient failures retried alone through the partial batch response."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from infra.events import QueueMessage, sqs_event
from infra.lambdas import invoke, load_handler
from infra.template_model import load_template
from tests.support import faults
from tests.support.ledger import assert_adds_up, member_state

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:PurchaseQueue"
TWO_DAYS_AHEAD = (datetime.now(UTC) + timedelta(days=2)).isoformat()  # the consumer's clock is real


def message(body, message_id=None):
    text = body if isinstance(body, str) else json.dumps(body)
    return QueueMessage(
        message_id=message_id or str(uuid.uuid4()), receipt_handle=str(uuid.uuid4()), body=text
    )


def purchase(order_id, member_id="m1", tenant_id="acme", amount="50.00"):
    return {
        "tenant_id": tenant_id,
        "order_id": order_id,
        "member_id": member_id,
        "amount": amount,
        "currency": "CNY",
    }


@pytest.fixture
def consume(aws):
    spec = load_template().function("EarnFunction")
    handler = load_handler(spec)

    def deliver(*messages):
        return invoke(spec, handler, sqs_event(list(messages), QUEUE_ARN))

    return deliver


@pytest.fixture
def member(api, shop):
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    return "m1"


def dead_letters(aws):
    received = aws.sqs.receive_message(
        QueueUrl=aws.purchase_dlq_url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        WaitTimeSeconds=0,
    )
    return [
        (
            json.loads(m["Body"]) if m["Body"].startswith("{") else m["Body"],
            m["MessageAttributes"]["reason"]["StringValue"],
        )
        for m in received.get("Messages", [])
    ]


def test_a_message_delivered_three_times_credits_once(aws, consume, member):
    body = purchase("o1")
    first = consume(message(body, "id-1"))
    again = consume(message(body, "id-1"), message(body, "id-1"))

    assert first == {"batchItemFailures": []}
    assert again == {"batchItemFailures": []}
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert [entry.get("order_id") for entry in state.entries].count("o1") == 1
    assert state.available == 150
    assert_adds_up(state)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "malformed-json"),
        ({"tenant_id": "acme", "order_id": "o1"}, "validation-error"),
        ({**purchase("o1"), "amount": "-3"}, "validation-error"),
        (purchase("o1", tenant_id="nobody"), "tenant-not-found"),
        (purchase("o1", member_id="ghost"), "member-not-found"),
        ({**purchase("o1"), "currency": "USD"}, "invalid-request"),
        ({**purchase("o1"), "occurred_at": TWO_DAYS_AHEAD}, "validation-error"),
    ],
)
def test_poison_goes_straight_to_the_dead_letter_queue_with_its_reason(aws, consume, member, body, reason):
    result = consume(message(body))

    assert result == {"batchItemFailures": []}  # not retried: it could never succeed
    assert dead_letters(aws) == [(body, reason)]
    assert member_state(aws.dynamodb, aws.table_name, "acme", member).available == 100


def test_same_order_with_another_body_is_dead_lettered_as_a_conflict(aws, consume, member):
    consume(message(purchase("o1")))
    consume(message(purchase("o1", amount="51.00")))
    assert dead_letters(aws) == [(purchase("o1", amount="51.00"), "idempotency-conflict")]
    assert member_state(aws.dynamodb, aws.table_name, "acme", member).available == 150


def test_a_throttled_record_alone_is_retried(aws, consume, member):
    def throttle_o2(params):
        return faults.throttling("TransactWriteItems") if "o2" in json.dumps(params, default=str) else None

    with faults.before_call("TransactWriteItems", throttle_o2):
        result = consume(
            message(purchase("o1"), "m-1"), message(purchase("o2"), "m-2"), message(purchase("o3"), "m-3")
        )

    assert result == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert dead_letters(aws) == []
    # When SQS redelivers it, it succeeds
    assert consume(message(purchase("o2"), "m-2")) == {"batchItemFailures": []}
    assert member_state(aws.dynamodb, aws.table_name, "acme", member).available == 250


def test_a_batch_that_fails_entirely_raises_so_sqs_retries_all_of_it(aws, consume, member):
    with (
        faults.before_call("TransactWriteItems", lambda params: faults.throttling("TransactWriteItems")),
        pytest.raises(BatchProcessingError),
    ):
        consume(message(purchase("o1")), message(purchase("o2")))
    assert member_state(aws.dynamodb, aws.table_name, "acme", member).available == 100


def test_transaction_conflicts_are_retried_inside_the_invocation(aws, consume, member):
    conflicts = iter([True, True, False])

    def conflict_twice(params):
        items = len(json.loads(params["body"])["TransactItems"])
        return faults.transaction_conflict(items) if next(conflicts, False) else None

    with faults.before_call("TransactWriteItems", conflict_twice) as calls:
        assert consume(message(purchase("o1"))) == {"batchItemFailures": []}

    assert len(calls) == 3
    assert member_state(aws.dynamodb, aws.table_name, "acme", member).available == 150


def test_a_response_lost_after_commit_is_answered_from_the_record_on_redelivery(aws, consume, member):
    with faults.lose_response_once("TransactWriteItems"):
        first = consume(message(purchase("o1"), "m-1"), message(purchase("o0"), "m-0"))
    assert first == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}  # the write committed, we did not hear

    assert consume(message(purchase("o1"), "m-1")) == {"batchItemFailures": []}
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert state.available == 200
    assert [entry.get("order_id") for entry in state.entries].count("o1") == 1


def test_an_erased_members_purchase_from_the_queue_is_dead_lettered_and_a_velocity_breach_withheld(
    api, shop, aws, consume, member
):
    # Given a rule of one earn an hour, and m2, enrolled then erased
    program = api.call("GET", "/v1/program", key=shop.admin_key).json()
    program["risk"] = {"velocity": [{"window_minutes": 60, "max_earns": 1}]}
    assert api.call("PUT", "/v1/program", program, key=shop.admin_key).status == 200
    assert api.call("POST", "/v1/members", {"member_id": "m2"}, key=shop.server_key).status == 201
    assert api.call("DELETE", "/v1/members/m2", key=shop.admin_key).status == 200

    # When m1's two purchases and one for m2 arrive in one batch
    result = consume(
        message(purchase("o1")), message(purchase("o2")), message(purchase("o3", member_id="m2"))
    )

    # Then m1's second purchase is recorded with its points withheld, and m2's is dead-lettered
    assert result == {"batchItemFailures": []}
    state = member_state(aws.dynamodb, aws.table_name, "acme", member)
    assert_adds_up(state)
    assert (state.available, state.withheld) == (150, 50)
    assert dead_letters(aws) == [(purchase("o3", member_id="m2"), "member-erased")]
    erased = member_state(aws.dynamodb, aws.table_name, "acme", "m2")
    assert_adds_up(erased)
    assert [entry["type"] for entry in erased.entries] == ["earn", "erase"]
