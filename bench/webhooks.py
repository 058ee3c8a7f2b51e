"""The AWS cost of delivering one million events to one webhook each, all in.

Measured on DynamoDB Local: the units and calls the dispatcher and the deliverer make for one event
(a first attempt that succeeds), and their CPU per event including botocore and the POST to a
receiver on loopback (plain http). From template.yaml: memory, architecture and batch sizes.
Stated (not measurable here): in-region waits, the receiver's answer time over the internet with a
new TLS connection per delivery, and the share of events that need a retry. The bus event itself
is paid for by the change that published it (bench/cost.py counts it); a rule delivering to an SQS
target costs nothing more on EventBridge.
"""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bench import prices
from bench.cost import LAMBDA_FULL_VCPU_MB, MILLION, PLATFORM_LOG_BYTES_PER_INVOCATION, Line, _money
from bench.meter import Meter, describe
from bench.table import TABLE, TENANT, BenchTable
from infra.template_model import load_template, load_yaml
from loyalty.models.webhooks import DeliveryMessage, SigningSecret, WebhookRecord
from loyalty.operations.webhook_delivery import deliver, dispatch
from loyalty.operations.webhooks import Webhooks
from loyalty.settings import WebhookSettings
from loyalty.store.webhook_queue import DeliveryQueue
from loyalty.store.webhook_store import WebhookStore
from tests.support.receiver import receiver

# Stated, in-region or over the internet.
DYNAMODB_CALL_MS = 5  # GetItem, PutItem, UpdateItem, Query
SQS_SEND_MS = 10
RECEIVER_MS = 150  # TLS handshake on a new connection + the receiver's answer
RETRY_SHARE = 0.05  # events whose first attempt fails once (each retry is one more attempt)
STREAM_RECORDS_PER_EVENT = 1  # the delivery item's INSERT reaches the publisher (it maps to no event)
LOG_BYTES_PER_ATTEMPT = 350  # the deliverer's one INFO line per attempt


class _Collected(DeliveryQueue):
    def __init__(self) -> None:
        super().__init__("bench")
        self.sent: list[DeliveryMessage] = []

    def send(self, messages: list[DeliveryMessage], delay_seconds: int = 0) -> None:
        self.sent += messages


@dataclass(frozen=True)
class WebhookFigures:
    dispatch_read_units: float
    dispatch_write_units: float
    dispatch_calls: str
    deliver_read_units: float
    deliver_write_units: float
    deliver_calls: str
    cpu_ms: float  # dispatcher + deliverer per event, at a full core, botocore and the POST included


def measure_webhooks(table: BenchTable, events: int = 50) -> WebhookFigures:
    """Dispatch and deliver `events` member.enrolled events to one webhook on DynamoDB Local."""
    client = table.client()
    now = datetime.now(UTC)
    with receiver() as hook, contextlib.redirect_stdout(io.StringIO()):
        store = WebhookStore(TABLE, client)
        store.create_webhook(
            WebhookRecord(
                tenant_id=TENANT,
                webhook_id="bench",
                url=hook.url,
                events=["member.enrolled"],
                secrets=[SigningSecret(secret="whsec_bench", created_at=now)],
                created_at=now,
                updated_at=now,
            )
        )
        queue = _Collected()
        settings = WebhookSettings(allow_loopback=True, subscriptions_cache_seconds=60)
        hooks = Webhooks(store=store, queue=queue, settings=settings)

        def event(number: int) -> dict[str, Any]:
            detail = {"event_id": f"bench-{number}", "tenant_id": TENANT, "member_id": f"m{number}"}
            return {"detail-type": "member.enrolled", "time": now.isoformat(), "detail": detail}

        dispatch(hooks, event(-1))  # warm: the subscription cache and the connection
        deliver(hooks, queue.sent.pop())
        meter = Meter()
        meter.attach(client)
        _, dispatched = meter.read(lambda: dispatch(hooks, event(0)))
        _, delivered = meter.read(lambda: deliver(hooks, queue.sent.pop()))
        started = time.process_time()
        for number in range(1, events + 1):
            dispatch(hooks, event(number))
            deliver(hooks, queue.sent.pop())
        cpu_ms = (time.process_time() - started) * 1000 / events
    return WebhookFigures(
        dispatched.read_units,
        dispatched.write_units,
        describe(dispatched.calls),
        delivered.read_units,
        delivered.write_units,
        describe(delivered.calls),
        cpu_ms,
    )


def _function(logical_id: str) -> tuple[int, int]:
    """(memory MB, SQS batch size) of a function, Globals merged."""
    document = load_yaml(load_template().path)
    defaults = document["Globals"]["Function"]
    own = document["Resources"][logical_id]["Properties"]
    memory = int(own.get("MemorySize", defaults.get("MemorySize", 128)))
    return memory, load_template().function(logical_id).sqs_sources[0].batch_size


def million_webhook_events(figures: WebhookFigures) -> tuple[list[Line], dict[str, Any]]:
    dispatch_memory, dispatch_batch = _function("WebhookDispatchFunction")
    deliver_memory, deliver_batch = _function("WebhookDeliveryFunction")
    attempts = 1 + RETRY_SHARE
    # CPU is measured at a full core; Lambda gives memory/1769 of a vCPU. Split evenly between the two.
    cpu_dispatch = figures.cpu_ms / 2 * max(1.0, LAMBDA_FULL_VCPU_MB / dispatch_memory)
    cpu_deliver = figures.cpu_ms / 2 * max(1.0, LAMBDA_FULL_VCPU_MB / deliver_memory)
    dispatch_ms = cpu_dispatch + DYNAMODB_CALL_MS + SQS_SEND_MS
    deliver_ms = (cpu_deliver + 3 * DYNAMODB_CALL_MS + RECEIVER_MS) * attempts + SQS_SEND_MS * RETRY_SHARE
    dispatch_invocations = MILLION / dispatch_batch
    deliver_invocations = MILLION * attempts / deliver_batch
    publisher_invocations = MILLION * STREAM_RECORDS_PER_EVENT / 100
    gb_seconds = (
        MILLION * (dispatch_ms / 1000 * dispatch_memory / 1024 + deliver_ms / 1000 * deliver_memory / 1024)
        + publisher_invocations * 0.001 * 100 * 512 / 1024
    )
    # EventBridge -> WebhookQueue send; dispatcher's receive + delete per batch; one SendMessageBatch
    # per event; the deliverer's receive + delete per batch; a retry's send.
    sqs_requests = (
        MILLION + 2 * dispatch_invocations + MILLION + 2 * deliver_invocations + MILLION * RETRY_SHARE
    )
    write_units = figures.dispatch_write_units + figures.deliver_write_units * attempts
    read_units = figures.dispatch_read_units + figures.deliver_read_units * attempts
    invocations = dispatch_invocations + deliver_invocations + publisher_invocations
    log_gb = (
        MILLION * attempts * LOG_BYTES_PER_ATTEMPT + invocations * PLATFORM_LOG_BYTES_PER_INVOCATION
    ) / 1024**3
    lines = [
        Line(
            "DynamoDB write units",
            f"{write_units:g} per event",
            _money(write_units) * prices.DYNAMODB_PER_MILLION_WRITE_UNITS,
        ),
        Line(
            "DynamoDB read units",
            f"{read_units:g} per event",
            _money(read_units) * prices.DYNAMODB_PER_MILLION_READ_UNITS,
        ),
        Line(
            "Lambda requests",
            f"{dispatch_invocations:,.0f} dispatcher (batch {dispatch_batch}) + {deliver_invocations:,.0f} "
            f"deliverer (batch {deliver_batch}) + {publisher_invocations:,.0f} publisher (delivery items)",
            _money(invocations / MILLION) * prices.LAMBDA_PER_MILLION_REQUESTS,
        ),
        Line(
            "Lambda duration",
            f"{dispatch_ms:.1f} ms dispatching ({dispatch_memory} MB) + {deliver_ms:.1f} ms delivering "
            f"({deliver_memory} MB) per event: {gb_seconds:,.0f} GB-s",
            _money(gb_seconds) * prices.LAMBDA_ARM_PER_GB_SECOND,
        ),
        Line(
            "SQS requests",
            f"{sqs_requests:,.0f}: two queues, a send per event on each, receive and delete per batch",
            _money(sqs_requests / MILLION) * prices.SQS_PER_MILLION_REQUESTS,
        ),
        Line(
            "CloudWatch Logs ingestion",
            f"{LOG_BYTES_PER_ATTEMPT} B per attempt + {PLATFORM_LOG_BYTES_PER_INVOCATION} B per invocation: "
            f"{log_gb:.2f} GB",
            _money(log_gb) * prices.CLOUDWATCH_LOGS_PER_GB_INGESTED,
        ),
        Line(
            "X-Ray traces",
            f"{invocations:,.0f}, every invocation sampled (at most)",
            _money(invocations / MILLION) * prices.XRAY_PER_MILLION_TRACES,
        ),
    ]
    plan = {"attempts": attempts, "dispatch_ms": dispatch_ms, "deliver_ms": deliver_ms}
    return lines, plan


def webhook_section(figures: WebhookFigures) -> list[str]:
    lines, plan = million_webhook_events(figures)
    total = sum(line.dollars for line in lines)
    return [
        f"## AWS cost of delivering 1M events to one webhook each ({prices.REGION}, on-demand, "
        f"prices of {prices.PRICES_AS_OF})",
        "",
        "Measured on DynamoDB Local, one event to one subscribed webhook, first attempt accepted:",
        f"dispatcher {figures.dispatch_calls} ({figures.dispatch_read_units:g} read, "
        f"{figures.dispatch_write_units:g} write units; the subscriptions are cached), deliverer "
        f"{figures.deliver_calls} ({figures.deliver_read_units:g} read, "
        f"{figures.deliver_write_units:g} write units); CPU {figures.cpu_ms:.2f} ms per event at a full "
        "core (both functions, botocore and the POST to a loopback receiver included).",
        f"Stated: {DYNAMODB_CALL_MS} ms per DynamoDB call, {SQS_SEND_MS} ms per SQS send, {RECEIVER_MS} ms "
        f"for the receiver (new TLS connection), {RETRY_SHARE:.0%} of events retried once "
        f"({plan['attempts']:.2f} attempts per event). The bus event itself is counted with the change "
        "that published it; a rule's SQS target adds no EventBridge charge.",
        "",
        "| item | quantity | cost |",
        "|---|---|---:|",
        *[f"| {line.item} | {line.quantity} | ${line.dollars:.3f} |" for line in lines],
        f"| **total per million events delivered** | | **${total:.2f}** |",
        "",
        "Waiting for the receiver is most of the deliverer's duration: a receiver answering in 1 s "
        "instead of 150 ms multiplies that line by about 5. Ten webhooks subscribed to one event "
        "cost ten deliveries (the dispatcher's share is paid once).",
        "",
    ]


def total(figures: WebhookFigures) -> Decimal:
    return sum((line.dollars for line in million_webhook_events(figures)[0]), Decimal(0))
