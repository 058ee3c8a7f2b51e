"""`python -m bench.exports [--members N] [--workers W]`: a members export of N members on DynamoDB
Local (S3 and SQS in process, moto), its time and its read units; writes its section of
bench/results.md (kept by `make bench`, which rewrites the rest).

The members are one enrolled member's item copied N times under new ids (BatchWriteItem, with the
tenant-index keys enrolment writes), so seeding is quick and every member is a real member item.
The export runs the real chunk walk (`run_chunk`, then `finish`), the 8 chunks taken by W threads
each with its own DynamoDB client; the units are what DynamoDB Local reports
(`ReturnConsumedCapacity=TOTAL`) on every call of the export, none of the seeding.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from bench import ROOT, prices
from bench.meter import Meter
from bench.table import TABLE, TENANT, BenchTable, bench_table
from infra.dynamodb_local import free_port
from loyalty.models.api import EnrollRequest
from loyalty.models.exports import ExportMessage, ExportRequest
from loyalty.operations import exports, members
from loyalty.store import keys
from loyalty.store.export_files import S3_CONFIG, ExportFiles
from loyalty.store.export_store import ExportStore
from loyalty.store.messaging import WorkQueue
from loyalty.store.table import from_item, to_item

BEGIN, END = "<!-- exports:begin -->", "<!-- exports:end -->"


@dataclass(frozen=True)
class ExportFigures:
    members: int
    workers: int
    seconds: float
    read_units: float
    write_units: float
    calls: int
    parts: int
    rows: int
    file_bytes: int


def seed(table: BenchTable, count: int) -> None:
    context = table.context()
    members.enroll(context, TENANT, EnrollRequest(member_id="template"))
    client = table.client()
    item = from_item(
        client.get_item(
            TableName=TABLE, Key=to_item({"PK": keys.member_pk(TENANT, "template"), "SK": keys.MEMBER_SK})
        )["Item"]
    )
    batch: list[dict[str, Any]] = []
    for number in range(count - 1):
        member_id = f"b{number:07d}"
        pk = keys.member_pk(TENANT, member_id)
        copy = {
            **item,
            "PK": pk,
            "member_id": member_id,
            "GSI4PK": keys.tenant_members_pk(TENANT, member_id),
            "GSI4SK": pk,
        }
        copy.pop("GSI1PK", None)
        copy.pop("GSI1SK", None)
        batch.append({"PutRequest": {"Item": to_item(copy)}})
        if len(batch) == 25:
            _write(client, batch)
            batch = []
    if batch:
        _write(client, batch)


def _write(client: Any, batch: list[dict[str, Any]]) -> None:
    request = {TABLE: batch}
    while request:
        request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def measure_export(table: BenchTable, count: int, workers: int) -> ExportFigures:
    # S3 and SQS on moto's server in this process; DynamoDB on DynamoDB Local
    export_id = f"bench-{workers}"
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint, config=S3_CONFIG)
        sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
        s3.create_bucket(Bucket="bench-exports")
        queue = WorkQueue(sqs.create_queue(QueueName="bench-exports")["QueueUrl"], sqs)
        files = ExportFiles("bench-exports", s3)
        meter = Meter()
        clients = [table.client() for _ in range(workers)]
        for client in clients:
            meter.attach(client)
        contexts = [table.context(client) for client in clients]
        services = [exports.Exports(ExportStore(TABLE, client), files, queue) for client in clients]
        meter.reset()
        started = time.perf_counter()
        exports.start_export(
            contexts[0], services[0], TENANT, export_id, ExportRequest(kind="members", format="csv")
        )
        messages = [
            ExportMessage(tenant_id=TENANT, export_id=export_id, step="chunk", chunk=chunk)
            for chunk in range(exports.CHUNKS)
        ]

        def walk(index: int) -> None:
            for message in messages[index::workers]:
                exports.run_chunk(contexts[index], services[index], message)

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(walk, range(workers)))
        parts = len(files.part_keys(f"exports/{TENANT}/{export_id}/parts/"))
        assert exports.finish(contexts[0], services[0], messages[0].model_copy(update={"step": "finish"}))
        seconds = time.perf_counter() - started
        job = exports.read_export(contexts[0], services[0], TENANT, export_id).body
        body = s3.get_object(Bucket="bench-exports", Key=f"exports/{TENANT}/{export_id}/{export_id}.csv")[
            "Body"
        ].read()
        rows = list(csv.DictReader(io.StringIO(body.decode())))
        assert len(rows) == job["rows"] == count, (len(rows), job["rows"], count)
        return ExportFigures(
            members=count,
            workers=workers,
            seconds=seconds,
            read_units=meter.read_units,
            write_units=meter.write_units,
            calls=len(meter.calls),
            parts=parts,
            rows=len(rows),
            file_bytes=len(body),
        )
    finally:
        server.stop()


def section(figures: list[ExportFigures]) -> str:
    lines = [
        BEGIN,
        "## Members export on DynamoDB Local (`python -m bench.exports`)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on this shared 2-core machine; DynamoDB Local, "
        "S3 and SQS on moto's server in process. Every member read through the keys-only index GSI4 "
        "(8 shards, pages of 100 keys), "
        "read back in one consistent BatchGetItem per page, one part object per page, one checkpoint "
        "transaction per page. The members are one enrolled member's item (a signup lot, no profile) "
        "copied under new ids; read cost is DynamoDB reads only, on-demand, us-east-1.",
        "",
        "| members | workers | seconds | members/s | read units | read units per member | write units "
        "| DynamoDB calls | parts | file | read cost per million members |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        per_member = f.read_units / f.members
        dollars = per_member * 1_000_000 * float(prices.DYNAMODB_PER_MILLION_READ_UNITS) / 1_000_000
        lines.append(
            f"| {f.members:,} | {f.workers} | {f.seconds:.1f} | {f.members / f.seconds:,.0f} "
            f"| {f.read_units:,.0f} | {per_member:.2f} | {f.write_units:,.0f} | {f.calls:,} | {f.parts:,} "
            f"| {f.file_bytes / 1e6:.1f} MB | ${dollars:.2f} |"
        )
    lines += [
        "",
        "Read units: a consistent read of a member item (under 4 KB) is 1 unit, the GSI4 key pages about "
        "0.5 per page; the job's checkpoints are 2 transactional write units per item per page (8 shards x "
        "pages of 100). In AWS the 8 chunks run in 8 Lambda invocations at once (the workers column is "
        "threads here, sharing 2 cores with DynamoDB Local), each stopping near its time limit and "
        "going round the queue again. A ledger export reads each member's entries besides (one Query "
        "per member, 0.5 units per 4 KB of entries): its cost follows the entries, not the window.",
        END,
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    path = ROOT / "bench" / "results.md"
    current = path.read_text()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    updated = (
        pattern.sub(lambda _: text, current)
        if pattern.search(current)
        else current.rstrip() + "\n\n" + text + "\n"
    )
    path.write_text(updated)


def preserved_section() -> str:
    """The section as results.md has it now (for `make bench`, which rewrites the rest)."""
    path = ROOT / "bench" / "results.md"
    found = (
        re.search(re.escape(BEGIN) + ".*?" + re.escape(END), path.read_text(), re.S)
        if path.exists()
        else None
    )
    return found.group(0) if found else ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--print-only", action="store_true")
    arguments = parser.parse_args(argv)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    figures = []
    with bench_table() as table:
        started = time.perf_counter()
        seed(table, arguments.members)
        print(f"seeded {arguments.members:,} members in {time.perf_counter() - started:.0f} s", flush=True)
        for workers in arguments.workers:
            figures.append(measure_export(table, arguments.members, workers))
            print(figures[-1], flush=True)
    text = section(figures)
    print(text)
    if not arguments.print_only:
        write_section(text)


if __name__ == "__main__":
    main()
