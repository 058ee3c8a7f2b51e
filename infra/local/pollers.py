"""SQS event source mappings, locally: queue messages delivered to their functions.

:class:`SqsPoller` does what Lambda's SQS poller does: receives up to the source's batch size
(waiting up to its batching window to fill a batch), invokes the function with the real SQS event
and deletes what succeeded. With ``ReportBatchItemFailures`` only the messages not listed in
``batchItemFailures`` are deleted (an invalid identifier fails the whole batch, as on Lambda); if
the function raises, nothing is deleted. Undeleted messages reappear after the queue's visibility
timeout, and SQS (moto) moves a message to the dead-letter queue on the receive after its
``maxReceiveCount``-th.
"""

from __future__ import annotations

import base64
import logging
import time
from typing import Any

from infra.events import QueueMessage, sqs_event
from infra.local.aws import Queue
from infra.local.runtime import Invoker, Worker
from infra.template_model import FunctionSpec, SqsSource

log = logging.getLogger("infra.local")

_WAIT_SECONDS = 1  # long-poll length: also bounds how long stop() waits for a poller


class SqsPoller(Worker):
    def __init__(self, invoker: Invoker, spec: FunctionSpec, source: SqsSource, queue: Queue, sqs: Any):
        super().__init__()
        self.name = f"sqs:{queue.logical_id}->{spec.logical_id}"
        self._invoker, self._spec, self._source, self._queue, self._sqs = invoker, spec, source, queue, sqs

    def run_once(self) -> None:
        messages = self._receive()
        if not messages:
            return
        event = sqs_event([_queue_message(message) for message in messages], self._queue.arn)
        try:
            result = self._invoker.invoke(self._spec, event)
        except Exception:
            log.exception(
                "%s: the function failed; its %d messages come back later", self.name, len(messages)
            )
            return
        failed = self._failed_ids(result, [str(message["MessageId"]) for message in messages])
        if failed:
            log.warning("%s: %d of %d messages failed", self.name, len(failed), len(messages))
        done = [message for message in messages if message["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            entries = [
                {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                for index, message in enumerate(done[start : start + 10])
            ]
            self._sqs.delete_message_batch(QueueUrl=self._queue.url, Entries=entries)

    def _receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        deadline: float | None = None
        while len(messages) < self._source.batch_size and not self.stopping:
            response = self._sqs.receive_message(
                QueueUrl=self._queue.url,
                MaxNumberOfMessages=min(10, self._source.batch_size - len(messages)),
                WaitTimeSeconds=0 if messages else _WAIT_SECONDS,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages", [])
            messages.extend(received)
            if not messages:
                return []
            if deadline is None:
                deadline = time.monotonic() + self._source.maximum_batching_window_seconds
            if time.monotonic() >= deadline:
                break
            if not received:
                self.wait(min(0.1, max(0.0, deadline - time.monotonic())))
        return messages

    def _failed_ids(self, result: Any, batch: list[str]) -> set[str]:
        if not self._source.report_batch_item_failures or result is None:
            return set()
        if not isinstance(result, dict):
            return set(batch)  # an invalid response fails the whole batch
        failures = result.get("batchItemFailures") or []
        identifiers = [item.get("itemIdentifier") if isinstance(item, dict) else None for item in failures]
        if any(identifier not in batch for identifier in identifiers):
            return set(batch)  # empty, null or unknown identifiers fail the whole batch
        return {str(identifier) for identifier in identifiers}


def _queue_message(message: dict[str, Any]) -> QueueMessage:
    attributes = message.get("Attributes", {})
    return QueueMessage(
        message_id=str(message["MessageId"]),
        receipt_handle=str(message["ReceiptHandle"]),
        body=str(message.get("Body", "")),
        receive_count=int(attributes.get("ApproximateReceiveCount", 1)),
        sent_at_ms=int(attributes.get("SentTimestamp", 0)),
        attributes={
            name: _lambda_attribute(value) for name, value in message.get("MessageAttributes", {}).items()
        },
    )


def _lambda_attribute(value: dict[str, Any]) -> dict[str, Any]:
    """A message attribute as Lambda's SQS event spells it (camelCase, binary as base64)."""
    binary = value.get("BinaryValue")
    attribute: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if binary is not None:
        attribute["binaryValue"] = base64.b64encode(binary).decode()
    return attribute
