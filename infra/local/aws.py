"""The AWS side of the local stack: moto's server on one loopback port, and the template's resources in it.

:class:`MotoEndpoint` runs ``ThreadedMotoServer`` (DynamoDB + Streams, SQS, EventBridge...) in this
process. :func:`create_resources` creates, from the template model only, the table (on moto, or
created/reused on another DynamoDB endpoint such as DynamoDB Local), the queues with their redrive
policies (moto itself moves a message to the dead-letter queue once it has been received
``maxReceiveCount`` times, as SQS does) and the event bus, and returns their physical names.
"""

from __future__ import annotations

import json
import logging
import socket
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from infra.local import moto_fixes
from infra.template_model import TableSpec, TemplateModel

log = logging.getLogger("infra.local")

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=30)


class PortInUseError(OSError):
    pass


def ensure_free(port: int, what: str) -> None:
    """Fail fast when ``port`` is taken (moto's server thread would otherwise hang start())."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise PortInUseError(f"port {port} ({what}) is already in use: {error}") from error


class MotoEndpoint:
    """moto's server on 127.0.0.1:port, in a thread of this process."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._server: ThreadedMotoServer | None = None

    def start(self) -> None:
        ensure_free(self.port, "AWS endpoint")
        moto_fixes.apply()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


@dataclass(frozen=True)
class Clients:
    dynamodb: Any
    streams: Any
    sqs: Any
    events: Any
    s3: Any


def make_clients(region: str, endpoint: str, dynamodb_endpoint: str | None) -> Clients:
    def client(service: str, url: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=url, config=_CONFIG)  # type: ignore[call-overload]

    table_url = dynamodb_endpoint or endpoint
    return Clients(
        dynamodb=client("dynamodb", table_url),
        streams=client("dynamodbstreams", table_url),
        sqs=client("sqs", endpoint),
        events=client("events", endpoint),
        s3=client("s3", endpoint),
    )


@dataclass(frozen=True)
class Queue:
    logical_id: str
    name: str
    url: str
    arn: str


@dataclass(frozen=True)
class Table:
    logical_id: str
    name: str
    stream_arn: str | None
    created: bool  # False when an existing table (e.g. on DynamoDB Local) was reused


@dataclass
class Resources:
    tables: dict[str, Table] = field(default_factory=dict)
    queues: dict[str, Queue] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)  # logical id -> bucket name
    bus_name: str = ""

    def physical(self, logical_id: str) -> str | None:
        """What ``!Ref logical_id`` resolves to: a table name, a queue URL, a bucket or the bus name."""
        if logical_id in self.tables:
            return self.tables[logical_id].name
        if logical_id in self.buckets:
            return self.buckets[logical_id]
        if logical_id in self.queues:
            return self.queues[logical_id].url
        return None


def create_resources(template: TemplateModel, clients: Clients, prefix: str) -> Resources:
    resources = Resources(bus_name=prefix)
    for index, table in enumerate(template.tables):
        name = prefix if index == 0 else f"{prefix}-{table.logical_id}"
        resources.tables[table.logical_id] = _ensure_table(clients.dynamodb, table, name)
    # Dead-letter queues first: a redrive policy names its target's ARN.
    for queue in sorted(template.queues, key=lambda spec: spec.redrive_target is not None):
        attributes = {
            "VisibilityTimeout": str(queue.visibility_timeout),
            "MessageRetentionPeriod": str(queue.retention),
        }
        if queue.redrive_target and queue.max_receive_count:
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": resources.queues[queue.redrive_target].arn,
                    "maxReceiveCount": queue.max_receive_count,
                }
            )
        resources.queues[queue.logical_id] = make_queue(
            clients.sqs, queue.logical_id, f"{prefix}-{queue.logical_id}", attributes
        )
    for logical_id in template.buckets:
        resources.buckets[logical_id] = make_bucket(clients.s3, bucket_name(prefix, logical_id))
    clients.events.create_event_bus(Name=resources.bus_name)
    for rule in template.rules:
        name = f"{prefix}-{rule.logical_id}"
        clients.events.put_rule(
            Name=name,
            EventBusName=resources.bus_name,
            EventPattern=json.dumps(rule.event_pattern),
            State="ENABLED",
        )
        targets = [{"Id": queue_id, "Arn": resources.queues[queue_id].arn} for queue_id in rule.queue_targets]
        if targets:
            clients.events.put_targets(Rule=name, EventBusName=resources.bus_name, Targets=targets)
    return resources


def bucket_name(prefix: str, logical_id: str) -> str:
    """A valid S3 name: lowercase, hyphens, at most 63 characters."""
    name = "".join(char if char.isalnum() else "-" for char in f"{prefix}-{logical_id}".lower())
    return name[:63].strip("-")


def make_bucket(s3: Any, name: str) -> str:
    try:
        region = s3.meta.region_name
        location = (
            {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        s3.create_bucket(Bucket=name, **location)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
            raise
    return name


def make_queue(sqs: Any, logical_id: str, name: str, attributes: dict[str, str]) -> Queue:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return Queue(logical_id, name, str(url), str(arn))


def _ensure_table(dynamodb: Any, spec: TableSpec, name: str) -> Table:
    created = False
    try:
        described = dynamodb.describe_table(TableName=name)["Table"]
        log.info("reusing the existing table %s", name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        dynamodb.create_table(TableName=name, **spec.create_table_kwargs)
        dynamodb.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 150}
        )
        described = dynamodb.describe_table(TableName=name)["Table"]
        created = True
        if spec.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
            )
    wants_stream = "StreamSpecification" in spec.create_table_kwargs
    stream_arn = described.get("LatestStreamArn") if described.get("StreamSpecification") else None
    if wants_stream and not stream_arn:
        log.warning("table %s has no stream enabled: its stream sources will not run", name)
    return Table(spec.logical_id, name, str(stream_arn) if stream_arn else None, created)
