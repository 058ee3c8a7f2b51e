"""The AWS cost of one million earns through the purchase queue, all in, from measured figures.

Measured: DynamoDB units of the queue consumer (consume_purchase on DynamoDB Local, and the same
items priced by AWS's documented rules), CPU and log bytes per queued earn (bench/cpu.py) and
client CPU per earn against a real endpoint (bench/throughput.py). From template.yaml: memory,
architecture and both batch sizes. Stated (not measurable here): in-region network waits and
the path outside the earn function (one SendMessage per earn, Lambda's platform log lines, X-Ray
sampling everything). Per-month charges that do not scale with earns (storage, PITR, custom
metrics, idle queue polling) are left out and named in results.md.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from bench import prices
from bench.meter import Meter
from bench.table import TENANT, BenchTable
from infra.events import QueueMessage, sqs_event
from infra.template_model import load_template, load_yaml
from loyalty.consumers.purchases import consume_purchase
from loyalty.models.api import EnrollRequest
from loyalty.operations import members
from loyalty.store.messaging import DeadLetterQueue

MILLION = 1_000_000
LAMBDA_FULL_VCPU_MB = 1769  # Lambda gives one full vCPU at 1,769 MB, proportionally less below

# Stated, in-region: DynamoDB and EventBridge answer in single-digit to low tens of milliseconds.
BATCH_GET_MS = 5
TRANSACT_WRITE_MS = 12
PUT_EVENTS_MS = 15
PUBLISHER_CPU_MS_PER_RECORD = 1.0  # mapping an image to an event, at a full core
PLATFORM_LOG_BYTES_PER_INVOCATION = 700  # JSON platform.start + platform.report lines
SEND_MESSAGES_PER_EARN = 1  # the point of sale sends one SendMessage per purchase (no batching)
STREAM_RECORDS_PER_EARN = 2  # INSERTs of the ledger entry and the operation record pass the filter
EVENTS_PER_EARN = 1  # points.earned (the operation record maps to no event)


@dataclass(frozen=True)
class QueueUnits:
    read_units: float
    write_units: float
    calls: str


def measure_queue_units(table: BenchTable) -> QueueUnits:
    """One queued earn through the consumer, on DynamoDB Local, with its capacity metered."""
    client = table.client()
    context = table.context(client)
    members.enroll(context, TENANT, EnrollRequest(member_id="q1"))
    body = json.dumps(
        {"tenant_id": TENANT, "order_id": "q-o1", "member_id": "q1", "amount": "129.90", "currency": "CNY"}
    )
    record = SQSRecord(
        sqs_event([QueueMessage("q-m1", "handle", body)], "arn:aws:sqs:us-east-1:1:q")["Records"][0]
    )
    meter = Meter()
    meter.attach(client)
    with contextlib.redirect_stdout(io.StringIO()):
        consume_purchase(record, context, DeadLetterQueue("unused"))
    return QueueUnits(meter.read_units, meter.write_units, " + ".join(meter.calls))


@dataclass(frozen=True)
class Line:
    item: str
    quantity: str
    dollars: Decimal


def _function_settings(logical_id: str) -> tuple[int, str]:
    document = load_yaml(load_template().path)
    defaults = document["Globals"]["Function"]
    own = document["Resources"][logical_id]["Properties"]
    memory = int(own.get("MemorySize", defaults.get("MemorySize", 128)))
    architecture = (own.get("Architectures") or defaults.get("Architectures") or ["x86_64"])[0]
    return memory, architecture


def _batch_sizes() -> tuple[int, int]:
    functions = {function.logical_id: function for function in load_template().functions}
    return (
        functions["EarnFunction"].sqs_sources[0].batch_size,
        functions["EventPublisherFunction"].stream_sources[0].batch_size,
    )


def _money(value: float | Decimal) -> Decimal:
    return Decimal(str(value))


def million_earns(
    read_units: float, write_units: float, queue_cpu_ms: float, client_cpu_ms: float, log_bytes: float
) -> tuple[list[Line], dict[str, Any]]:
    """Line items for 1M queued earns. `client_cpu_ms` is our CPU per earn including botocore;
    `queue_cpu_ms` the handler's own (stubbed store), kept for the record."""
    memory, architecture = _function_settings("EarnFunction")
    publisher_memory, _ = _function_settings("EventPublisherFunction")
    queue_batch, stream_batch = _batch_sizes()
    if architecture != "arm64":
        raise ValueError("the price table holds Arm Lambda prices; the template says " + architecture)
    slowdown = max(1.0, LAMBDA_FULL_VCPU_MB / memory)  # a fraction of a vCPU below 1,769 MB
    earn_ms = client_cpu_ms * slowdown + BATCH_GET_MS + TRANSACT_WRITE_MS
    publisher_ms = (
        PUBLISHER_CPU_MS_PER_RECORD * slowdown
    ) * STREAM_RECORDS_PER_EARN + PUT_EVENTS_MS * EVENTS_PER_EARN
    earn_invocations = MILLION / queue_batch
    publisher_invocations = MILLION * STREAM_RECORDS_PER_EARN / stream_batch
    gb_seconds = MILLION * (earn_ms / 1000 * memory / 1024 + publisher_ms / 1000 * publisher_memory / 1024)
    sqs_requests = MILLION * SEND_MESSAGES_PER_EARN + 2 * earn_invocations  # Receive + DeleteMessageBatch
    log_gb = (
        MILLION * log_bytes + (earn_invocations + publisher_invocations) * PLATFORM_LOG_BYTES_PER_INVOCATION
    ) / 1024**3
    traces = earn_invocations + publisher_invocations
    lines = [
        Line(
            "DynamoDB write units",
            f"{write_units:g} per earn",
            _money(write_units) * prices.DYNAMODB_PER_MILLION_WRITE_UNITS,
        ),
        Line(
            "DynamoDB read units",
            f"{read_units:g} per earn",
            _money(read_units) * prices.DYNAMODB_PER_MILLION_READ_UNITS,
        ),
        Line(
            "DynamoDB Streams reads",
            f"{STREAM_RECORDS_PER_EARN} records per earn, read by the Lambda trigger",
            prices.DYNAMODB_STREAMS_PER_MILLION_LAMBDA_READS,
        ),
        Line(
            "Lambda requests",
            f"{earn_invocations:,.0f} earn (batch {queue_batch}) + "
            f"{publisher_invocations:,.0f} publisher (batch {stream_batch})",
            _money((earn_invocations + publisher_invocations) / MILLION) * prices.LAMBDA_PER_MILLION_REQUESTS,
        ),
        Line(
            "Lambda duration",
            f"{earn_ms:.1f} ms per earn + {publisher_ms:.1f} ms publishing it, {memory} MB {architecture}: "
            f"{gb_seconds:,.0f} GB-s",
            _money(gb_seconds) * prices.LAMBDA_ARM_PER_GB_SECOND,
        ),
        Line(
            "SQS requests",
            f"{sqs_requests:,.0f}: SendMessage per earn, ReceiveMessage and DeleteMessageBatch per batch",
            _money(sqs_requests / MILLION) * prices.SQS_PER_MILLION_REQUESTS,
        ),
        Line(
            "EventBridge PutEvents",
            f"{EVENTS_PER_EARN} event per earn (points.earned)",
            _money(EVENTS_PER_EARN) * prices.EVENTBRIDGE_PER_MILLION_EVENTS,
        ),
        Line(
            "CloudWatch Logs ingestion",
            f"{log_bytes:.0f} B per earn (measured) + {PLATFORM_LOG_BYTES_PER_INVOCATION} B "
            f"per invocation: {log_gb:.2f} GB",
            _money(log_gb) * prices.CLOUDWATCH_LOGS_PER_GB_INGESTED,
        ),
        Line(
            "X-Ray traces",
            f"{traces:,.0f}, every invocation sampled (at most; above 1 invocation/s sampling is 1/s + 5%)",
            _money(traces / MILLION) * prices.XRAY_PER_MILLION_TRACES,
        ),
    ]
    assumptions = {
        "memory": memory,
        "architecture": architecture,
        "queue_batch": queue_batch,
        "stream_batch": stream_batch,
        "slowdown": slowdown,
        "earn_ms": earn_ms,
        "queue_cpu_ms": queue_cpu_ms,
    }
    return lines, assumptions
