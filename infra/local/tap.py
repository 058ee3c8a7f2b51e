"""What was published on the event bus, for ``GET /_local/events``.

The tap is an ordinary EventBridge consumer: a rule on the bus matching ``{"source": ["loyalty"]}``
with an SQS queue as its target (moto delivers bus -> rule -> SQS target as EventBridge does),
drained by a thread into a ring of the last 1000 events. Each event keeps the shape EventBridge
gives a target (``version``, ``id``, ``detail-type``, ``source``, ``account``, ``time``,
``region``, ``resources``, ``detail``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from typing import Any

from infra.events import ACCOUNT
from infra.local.aws import Queue, make_queue
from infra.local.runtime import Worker

log = logging.getLogger("infra.local")

CAPACITY = 20_000  # a whole e2e run's events (a reminders run alone can publish thousands)
PATTERN = {"source": ["loyalty"]}


class EventTap(Worker):
    name = "event-tap"

    def __init__(self, sqs: Any, events: Any, bus_name: str, prefix: str) -> None:
        super().__init__()
        self._sqs = sqs
        self._events = events
        self._bus_name = bus_name
        self._prefix = prefix
        self._ring: deque[dict[str, Any]] = deque(maxlen=CAPACITY)
        self._lock = threading.Lock()
        self.queue: Queue | None = None

    def create(self) -> None:
        """The tap queue, and the rule that targets it (run before the stack serves requests)."""
        self.queue = make_queue(self._sqs, "EventTap", f"{self._prefix}-event-tap", {})
        rule = f"{self._prefix}-event-tap"
        self._events.put_rule(
            Name=rule, EventBusName=self._bus_name, EventPattern=json.dumps(PATTERN), State="ENABLED"
        )
        self._events.put_targets(
            Rule=rule, EventBusName=self._bus_name, Targets=[{"Id": "event-tap", "Arn": self.queue.arn}]
        )

    def run_once(self) -> None:
        assert self.queue is not None
        response = self._sqs.receive_message(
            QueueUrl=self.queue.url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        messages = response.get("Messages", [])
        for message in messages:
            try:
                event = json.loads(message["Body"])
            except ValueError:
                log.warning("event tap: a message that is not an event: %.200s", message["Body"])
                continue
            event.pop("ingestion-time", None)  # moto's bookkeeping, not part of the event
            event.setdefault("account", ACCOUNT)
            with self._lock:
                self._ring.append(event)
        if messages:
            self._sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]}
                    for index, m in enumerate(messages)
                ],
            )

    def recent(
        self, limit: int, detail_type: str | None = None, member_id: str | None = None
    ) -> list[dict[str, Any]]:
        """The last ``limit`` events, newest first; of one detail-type and/or one member if asked."""
        with self._lock:
            events = list(self._ring)
        chosen = (
            event
            for event in reversed(events)
            if (detail_type is None or event.get("detail-type") == detail_type)
            and (member_id is None or (event.get("detail") or {}).get("member_id") == member_id)
        )
        return [event for _, event in zip(range(limit), chosen, strict=False)]
