"""The harness's hands on the wire: botocore hooks on the ledger's DynamoDB client and the DLQ client.

Owns three things, every choice drawn from the simulator's one RNG:
- the commit journal: each write DynamoDB accepted (HTTP 200), whatever the caller heard
  afterwards. A TransactWriteItems is named by the operation record it carries
  (`T#{tenant}#OP#{kind}#{id}`); one without a record by what it wrote (`tier`: a tier decision on
  a member item, no ledger entry; `coupon_use`: a coupon and its member reference; kind None: a
  ledger entry without its idempotency record, which is never acceptable). A single-item write is
  named by its item (`fulfil`: a redemption record; `checkpoint`: a scheduled run's job item);
- fault injection: a `TransactionConflict` cancellation or throttling before a call reaches
  DynamoDB, a response lost after the write committed (the crash-after-commit case; single-item
  writes are throttled and lose responses alike), and the Lambda runtime's timeout at a planned
  DynamoDB call of an invocation (before it is sent, or after its answer came back);
- the dead-letter tap: each message the consumer sends to the dead-letter queue, with its reason.

Throttling is raised from the before-call hook, so botocore's own retries never see it: it stands
for throttling that outlived them. The hooks only observe and raise; they never change a request.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ReadTimeoutError

from tests.support.faults import throttling, transaction_conflict

READS = frozenset({"GetItem", "BatchGetItem", "Query"})
SINGLE_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})


class LambdaTimeout(BaseException):
    """The Lambda runtime ended the invocation at its timeout: nothing in the handler may catch it."""


@dataclass(frozen=True)
class Commit:
    """A write DynamoDB accepted, named as `name_write` names it (kind None: a ledger entry written
    without an operation record)."""

    tenant_id: str | None
    kind: str | None
    natural_id: str | None
    label: object  # who was running: "http", "job" or the queue record being processed


@dataclass(frozen=True)
class Fault:
    kind: str  # conflict, throttle-write, throttle-read, lost-response, timeout
    operation: str
    label: object


@dataclass(frozen=True)
class DeadLetter:
    source_message_id: str
    reason: str
    body: str
    label: object


@dataclass(frozen=True)
class FaultRates:
    """Per DynamoDB call, when faults are enabled."""

    conflict: float = 0.05
    throttle_write: float = 0.015
    lost_response: float = 0.02
    throttle_read: float = 0.01


def operation_of(transact_items: list[dict[str, Any]]) -> tuple[str, str, str] | None:
    """(tenant, kind, natural id) of the operation record a ledger transaction puts, if any."""
    for item in transact_items:
        put = item.get("Put")
        if not put:
            continue
        parts = put["Item"].get("PK", {}).get("S", "").split("#")
        if len(parts) == 5 and parts[0] == "T" and parts[2] == "OP":
            return parts[1], parts[3], parts[4]
    return None


def _key(item: dict[str, Any]) -> tuple[str, str]:
    """(PK, SK) of a written item, from a Put's item or an Update's, Delete's or check's key."""
    key = item.get("Item") or item.get("Key") or {}
    return key.get("PK", {}).get("S", ""), key.get("SK", {}).get("S", "")


def name_write(operation: str, body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(tenant, kind, natural id) of a write, as the commit journal names it."""
    if operation == "TransactWriteItems":
        items = body["TransactItems"]
        named = operation_of(items)
        if named is not None:
            return named
        written = [_key(next(iter(item.values()))) for item in items]
        if any(sk.startswith("LEDGER#") for _, sk in written):
            return None, None, None
        for pk, sk in written:
            parts = pk.split("#")
            if sk == "MEMBER" and len(parts) == 4:
                return parts[1], "tier", parts[3]
            if len(parts) == 4 and parts[2] == "COUPON":
                return parts[1], "coupon_use", parts[3]
        return None, "unknown", str(written)
    pk, sk = _key(body)
    if pk.startswith("JOB#"):
        return None, "checkpoint", pk.removeprefix("JOB#")
    parts = pk.split("#")
    if sk.startswith("REDEMPTION#") and len(parts) == 4:
        return parts[1], "fulfil", sk.removeprefix("REDEMPTION#")
    return (parts[1] if len(parts) > 1 else None), "unknown", f"{operation} {pk} {sk}"


class Wire:
    def __init__(
        self, rng: random.Random, rates: FaultRates, dynamodb: Any, sqs: Any, others: tuple[Any, ...] = ()
    ) -> None:
        self.rng = rng
        self.rates = rates
        self._dynamodb_events = dynamodb.meta.events
        self._sqs_events = sqs.meta.events
        self._other_events = tuple(client.meta.events for client in others)  # writes counted only
        self.writes = 0  # calls that may have changed the table in this step (any client we know of)
        self.enabled = False
        self.label: object = None
        self.commits: list[Commit] = []
        self.faults: list[Fault] = []
        self.dead_letters: list[DeadLetter] = []
        self.calls = 0
        self._timeout_at: tuple[int, str] | None = None

    # --- lifecycle ---------------------------------------------------------------------------------
    def install(self) -> None:
        self._dynamodb_events.register("before-call.dynamodb", self._before_call)
        self._dynamodb_events.register("after-call.dynamodb", self._after_call)
        self._sqs_events.register("before-parameter-build.sqs.SendMessage", self._dead_letter)
        for events in self._other_events:
            events.register("before-call.dynamodb", self._count_write)

    def uninstall(self) -> None:
        self._dynamodb_events.unregister("before-call.dynamodb", self._before_call)
        self._dynamodb_events.unregister("after-call.dynamodb", self._after_call)
        self._sqs_events.unregister("before-parameter-build.sqs.SendMessage", self._dead_letter)
        for events in self._other_events:
            events.unregister("before-call.dynamodb", self._count_write)

    def begin(self, label: object) -> None:
        """A new step: forget what the last one observed."""
        self.label = label
        self.commits, self.faults, self.dead_letters = [], [], []
        self.calls = 0
        self.writes = 0
        self._timeout_at = None

    def arm_timeout(self, call: int, phase: str) -> None:
        """The invocation dies at its `call`-th DynamoDB call, `before` it is sent or `after` it."""
        self._timeout_at = (call, phase)

    def disarm(self) -> None:
        self._timeout_at = None

    # --- hooks -------------------------------------------------------------------------------------
    def _before_call(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        name = model.name
        self.calls += 1
        self._count_write(model)
        context["sim_call"] = self.calls
        items: list[dict[str, Any]] = []
        if name == "TransactWriteItems" or name in SINGLE_WRITES:
            body = json.loads(params["body"])
            items = body.get("TransactItems", [])
            context["sim_operation"] = name_write(name, body)
        self._timeout(self.calls, "before", name)
        if not self.enabled:
            return
        roll = self.rng.random()
        rates = self.rates
        if name == "TransactWriteItems" or name in SINGLE_WRITES:
            if name == "TransactWriteItems":
                if roll < rates.conflict:
                    self.faults.append(Fault("conflict", name, self.label))
                    raise transaction_conflict(len(items))
                roll -= rates.conflict
            if roll < rates.throttle_write:
                self.faults.append(Fault("throttle-write", name, self.label))
                raise throttling(name)
            roll -= rates.throttle_write
            if roll < rates.lost_response:
                context["sim_lose_response"] = True
        elif name in READS and roll < rates.throttle_read:
            self.faults.append(Fault("throttle-read", name, self.label))
            raise throttling(name)

    def _count_write(self, model: Any, **_: Any) -> None:
        if model.name not in READS:
            self.writes += 1

    def _after_call(self, model: Any, http_response: Any, context: dict[str, Any], **_: Any) -> None:
        if "sim_operation" in context and http_response.status_code == 200:
            self.commits.append(Commit(*context["sim_operation"], label=self.label))
            if context.get("sim_lose_response"):
                self.faults.append(Fault("lost-response", model.name, self.label))
                raise ReadTimeoutError(endpoint_url="dynamodb (response lost after commit)")
        self._timeout(context.get("sim_call", 0), "after", model.name)

    def _timeout(self, call: int, phase: str, operation: str) -> None:
        if self._timeout_at == (call, phase):
            self._timeout_at = None
            self.faults.append(Fault("timeout", f"{phase} {operation}", self.label))
            raise LambdaTimeout(f"Lambda timeout {phase} DynamoDB call {call} ({operation})")

    def _dead_letter(self, params: dict[str, Any], **_: Any) -> None:
        attributes = params.get("MessageAttributes", {})
        self.dead_letters.append(
            DeadLetter(
                source_message_id=attributes.get("source_message_id", {}).get("StringValue", ""),
                reason=attributes.get("reason", {}).get("StringValue", ""),
                body=params.get("MessageBody", ""),
                label=self.label,
            )
        )
