"""The AWS a test runs against: moto in process, with the table on moto or on DynamoDB Local.

SQS and EventBridge are always moto; DynamoDB is whichever backend the test is parametrised with.
Tables are created from template.yaml's own definition, so tests use exactly the deployed shape.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto import mock_aws

from infra.local.aws import bucket_name, make_bucket
from infra.template_model import load_template


@dataclass(frozen=True)
class Aws:
    backend: str
    table_name: str
    dynamodb: Any
    sqs: Any
    events: Any
    purchase_queue_url: str
    purchase_dlq_url: str
    bus_name: str
    queues: dict[str, str]  # every queue of the template: logical id -> URL
    s3: Any = None
    buckets: dict[str, str] = field(default_factory=dict)  # every bucket of the template: logical id -> name


def create_tables_from_template(client: Any, name: str, *, stream: bool = True) -> None:
    """The template's table. Without `stream`, the table has no stream: DynamoDB Local keeps the
    stream records even of deleted tables, and every later write to a table with a stream gets
    slower with them (10,000 puts: 5 s first, 77 s after one such table, 149 s after two)."""
    spec = next(table for table in load_template().tables if table.logical_id == "LoyaltyTable")
    kwargs = dict(spec.create_table_kwargs)
    if not stream:
        kwargs.pop("StreamSpecification", None)
    client.create_table(TableName=name, **kwargs)
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})


def create_queues_from_template(sqs: Any, suffix: str) -> dict[str, str]:
    urls: dict[str, str] = {}
    template = load_template()
    for queue in sorted(template.queues, key=lambda queue: queue.redrive_target is not None):
        attributes = {"VisibilityTimeout": str(queue.visibility_timeout)}
        if queue.redrive_target:
            arn = sqs.get_queue_attributes(QueueUrl=urls[queue.redrive_target], AttributeNames=["QueueArn"])
            attributes["RedrivePolicy"] = (
                f'{{"deadLetterTargetArn":"{arn["Attributes"]["QueueArn"]}",'
                f'"maxReceiveCount":"{queue.max_receive_count}"}}'
            )
        urls[queue.logical_id] = sqs.create_queue(
            QueueName=f"{queue.logical_id}-{suffix}", Attributes=attributes
        )["QueueUrl"]
    return urls


@contextmanager
def aws_environment(backend: str, dynamodb_endpoint: str | None, *, stream: bool = True) -> Iterator[Aws]:
    suffix = uuid.uuid4().hex[:8]
    saved = dict(os.environ)
    with mock_aws():
        if dynamodb_endpoint:
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = dynamodb_endpoint
        dynamodb = boto3.client("dynamodb")
        sqs, events = boto3.client("sqs"), boto3.client("events")
        table = f"loyalty-{suffix}"
        create_tables_from_template(dynamodb, table, stream=stream)
        queues = create_queues_from_template(sqs, suffix)
        bus = f"loyalty-{suffix}"
        events.create_event_bus(Name=bus)
        s3 = boto3.client("s3")
        buckets = {
            logical_id: make_bucket(s3, bucket_name(f"loyalty-{suffix}", logical_id))
            for logical_id in load_template().buckets
        }
        os.environ.update(
            TABLE_NAME=table,
            EVENT_BUS_NAME=bus,
            PURCHASE_DLQ_URL=queues["PurchaseDeadLetterQueue"],
            EXPIRY_QUEUE_URL=queues["ExpiryShardQueue"],
            EXPIRY_DLQ_URL=queues["ExpiryShardDeadLetterQueue"],
            PROGRAM_CACHE_SECONDS="0",
            EXPORT_BUCKET=buckets["ExportBucket"],
            EXPORT_QUEUE_URL=queues["ExportQueue"],
            EXPORT_DLQ_URL=queues["ExportDeadLetterQueue"],
            IMPORT_QUEUE_URL=queues["ImportQueue"],
            IMPORT_DLQ_URL=queues["ImportDeadLetterQueue"],
        )
        reset_caches()
        try:
            yield Aws(
                backend,
                table,
                dynamodb,
                sqs,
                events,
                queues["PurchaseQueue"],
                queues["PurchaseDeadLetterQueue"],
                bus,
                queues,
                s3,
                buckets,
            )
        finally:
            if dynamodb_endpoint:
                dynamodb.delete_table(TableName=table)
            os.environ.clear()
            os.environ.update(saved)
            reset_caches()


def reset_caches() -> None:
    """Settings and clients are cached per warm Lambda; a new test is a new cold start."""
    from loyalty.consumers.expiry_shards import default_shard_dead_letters, default_shard_queue
    from loyalty.consumers.exports import default_export_dead_letters, default_exports
    from loyalty.consumers.imports import default_import_dead_letters, default_imports
    from loyalty.consumers.outbox import default_bus
    from loyalty.consumers.purchases import default_dead_letters
    from loyalty.consumers.webhooks import dispatch_dead_letters
    from loyalty.operations.context import default_context, default_jobs
    from loyalty.operations.webhooks import default_webhooks
    from loyalty.settings import get_settings

    for cached in (
        get_settings,
        default_context,
        default_jobs,
        default_dead_letters,
        default_bus,
        default_shard_queue,
        default_shard_dead_letters,
        default_exports,
        default_export_dead_letters,
        default_imports,
        default_import_dead_letters,
        default_webhooks,
        dispatch_dead_letters,
    ):
        cached.cache_clear()
