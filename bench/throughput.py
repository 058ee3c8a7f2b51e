"""Earn throughput on DynamoDB Local: N worker threads, each with its own Context and boto3 client
(as N warm Lambdas would be), earning for a bounded time; earns/s and per-earn latency.

Workers earn for distinct members (one each), so optimistic-concurrency conflicts do not
dominate; the hot-member run has every worker earn for the same member, where the version
check makes them retry. Threads share one interpreter (GIL) and this machine's cores with
DynamoDB Local itself, so the figures bound the code path, not what AWS would sustain.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bench.table import TENANT, BenchTable
from loyalty.errors import TransientError
from loyalty.models.api import EnrollRequest, PurchaseRequest
from loyalty.operations import members, purchases


@dataclass(frozen=True)
class Throughput:
    label: str
    workers: int
    earns: int
    seconds: float
    p50_ms: float
    p99_ms: float
    attempts_per_earn: float  # TransactWriteItems calls per earn (1.0 = no conflict retries)
    client_cpu_ms: float  # this process's CPU per earn: our code, botocore and HTTP (not DynamoDB Local)
    gave_up: int  # earns that outlived every retry (TransientError: the queue would redeliver them)

    @property
    def per_second(self) -> float:
        return self.earns / self.seconds


def _count_transactions(client: Any, counter: list[int]) -> None:
    def count(**_: Any) -> None:
        counter[0] += 1

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", count)


def measure_throughput(
    table: BenchTable, workers: int, seconds: float, *, hot: bool = False, label: str = ""
) -> Throughput:
    run = f"{'hot' if hot else 'own'}{workers}-{time.monotonic_ns()}"
    member_ids = [f"{run}-hot"] if hot else [f"{run}-{number}" for number in range(workers)]
    setup = table.context()
    for member_id in member_ids:
        members.enroll(setup, TENANT, EnrollRequest(member_id=member_id))
    contexts = [table.context() for _ in range(workers)]  # built before the clock starts
    latencies: list[list[float]] = [[] for _ in range(workers)]
    transactions = [[0] for _ in range(workers)]
    gave_up = [0] * workers
    for context, counter in zip(contexts, transactions, strict=True):
        _count_transactions(context.ledger.client, counter)
    start = threading.Barrier(workers + 1)
    deadline = [0.0]

    def work(number: int) -> None:
        context, member_id = contexts[number], member_ids[0 if hot else number]
        start.wait()
        sequence = 0
        while time.perf_counter() < deadline[0]:
            request = PurchaseRequest(
                order_id=f"{run}-{number}-{sequence}",
                member_id=member_id,
                amount=Decimal("12.30"),
                currency="CNY",
            )
            sequence += 1
            began = time.perf_counter()
            try:
                outcome = purchases.record_purchase(context, TENANT, request)
            except TransientError:
                gave_up[number] += 1
                continue
            latencies[number].append(time.perf_counter() - began)
            assert not outcome.replayed

    threads = [threading.Thread(target=work, args=(number,)) for number in range(workers)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    began, cpu = time.perf_counter(), time.process_time()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    every = sorted(latency for worker in latencies for latency in worker)
    cuts = statistics.quantiles(every, n=100, method="inclusive") if len(every) > 1 else every * 99
    return Throughput(
        label=label
        or f"{workers} worker{'s' if workers > 1 else ''}, {'one hot member' if hot else 'own members'}",
        workers=workers,
        earns=len(every),
        seconds=elapsed,
        p50_ms=1000 * cuts[49],
        p99_ms=1000 * cuts[98],
        attempts_per_earn=sum(counter[0] for counter in transactions) / max(1, len(every)),
        client_cpu_ms=1000 * cpu / max(1, len(every)),
        gave_up=sum(gave_up),
    )
