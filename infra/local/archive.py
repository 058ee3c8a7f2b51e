"""The event archive, locally: every bus event to the local S3 through Kinesis Data Firehose.

In AWS, the template's ``ArchiveRule`` sends each event to ``ArchiveDeliveryStream``, whose dynamic
partitioning extracts the partition keys with a JQ query and writes under the ``Prefix`` with them
filled in. moto's EventBridge has no Firehose target and its Firehose writes its prefix as given,
so here a bus rule feeds a queue (as for the event tap), and this worker resolves each event's
partition keys from the template's own query (the ``{name: .path, name: .path[a:b]}`` form it
uses), then puts each partition's events, one JSON per line, through a moto delivery stream whose
prefix is that partition's: objects land under ``events/tenant=.../date=.../`` in the local bucket.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import boto3

from infra.local.aws import Queue, make_queue
from infra.local.runtime import Worker
from infra.template_model import load_yaml

log = logging.getLogger("infra.local")

_FIELD = re.compile(r"(\w+)\s*:\s*\.([\w.]+)(?:\[(\d+):(\d+)\])?")


def archive_config(template_path: Path) -> tuple[str, dict[str, tuple[list[str], slice | None]]] | None:
    """(prefix, partition key -> (path, slice)) of the template's archive delivery stream, if any."""
    resource = load_yaml(template_path).get("Resources", {}).get("ArchiveDeliveryStream")
    if not resource:
        return None
    destination = resource["Properties"]["ExtendedS3DestinationConfiguration"]
    query = next(
        parameter["ParameterValue"]
        for processor in destination["ProcessingConfiguration"]["Processors"]
        if processor["Type"] == "MetadataExtraction"
        for parameter in processor["Parameters"]
        if parameter["ParameterName"] == "MetadataExtractionQuery"
    )
    keys = {
        name: (path.split("."), slice(int(start), int(end)) if start else None)
        for name, path, start, end in _FIELD.findall(query)
    }
    return str(destination["Prefix"]), keys


def partition_prefix(
    event: dict[str, Any], prefix: str, keys: dict[str, tuple[list[str], slice | None]]
) -> str:
    resolved = prefix
    for name, (path, part) in keys.items():
        value: Any = event
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        text = "" if value is None else str(value)
        resolved = resolved.replace(f"!{{partitionKeyFromQuery:{name}}}", text[part] if part else text)
    return resolved


class EventArchive(Worker):
    name = "event-archive"

    def __init__(
        self, sqs: Any, events: Any, bus_name: str, prefix: str, endpoint: str, region: str, template: Path
    ):
        super().__init__()
        self._sqs, self._events, self._bus_name, self._prefix = sqs, events, bus_name, prefix
        self._s3 = boto3.client("s3", endpoint_url=endpoint, region_name=region)
        self._firehose = boto3.client("firehose", endpoint_url=endpoint, region_name=region)
        self._config = archive_config(template)
        self._streams: set[str] = set()
        self.bucket = f"{prefix}-archive".lower()
        self.queue: Queue | None = None

    def create(self) -> None:
        if self._config is None:
            return
        with contextlib.suppress(self._s3.exceptions.BucketAlreadyOwnedByYou):
            self._s3.create_bucket(Bucket=self.bucket)
        self.queue = make_queue(self._sqs, "EventArchive", f"{self._prefix}-event-archive", {})
        rule = f"{self._prefix}-event-archive"
        self._events.put_rule(
            Name=rule,
            EventBusName=self._bus_name,
            EventPattern=json.dumps({"source": ["loyalty"]}),
            State="ENABLED",
        )
        self._events.put_targets(
            Rule=rule, EventBusName=self._bus_name, Targets=[{"Id": "event-archive", "Arn": self.queue.arn}]
        )

    def run_once(self) -> None:
        if self.queue is None or self._config is None:
            self.wait(1.0)
            return
        messages = self._sqs.receive_message(
            QueueUrl=self.queue.url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        prefix, keys = self._config
        groups: dict[str, list[bytes]] = defaultdict(list)
        for message in messages:
            try:
                event = json.loads(message["Body"])
            except ValueError:
                continue
            event.pop("ingestion-time", None)
            groups[partition_prefix(event, prefix, keys)].append((json.dumps(event) + "\n").encode())
        for partition, records in groups.items():
            stream = self._stream_for(partition)
            self._firehose.put_record_batch(
                DeliveryStreamName=stream, Records=[{"Data": data} for data in records]
            )
        if messages:
            self._sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]}
                    for index, m in enumerate(messages)
                ],
            )

    def _stream_for(self, partition: str) -> str:
        name = f"{self._prefix}-archive-{hashlib.sha256(partition.encode()).hexdigest()[:12]}"
        if name not in self._streams:
            with contextlib.suppress(self._firehose.exceptions.ResourceInUseException):
                self._firehose.create_delivery_stream(
                    DeliveryStreamName=name,
                    DeliveryStreamType="DirectPut",
                    ExtendedS3DestinationConfiguration={
                        "BucketARN": f"arn:aws:s3:::{self.bucket}",
                        "RoleARN": "arn:aws:iam::123456789012:role/archive",
                        "Prefix": partition,
                    },
                )
            self._streams.add(name)
        return name
