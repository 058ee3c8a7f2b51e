"""`python -m bench.import_jobs [--rows N] [--workers W ...] [--single N]`: an import of N legacy
rows (each a member the import enrols, with its points, `expires_on` and `earned_on`) on DynamoDB
Local (SQS in process, moto), at 1 and at W workers: rows per second, write and read units per
row, the DynamoDB cost per million rows; beside the same rows sent one by one as the API's single
calls (an enrolment, then an adjustment), as a ratio. Writes its section of bench/results.md.

The import runs the real path: `start_import` reads the file and writes the job, its rows and its
chunk messages; `run_chunk` applies the chunks (W threads, each with its own DynamoDB client), each
row one funnel transaction. The single calls run the operations the HTTP handlers run
(`members.enroll`, `adjustments.adjust`) in process: the HTTP and Lambda costs of 2 requests per row
come on top, so the ratio is a lower bound. Units are DynamoDB Local's `ReturnConsumedCapacity`.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import boto3
from moto.server import ThreadedMotoServer

from bench import ROOT, prices
from bench.meter import Meter
from bench.table import TABLE, TENANT, BenchTable, bench_table
from infra.dynamodb_local import free_port
from loyalty.models.api import AdjustmentRequest, EnrollRequest
from loyalty.models.imports import ImportMessage
from loyalty.operations import adjustments, imports, members
from loyalty.operations.context import Principal
from loyalty.store.import_store import ImportStore
from loyalty.store.messaging import WorkQueue

BEGIN, END = "<!-- imports:begin -->", "<!-- imports:end -->"
NOTE = (
    "DynamoDB Local reports no read units for keys a batch read does not find (each row reads its "
    "member and its idempotency record, both absent for a new member): AWS charges about 1 unit per key "
    "read consistently, so count about 2 more read units per row there (+$0.25 per million rows)."
)
ADMIN = Principal(tenant_id=TENANT, scope="admin", key_id="bench")


@dataclass(frozen=True)
class ImportFigures:
    label: str
    rows: int
    workers: int
    seconds: float
    read_units: float
    write_units: float

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds

    @property
    def dollars_per_million(self) -> float:
        per_row = self.write_units / self.rows * float(prices.DYNAMODB_PER_MILLION_WRITE_UNITS)
        return per_row + self.read_units / self.rows * float(prices.DYNAMODB_PER_MILLION_READ_UNITS)


def legacy_file(rows: int, prefix: str) -> bytes:
    lines = ["member_id,points,expires_on,earned_on"]
    lines += [f"{prefix}{n:07d},{100 + n % 900},2030-12-31,2025-{1 + n % 12:02d}-15" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def measure_import(table: BenchTable, rows: int, workers: int) -> ImportFigures:
    import_id = f"bench-{workers}"
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    try:
        sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{server._port}")
        queue = WorkQueue(sqs.create_queue(QueueName=f"bench-imports-{workers}")["QueueUrl"], sqs)
        meter = Meter()
        clients = [table.client() for _ in range(workers)]
        for client in clients:
            meter.attach(client)
        contexts = [table.context(client) for client in clients]
        services = [imports.Imports(ImportStore(TABLE, client), queue) for client in clients]
        content = legacy_file(rows, f"w{workers}-")
        meter.reset()
        started = time.perf_counter()
        imports.start_import(
            contexts[0], services[0], ADMIN, import_id, content, imports.ImportOptions("csv")
        )
        chunks = -(-rows // imports.ROWS_PER_CHUNK)
        messages = [
            ImportMessage(tenant_id=TENANT, import_id=import_id, step="apply", chunk=chunk)
            for chunk in range(chunks)
        ]

        def walk(index: int) -> None:
            for message in messages[index::workers]:
                imports.run_chunk(contexts[index], services[index], message)

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(walk, range(workers)))
        seconds = time.perf_counter() - started
        job = imports.read_import(contexts[0], services[0], TENANT, import_id).body
        assert job["status"] == "done", job
        assert job["rows"]["imported"] == rows, job["rows"]
        return ImportFigures("import job", rows, workers, seconds, meter.read_units, meter.write_units)
    finally:
        server.stop()


def measure_single_calls(table: BenchTable, rows: int) -> ImportFigures:
    """The same rows as the API's single calls: an enrolment (its signup bonus taken back by the
    adjustment's size: the figures are the calls') and an adjustment with its own expiry."""
    meter = Meter()
    client = table.client()
    meter.attach(client)
    context = table.context(client)
    meter.reset()
    started = time.perf_counter()
    for n in range(rows):
        member_id = f"single-{n:07d}"
        members.enroll(context, TENANT, EnrollRequest(member_id=member_id))
        request = AdjustmentRequest.model_validate(
            {
                "adjustment_id": f"adj-{n}",
                "points": 100 + n % 900,
                "reason": "legacy",
                "source": "import",
                "expires_on": "2030-12-31",
            }
        )
        adjustments.adjust(context, ADMIN, member_id, request)
    seconds = time.perf_counter() - started
    return ImportFigures("single API calls", rows, 1, seconds, meter.read_units, meter.write_units)


def section(figures: list[ImportFigures], target: int) -> str:
    single = next((f for f in figures if f.label == "single API calls"), None)
    jobs = [f for f in figures if f.label == "import job"]
    lines = [
        BEGIN,
        "## Legacy import on DynamoDB Local (`python -m bench.import_jobs`)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on this shared 2-core machine (other jobs "
        "running); DynamoDB Local, SQS on moto's server in process. Each row enrols a new member "
        "with its points, "
        "`expires_on` and `earned_on`: one funnel transaction per row (member item, ledger entry, "
        "idempotency record) plus the chunk checkpoint per 25 rows. Cost is DynamoDB only, on-demand, "
        "us-east-1 (SQS and Lambda add well under a cent per thousand rows).",
        "",
        "| how | rows | workers | seconds | rows/s | write units per row | read units per row "
        "| DynamoDB $ per million rows |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        lines.append(
            f"| {f.label} | {f.rows:,} | {f.workers} | {f.seconds:.1f} | {f.per_second:,.0f} "
            f"| {f.write_units / f.rows:.2f} | {f.read_units / f.rows:.2f} | ${f.dollars_per_million:.2f} |"
        )
    lines.append("")
    if jobs and jobs[0].rows < target:
        best = max(jobs, key=lambda f: f.per_second)
        lines.append(
            f"Measured at {jobs[0].rows:,} rows, not {target:,}: extrapolated linearly (each row is an "
            f"independent transaction), {target:,} rows take about "
            f"{target / best.per_second / 60:.0f} minutes at {best.workers} workers here."
        )
    if single and jobs:
        best = max(jobs, key=lambda f: f.per_second)
        lines.append(
            f"Import job vs single calls: {best.per_second / single.per_second:.1f}x the rows per second, "
            f"{single.write_units / single.rows / (best.write_units / best.rows):.2f}x fewer write units "
            "per row "
            "(the single calls measured in process: their 2 HTTP requests and Lambda invocations per row "
            "come on top in AWS). In AWS each chunk runs in its own Lambda invocation; here the workers are "
            "threads sharing 2 cores with DynamoDB Local, so more workers than cores add little"
            + (
                f" (here {max(jobs, key=lambda f: f.workers).workers} workers were the slower run: the "
                "machine's other jobs took more of the 2 cores then; the ratio uses the faster run)."
                if best.workers < max(f.workers for f in jobs)
                else "."
            )
        )
    lines.append(NOTE)
    lines.append(END)
    return "\n".join(lines)


def write_section(text: str) -> None:
    path = ROOT / "bench" / "results.md"
    current = path.read_text()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    found = pattern.search(current)
    path.write_text(
        pattern.sub(lambda _: text, current) if found else current.rstrip() + "\n\n" + text + "\n"
    )


def preserved_section() -> str:
    path = ROOT / "bench" / "results.md"
    found = (
        re.search(re.escape(BEGIN) + ".*?" + re.escape(END), path.read_text(), re.S)
        if path.exists()
        else None
    )
    return found.group(0) if found else ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--single", type=int, default=1_000, help="rows sent as single calls")
    parser.add_argument("--print-only", action="store_true")
    arguments = parser.parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    figures = []
    with bench_table() as table:
        for workers in arguments.workers:
            figures.append(measure_import(table, arguments.rows, workers))
            print(figures[-1], flush=True)
        figures.append(measure_single_calls(table, arguments.single))
        print(figures[-1], flush=True)
    text = section(figures, 100_000)
    print(text)
    if not arguments.print_only:
        write_section(text)


if __name__ == "__main__":
    main()
