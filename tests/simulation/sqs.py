"""The purchase queue as SQS behaves, and the real EarnFunction invoked as its event source mapping.

Owns delivery semantics, every choice drawn from the simulator's RNG: at-least-once (an
acknowledged message may come again later), no order (a batch is drawn from a window of the
queue and shuffled; the same message may even appear twice in one batch), failed records come
back after their visibility timeout, and a message received `maxReceiveCount` times without
success is moved to the dead-letter queue by SQS itself (the redrive policy in template.yaml).

`EarnLambda` invokes `functions/earn/app.py`'s real `lambda_handler` with real SQS events
(`infra.events.sqs_event`). It wraps the record handler the function passes to powertools only to
learn which record is running (so each commit, dead letter and fault is attributed to a record) and
to end the invocation between two records when the plan says the Lambda times out there.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from infra.events import QueueMessage, sqs_event
from infra.lambdas import invoke, load_handler
from infra.template_model import load_template
from tests.simulation.requests import QueueRequest
from tests.simulation.wire import Fault, LambdaTimeout, Wire

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:PurchaseQueue"


@dataclass
class Message:
    message_id: str
    body: str
    request: QueueRequest
    receive_count: int = 0


@dataclass
class RecordRun:
    """One record as the function processed it in one invocation."""

    index: int
    message: Message
    error: BaseException | None = None
    finished: bool = False

    def __repr__(self) -> str:
        return f"record {self.index} ({self.message.message_id})"


@dataclass
class Invocation:
    batch: list[Message]
    runs: list[RecordRun] = field(default_factory=list)
    failed_ids: set[str] = field(default_factory=set)
    crashed: str | None = None  # why the whole batch goes back: timeout or every record failed
    unexpected: Exception | None = None  # the handler raised something SQS would see as a crash
    response: Any = None


@dataclass(frozen=True)
class TimeoutPlan:
    """Where the invocation dies: before record `record` starts, or at DynamoDB call `call`."""

    record: int | None = None
    call: int | None = None
    phase: str = "before"


class SimulatedQueue:
    def __init__(self, rng: random.Random, max_receive_count: int, batch_size: int) -> None:
        self.rng = rng
        self.max_receive_count = max_receive_count
        self.batch_size = batch_size
        self.visible: list[Message] = []
        self.redriven: list[Message] = []
        self.sent: list[Message] = []

    def __len__(self) -> int:
        return len(self.visible)

    def send(self, message: Message) -> None:
        self.sent.append(message)
        self.visible.append(message)

    def receive(self, duplicate_in_batch: float) -> list[Message]:
        size = self.rng.randint(1, self.batch_size)
        window = self.visible[: size * 2]
        self.rng.shuffle(window)
        batch = window[:size]
        taken = {id(message) for message in batch}
        self.visible = [message for message in self.visible if id(message) not in taken]
        for message in batch:
            message.receive_count += 1
        if len(batch) < self.batch_size and self.rng.random() < duplicate_in_batch:
            batch.insert(self.rng.randint(0, len(batch)), self.rng.choice(batch))
        return batch

    def settle(self, invocation: Invocation, duplicate_later: float) -> list[Message]:
        """Delete what succeeded, make the rest visible again later; returns redriven messages."""
        back = {
            id(message): message
            for message in invocation.batch
            if invocation.crashed or message.message_id in invocation.failed_ids
        }
        redriven = []
        for message in back.values():
            if message.receive_count >= self.max_receive_count:
                self.redriven.append(message)
                redriven.append(message)
            else:
                self._later(message)
        for message in {id(message): message for message in invocation.batch}.values():
            if id(message) not in back and self.rng.random() < duplicate_later:
                self._later(Message(message.message_id, message.body, message.request, message.receive_count))
        return redriven

    def _later(self, message: Message) -> None:
        self.visible.insert(self.rng.randint(len(self.visible) // 2, len(self.visible)), message)


class EarnLambda:
    def __init__(self, wire: Wire) -> None:
        template = load_template()
        self.spec = template.function("EarnFunction")
        source = next(
            source for source in self.spec.sqs_sources if source.queue_logical_id == "PurchaseQueue"
        )
        queue = next(queue for queue in template.queues if queue.logical_id == "PurchaseQueue")
        self.batch_size = source.batch_size
        self.max_receive_count = queue.max_receive_count or 10**9
        self.handler = load_handler(self.spec)
        self.module = importlib.import_module(self.spec.code_dir.replace("/", ".") + ".app")
        self.wire = wire
        self._invocation: Invocation | None = None
        self._plan = TimeoutPlan()

    @contextmanager
    def installed(self) -> Iterator[EarnLambda]:
        # The function imports its queue consumer on the first queue event (a cold-start saving):
        # wrap the consumer where it lives, and let the function import it afresh.
        consumers = importlib.import_module("loyalty.consumers.purchases")
        real = consumers.consume_purchase

        def record_handler(record: Any) -> Any:
            invocation = self._invocation
            assert invocation is not None
            index = len(invocation.runs)
            if self._plan.record == index:
                self.wire.faults.append(Fault("timeout", f"before record {index}", None))
                raise LambdaTimeout(f"Lambda timeout before record {index}")
            run = RecordRun(index, invocation.batch[index])
            invocation.runs.append(run)
            self.wire.label = run
            try:
                result = real(record)
            except BaseException as error:
                run.error = error
                raise
            run.finished = True
            return result

        self.module._queue_consumer.cache_clear()
        try:
            with mock.patch.object(consumers, "consume_purchase", record_handler):
                yield self
        finally:
            self.module._queue_consumer.cache_clear()

    def invoke(self, batch: list[Message], plan: TimeoutPlan) -> Invocation:
        invocation = Invocation(batch)
        self._invocation, self._plan = invocation, plan
        if plan.call is not None:
            self.wire.arm_timeout(plan.call, plan.phase)
        event = sqs_event(
            [
                QueueMessage(
                    message_id=message.message_id,
                    receipt_handle=f"{message.message_id}-{message.receive_count}",
                    body=message.body,
                    receive_count=message.receive_count,
                    sent_at_ms=1,
                )
                for message in batch
            ],
            QUEUE_ARN,
        )
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # EMF metrics, flushed every 100 values
                invocation.response = invoke(self.spec, self.handler, event)
            invocation.failed_ids = {
                item["itemIdentifier"] for item in invocation.response["batchItemFailures"]
            }
        except LambdaTimeout as timeout:
            invocation.crashed = str(timeout)
        except BatchProcessingError:
            invocation.crashed = "every record failed (BatchProcessingError)"
        except Exception as error:
            invocation.crashed = f"the handler raised {error!r}"
            invocation.unexpected = error
        finally:
            self.wire.disarm()
            self.wire.label = None
            self._invocation = None
        return invocation
