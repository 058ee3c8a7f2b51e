"""The product's flows against the table and queues that CloudFormation created from template.yaml
(SAM-translated offline, created in moto), so code and template cannot disagree on names or keys."""

from __future__ import annotations

import json
import os

import pytest
from moto import mock_aws

from infra.events import QueueMessage, sqs_event
from infra.lambdas import invoke, load_handler
from infra.sam_translate import create_stack_in_moto
from infra.template_model import load_template
from tests.support.api import create_tenant, make_api
from tests.support.backends import reset_caches


@pytest.fixture
def stack(monkeypatch):
    with mock_aws():
        resources = create_stack_in_moto()
        monkeypatch.setenv("TABLE_NAME", resources.table_name)
        monkeypatch.setenv("EVENT_BUS_NAME", resources.event_bus_name)
        monkeypatch.setenv("PURCHASE_DLQ_URL", resources.dlq_url)
        monkeypatch.setenv("PROGRAM_CACHE_SECONDS", "0")
        reset_caches()
        yield resources
    reset_caches()


def test_http_and_queue_flows_run_on_the_stack_the_template_creates(stack):
    import boto3

    api = make_api()
    shop = create_tenant(api, "acme")
    assert api.call("POST", "/v1/members", {"member_id": "m1"}, key=shop.server_key).status == 201
    body = {"order_id": "o1", "member_id": "m1", "amount": "42.00", "currency": "CNY"}
    assert api.call("POST", "/v1/purchases", body, key=shop.server_key).json()["points_earned"] == 42

    spec = load_template().function("EarnFunction")
    poison = QueueMessage(message_id="p1", receipt_handle="r", body="{oops")
    good = QueueMessage(
        message_id="g1", receipt_handle="r", body=json.dumps({**body, "order_id": "o2", "tenant_id": "acme"})
    )
    assert invoke(
        spec, load_handler(spec), sqs_event([poison, good], "arn:aws:sqs:us-east-1:123456789012:q")
    ) == {"batchItemFailures": []}

    assert api.call("GET", "/v1/members/m1", key=shop.server_key).json()["balance"]["available"] == 184
    dead = boto3.client("sqs").receive_message(QueueUrl=stack.dlq_url, MessageAttributeNames=["All"])[
        "Messages"
    ]
    assert [message["MessageAttributes"]["reason"]["StringValue"] for message in dead] == ["malformed-json"]
    assert os.environ["TABLE_NAME"] == stack.table_name
