"""SQS and EventBridge clients: dead-lettering poison messages and publishing events."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3

from loyalty.errors import TransientError
from loyalty.store.table import CLIENT_CONFIG

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sqs import SQSClient


class _Queue:
    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> SQSClient:
        if self._client is None:
            self._client = boto3.client("sqs", config=CLIENT_CONFIG)
        return self._client

    def _url(self) -> str:
        if not self.queue_url:
            raise RuntimeError(f"{type(self).__name__}: the queue's URL is not configured")
        return self.queue_url


class WorkQueue(_Queue):
    """Where a scheduled run leaves work for its workers."""

    def send(self, bodies: list[str]) -> None:
        """Send every body (10 per call, as SQS allows); raise if any was not accepted, so the
        run fails and is retried rather than leaving a shard unwalked."""
        url = self._url()
        for start in range(0, len(bodies), 10):
            chunk = bodies[start : start + 10]
            response = self.client.send_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(index), "MessageBody": body} for index, body in enumerate(chunk)],
            )
            if response.get("Failed"):
                raise TransientError(f"queue refused {len(response['Failed'])} messages")


class DeadLetterQueue(_Queue):
    """Where a message that can never succeed goes at once, with the reason attached."""

    def send(self, body: str, reason: str, detail: str, source_message_id: str) -> None:
        self.client.send_message(
            QueueUrl=self._url(),
            MessageBody=body,
            MessageAttributes={
                "reason": {"DataType": "String", "StringValue": reason},
                "detail": {"DataType": "String", "StringValue": detail[:1000] or reason},
                "source_message_id": {"DataType": "String", "StringValue": source_message_id},
            },
        )


class EventBus:
    def __init__(self, bus_name: str, client: EventBridgeClient | None = None) -> None:
        self.bus_name = bus_name
        self._client = client

    @property
    def client(self) -> EventBridgeClient:
        if self._client is None:
            self._client = boto3.client("events", config=CLIENT_CONFIG)
        return self._client

    def publish(self, events: list[dict[str, Any]]) -> list[int]:
        """Put events (at most 10 per call, as EventBridge allows); return the indexes that failed."""
        failed: list[int] = []
        for start in range(0, len(events), 10):
            chunk = events[start : start + 10]
            response = self.client.put_events(
                Entries=[
                    {
                        "Source": event["source"],
                        "DetailType": event["detail-type"],
                        "Detail": json.dumps(event["detail"]),
                        "EventBusName": self.bus_name,
                        **({"Time": event["time"]} if "time" in event else {}),
                    }
                    for event in chunk
                ]
            )
            for index, entry in enumerate(response.get("Entries", [])):
                if entry.get("ErrorCode"):
                    failed.append(start + index)
        return failed
