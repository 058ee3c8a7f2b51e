"""Warm handler CPU per earn with the table stubbed: only our code, powertools and pydantic run.

The earn function's real handler is invoked with the events AWS delivers (infra/events.py): an
API Gateway HTTP API v2 POST /v1/purchases, and SQS batches of the template's batch size. The
DynamoDB client is an in-memory fake (reads answered from a dict, writes accepted), so
botocore's serialisation, signing and HTTP are not counted: they are the SDK's cost, and in
Lambda they overlap the network wait that the duration estimate adds separately. Log lines and
EMF metrics go to a counting sink: their bytes per earn feed the CloudWatch Logs cost.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from bench.table import TENANT
from infra.events import QueueMessage, http_api_event, sqs_event
from infra.lambdas import LocalLambdaContext
from loyalty.models.api import EnrollRequest
from loyalty.models.program import default_program
from loyalty.operations import members
from loyalty.operations.context import default_context

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:PurchaseQueue"


class FakeDynamoDB:
    """Just enough of the DynamoDB client for enrol and earn: Puts are stored, Updates accepted
    (the member stays as first written, so every earn does the same work), reads served."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def _key(self, item: dict[str, Any]) -> tuple[str, str]:
        return item["PK"]["S"], item["SK"]["S"]

    def get_item(self, Key: dict[str, Any], **_: Any) -> dict[str, Any]:
        found = self.items.get(self._key(Key))
        return {"Item": found} if found else {}

    def batch_get_item(self, RequestItems: dict[str, Any], **_: Any) -> dict[str, Any]:
        responses = {
            table: [self.items[self._key(key)] for key in request["Keys"] if self._key(key) in self.items]
            for table, request in RequestItems.items()
        }
        return {"Responses": responses, "UnprocessedKeys": {}}

    def transact_write_items(self, TransactItems: list[dict[str, Any]], **_: Any) -> dict[str, Any]:
        for action in TransactItems:
            if "Put" in action:
                self.items[self._key(action["Put"]["Item"])] = action["Put"]["Item"]
        return {}

    def put_item(self, Item: dict[str, Any], **_: Any) -> dict[str, Any]:
        self.items[self._key(Item)] = Item
        return {}


class CountingSink(io.TextIOBase):
    """Where log lines and EMF blobs go: counted, not kept."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)


@dataclass(frozen=True)
class CpuFigures:
    http_cpu_ms: float  # per earn over HTTP (one invocation each)
    queue_cpu_ms: float  # per earn through the queue (batches of `batch_size`)
    queue_wall_ms: float  # wall time per earn through the queue, stubbed (no network)
    log_bytes_per_queued_earn: float
    invocations: int
    batch_size: int


def _seeded_fake() -> FakeDynamoDB:
    from loyalty.store.tenant_store import TenantStore

    fake = FakeDynamoDB()
    TenantStore("bench", fake).create_tenant(TENANT, "Bench", default_program(), [], datetime.now(UTC))  # type: ignore[arg-type]
    return fake


def _measure(invoke: Callable[[int], None], invocations: int, warmup: int) -> tuple[float, float]:
    for number in range(warmup):
        invoke(-1 - number)
    cpu, wall = time.process_time(), time.perf_counter()
    for number in range(invocations):
        invoke(number)
    return time.process_time() - cpu, time.perf_counter() - wall


def measure_cpu(invocations: int = 2000, batch_size: int = 10, warmup: int = 50) -> CpuFigures:
    from functions.earn import app

    fake, sink = _seeded_fake(), CountingSink()
    default_context.cache_clear()
    handler = app.logger.registered_handler
    stream = getattr(handler, "stream", None)
    try:
        with (
            mock.patch("loyalty.store.table.make_client", return_value=fake),
            contextlib.redirect_stdout(sink),
        ):
            if stream is not None:
                handler.setStream(sink)  # type: ignore[attr-defined]
            members.enroll(default_context(), TENANT, EnrollRequest(member_id="m1"))
            context = LocalLambdaContext(function_name="EarnFunction")
            authorizer = {"tenant_id": TENANT, "scope": "server", "key_id": "key_bench"}

            def purchase(order_id: str) -> str:
                return json.dumps(
                    {"order_id": order_id, "member_id": "m1", "amount": "129.90", "currency": "CNY"}
                )

            def over_http(number: int) -> None:
                event = http_api_event(
                    "POST",
                    "/v1/purchases",
                    route_key="POST /v1/purchases",
                    headers={"Content-Type": "application/json", "Authorization": "Bearer bench"},
                    body=purchase(f"h{number}"),
                    authorizer_context=authorizer,
                )
                response = app.lambda_handler(event, context)
                assert response["statusCode"] == 201, response

            def through_queue(number: int) -> None:
                messages = [
                    QueueMessage(
                        f"m{number}-{index}",
                        "handle",
                        json.dumps({**json.loads(purchase(f"q{number}-{index}")), "tenant_id": TENANT}),
                    )
                    for index in range(batch_size)
                ]
                response = app.lambda_handler(sqs_event(messages, QUEUE_ARN), context)
                assert response == {"batchItemFailures": []}, response

            http_cpu, _ = _measure(over_http, invocations, warmup)
            batches = max(1, invocations // batch_size)
            _measure(through_queue, 0, max(1, warmup // batch_size))
            sink.bytes = 0
            queue_cpu, queue_wall = _measure(through_queue, batches, 0)
    finally:
        if stream is not None:
            handler.setStream(stream)  # type: ignore[attr-defined]
        default_context.cache_clear()
    earns = batches * batch_size
    return CpuFigures(
        http_cpu_ms=1000 * http_cpu / invocations,
        queue_cpu_ms=1000 * queue_cpu / earns,
        queue_wall_ms=1000 * queue_wall / earns,
        log_bytes_per_queued_earn=sink.bytes / earns,
        invocations=invocations,
        batch_size=batch_size,
    )
