"""Dead-letter redrive on the local AWS endpoint: SQS ``StartMessageMoveTask``, ``ListMessageMoveTasks``
and ``CancelMessageMoveTask``, which moto lacks.

``aws sqs start-message-move-task --source-arn <dead-letter queue ARN> [--destination-arn <queue ARN>]``
(or boto3's ``start_message_move_task``) against the stack's AWS endpoint moves every message
visible in the dead-letter queue to the destination: by default the queue whose redrive policy
names the dead-letter queue (its source), as on AWS. Each moved message is sent anew, with its
body and message attributes, so it starts with a receive count of 0; messages in flight stay.
The move happens at once, so the task is ``COMPLETED`` (or ``FAILED`` with its reason) by the time
the call answers; ``ListMessageMoveTasks`` reports it, newest first.

As on AWS, the source must be a dead-letter queue (some queue's redrive policy names it); a
dead-letter queue of several queues needs a ``--destination-arn`` here (AWS remembers each
message's origin; messages dead-lettered by the functions themselves carry none).
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from moto.core.responses import ActionResult
from moto.sqs.exceptions import SQSException
from moto.sqs.models import Queue, SQSBackend
from moto.sqs.responses import SQSResponse


@dataclass
class MoveTask:
    handle: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    started_ms: int
    status: str = "RUNNING"
    moved: int = 0
    to_move: int = 0
    failure_reason: str | None = None

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started_ms,
        }
        if self.status == "RUNNING":
            described["TaskHandle"] = self.handle
        if self.destination_arn:
            described["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            described["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure_reason:
            described["FailureReason"] = self.failure_reason
        return described


_tasks: list[MoveTask] = []
_lock = threading.Lock()


def start_move_task(
    backend: SQSBackend, source_arn: str, destination_arn: str | None, rate: int | None
) -> MoveTask:
    """Move the dead letters now; the task as ``ListMessageMoveTasks`` reports it."""
    source = _queue_by_arn(backend, source_arn, "SourceArn")
    sources = [queue for queue in backend.queues.values() if queue.dead_letter_queue is source]
    if not sources:
        raise SQSException(
            "InvalidParameterValue",
            f"Source queue {source.name} must be configured as a dead-letter queue "
            "(no queue's redrive policy names it).",
        )
    if destination_arn:
        destination = _queue_by_arn(backend, destination_arn, "DestinationArn")
    elif len(sources) == 1:
        destination = sources[0]
    else:
        names = ", ".join(sorted(queue.name for queue in sources))
        raise SQSException(
            "InvalidParameterValue",
            f"{source.name} is the dead-letter queue of several queues ({names}); "
            "give the queue to move its messages to as DestinationArn.",
        )
    if destination is source:
        raise SQSException("InvalidParameterValue", "DestinationArn must differ from SourceArn.")
    task = MoveTask(
        handle=uuid.uuid4().hex,
        source_arn=source_arn,
        destination_arn=destination_arn,
        rate=rate,
        started_ms=int(time.time() * 1000),
    )
    with _lock:
        waiting = [message for message in list(source._messages) if message.visible and not message.delayed]
        task.to_move = len(waiting)
        _tasks.append(task)
        for message in waiting:
            try:
                backend.send_message(
                    destination.name,
                    message.body,
                    message_attributes=message.message_attributes or None,
                    deduplication_id=message.deduplication_id if destination.fifo_queue else None,
                    group_id=message.group_id if destination.fifo_queue else None,
                )
            except SQSException as error:
                task.status, task.failure_reason = "FAILED", f"{error.code}: {error.message}"
                return task
            source._messages.remove(message)
            source.pending_messages.discard(message)
            task.moved += 1
        task.status = "COMPLETED"
    return task


def list_move_tasks(backend: SQSBackend, source_arn: str, max_results: int) -> list[MoveTask]:
    _queue_by_arn(backend, source_arn, "SourceArn")
    if not 1 <= max_results <= 10:
        raise SQSException("InvalidParameterValue", "MaxResults must be between 1 and 10.")
    with _lock:
        tasks = [task for task in _tasks if task.source_arn == source_arn]
    return tasks[::-1][:max_results]


def cancel_move_task(handle: str) -> MoveTask:
    with _lock:
        task = next((task for task in _tasks if task.handle == handle), None)
    if task is None:
        raise SQSException("ResourceNotFoundException", f"No message move task has the handle {handle}.")
    # Tasks finish within the call that starts them, so there is never one left to cancel.
    raise SQSException(
        "InvalidParameterValue",
        f"The message move task {handle} is {task.status}: only a running one can be cancelled.",
    )


def _queue_by_arn(backend: SQSBackend, arn: str | None, parameter: str) -> Queue:
    if not arn:
        raise SQSException("InvalidParameterValue", f"{parameter} is required.")
    for queue in backend.queues.values():
        if queue.queue_arn == arn:
            return queue
    raise SQSException("ResourceNotFoundException", f"The queue {arn} given as {parameter} does not exist.")


# ---------------------------------------------------------------------- moto's SQS endpoint, extended


def _start_message_move_task(self: SQSResponse) -> ActionResult:
    rate = self._get_param("MaxNumberOfMessagesPerSecond")
    task = start_move_task(
        self.sqs_backend,
        self._get_param("SourceArn"),
        self._get_param("DestinationArn"),
        int(rate) if rate is not None else None,
    )
    return ActionResult({"TaskHandle": task.handle})


def _list_message_move_tasks(self: SQSResponse) -> ActionResult:
    tasks = list_move_tasks(
        self.sqs_backend, self._get_param("SourceArn"), int(self._get_param("MaxResults", 1))
    )
    return ActionResult({"Results": [task.describe() for task in tasks]})


def _cancel_message_move_task(self: SQSResponse) -> ActionResult:
    task = cancel_move_task(str(self._get_param("TaskHandle") or ""))
    return ActionResult({"ApproximateNumberOfMessagesMoved": task.moved})


def add_move_tasks_to_moto() -> None:
    for name, method in (
        ("start_message_move_task", _start_message_move_task),
        ("list_message_move_tasks", _list_message_move_tasks),
        ("cancel_message_move_task", _cancel_message_move_task),
    ):
        setattr(SQSResponse, name, method)
