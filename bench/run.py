"""`make bench` / `python -m bench.run`: every benchmark, then bench/results.md.

Targets live here and in the closing notes, never in timed tests. `--quick` runs tiny
parameters (the smoke test uses the same entry points) and writes nothing. `--operations` runs
only the DynamoDB cost per operation (no CPU or throughput figures, so a busy machine does not
matter) and prints that section of results.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import ROOT, prices
from bench.cost import measure_queue_units, million_earns
from bench.cpu import measure_cpu
from bench.imports import measure_imports
from bench.items import WrittenItems, write_units
from bench.operations import OperationFigures, measure_operations
from bench.reports import measure_reports
from bench.reports import section as reports_section
from bench.scheduled import MEMBERS
from bench.table import bench_table
from bench.throughput import measure_throughput
from bench.webhooks import measure_webhooks, webhook_section

TARGET_EARN_ROUND_TRIPS, TARGET_EARN_WRITE_UNITS = 2, 6
TARGET_IMPORT_RATIO = 1.3
TARGET_CPU_MS = 2.0
TARGET_DOLLARS = 3.50


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _quantity(measured: str, documented: str) -> str:
    return measured if measured == documented else f"{measured} (AWS rules: {documented})"


INDEXES = {"GSI1": "the expiry index GSI1", "GSI2": "the birthday index GSI2", "GSI3": "the tier index GSI3"}


def _items_table(items: WrittenItems) -> list[str]:
    return [
        "| item | bytes (DynamoDB's size rules) | write units by AWS's rules |",
        "|---|---:|---:|",
        *[
            f"| {name} | {size} | {write_units(size, transactional=True)} (transactional) |"
            for name, size in items.sizes.items()
        ],
        *[
            f"| {name} again, in {INDEXES.get(index, index)} (projection ALL) | {items.sizes[name]} "
            f"| {write_units(items.sizes[name])} |"
            for name, indexes in items.indexed.items()
            for index in indexes
        ],
        f"| **total** | | **{items.total_units}** |",
    ]


def operations_section(figures: OperationFigures) -> list[str]:
    """results.md's DynamoDB-per-operation section (also what `--operations` prints)."""
    redemption = next(row for row in figures.rows if row.name.startswith("redemption ("))
    items = figures.redemption_items
    return [
        "## DynamoDB per operation (DynamoDB Local, `ReturnConsumedCapacity=TOTAL`, warm program cache)",
        "",
        "| operation | round trips | read units | write units | calls |",
        "|---|---:|---:|---:|---|",
        *[
            f"| {row.name} | {row.round_trips:g} | {row.read_units:g} | {row.write_units:g} | {row.calls} |"
            for row in figures.rows
        ],
        "",
        "Spending and the rows after it run on the first rows' member, its points topped up by an",
        "adjustment; the catalog reward (stock, per-member limit), the coupon template (bought for 50",
        "points) and the lottery (one prize, with stock, always won) are put by the admin operations",
        f"first. The scheduled runs are measured on {MEMBERS} members enrolled with a birthday and a",
        "5,000 purchase each (silver), on a clock of their own: each run once over a day on which nobody",
        "is due (its fixed cost: the checkpoint read and advanced, one day of the 8-shard index; for",
        "expiry, fanned out, each shard's own checkpoint, and the sunset check) and once over a day on",
        "which all of them are due; the difference, divided by the members, is the per-member row (the",
        "index pages are keys only and shared; each page of keys is read back from the table in one",
        "batch).",
        "",
        "### The items an earn writes (one TransactWriteItems)",
        "",
        *_items_table(figures.earn_items),
        "",
        "DynamoDB Local's transaction accounting is not AWS's: a one-item TransactWriteItems of a",
        "100-byte item reports 4 units there, where AWS documents 2 (prepare and commit, per started",
        "KB); Local also charges the index write at the transactional rate. Every item an earn writes",
        "is under 1 KB, so the floor for three items in a transaction is 6. Every index of the table",
        "holds keys only, so an earn that leaves the member's index keys alone (the next expiry date,",
        "the birthday, the tier review date: most earns) writes to no index; with whole-item copies",
        "each index a member sits in (expiry, birthday, tier review) added 1 unit to every earn. An",
        "earn that moves the member's next expiry date (its first dated points) adds 2: the old key's",
        "entry deleted, the new one put.",
        "",
        "### The items a redemption writes (one TransactWriteItems)",
        "",
        *_items_table(items),
        "",
        f"A redemption writes {len(items.sizes)} items in one transaction: "
        f"{items.total_units} write units by AWS's rules for the",
        f"measured sizes, {redemption.write_units:g} as DynamoDB Local counts them. Local appears to size a "
        "transaction as a",
        "whole (4 units per started KB of all its items together, 4 per index copy), so for many small",
        "items it counts less than AWS, for one item twice as much. The two updates are billed on the",
        "larger of the item before and after (sized here after). A reward without stock is still",
        "updated (it counts what was redeemed), and the member's count of it is written whatever the",
        "limit. The member's index entries (expiry, birthday, tier review) hold keys only and are not",
        "rewritten by a posting that leaves those keys alone.",
        "",
    ]


# Earn's cold import ratios (tracing off, X-Ray on) measured on the trees before and after the
# issue 19 changes, alternately in one run: the before figure cannot be re-measured from this tree.
IMPORT_BEFORE_19 = (2.13, 2.15)
IMPORT_AFTER_19 = (1.99, 2.17)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny parameters, print only")
    parser.add_argument(
        "--operations",
        action="store_true",
        help="only the DynamoDB cost per operation: print it, write nothing",
    )
    arguments = parser.parse_args(argv)
    if arguments.operations:
        with bench_table() as table:
            print("\n".join(operations_section(measure_operations(table))))
        return
    quick = arguments.quick
    started = time.perf_counter()
    seconds = 0.5 if quick else 15.0

    cpu = measure_cpu(invocations=20 if quick else 3000, warmup=5 if quick else 100)
    with bench_table() as table:
        figures = measure_operations(table)
        queue = measure_queue_units(table)
        runs = [measure_throughput(table, 1, seconds), measure_throughput(table, 8, seconds)]
        runs.append(measure_throughput(table, 8, seconds / 3, hot=True))
        webhooks = measure_webhooks(table, events=5 if quick else 200)
        report_figures = measure_reports(table, 20 if quick else 200, 2 if quick else 5)
    imports = measure_imports(runs=1, functions=("earn",)) if quick else measure_imports(runs=7)

    measured_lines, plan = million_earns(
        queue.read_units,
        queue.write_units,
        cpu.queue_cpu_ms,
        runs[0].client_cpu_ms,
        cpu.log_bytes_per_queued_earn,
    )
    aws_units = figures.earn_items.total_units
    documented_lines, _ = million_earns(
        2, aws_units, cpu.queue_cpu_ms, runs[0].client_cpu_ms, cpu.log_bytes_per_queued_earn
    )
    measured_total = sum(line.dollars for line in measured_lines)
    documented_total = sum(line.dollars for line in documented_lines)
    earn = next(row for row in figures.rows if row.name == "earn (purchase)")
    earn_ratio = next(ratio for name, _, ratio in imports if name.startswith("functions/earn ("))
    traced_ratio = next(ratio for name, _, ratio in imports if "tracing on" in name)

    lines = [
        "# Benchmark results",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} ({_cpu_model()}), "
        f"{os.cpu_count()} cores shared with other jobs, Linux, Python {platform.python_version()}, "
        f"DynamoDB Local 1.25 on Java, by `make bench` ({time.perf_counter() - started:.0f} s).",
        "",
        "## Against the targets (issue 7)",
        "",
        "| figure | measured | target | |",
        "|---|---:|---:|---|",
        f"| earn round trips | {earn.round_trips} | {TARGET_EARN_ROUND_TRIPS} | "
        f"{'met' if earn.round_trips <= TARGET_EARN_ROUND_TRIPS else 'missed'} |",
        f"| earn write units, DynamoDB Local | {earn.write_units:g} | {TARGET_EARN_WRITE_UNITS} | "
        f"{'met' if earn.write_units <= TARGET_EARN_WRITE_UNITS else 'missed'} |",
        f"| earn write units, measured item sizes priced by AWS's rules | {aws_units} | "
        f"{TARGET_EARN_WRITE_UNITS} | {'met' if aws_units <= TARGET_EARN_WRITE_UNITS else 'missed'} |",
        f"| cold import, earn (tracing off) | {earn_ratio:.2f}x | {TARGET_IMPORT_RATIO}x | "
        f"{'met' if earn_ratio <= TARGET_IMPORT_RATIO else 'missed'} |",
        f"| cold import, earn in Lambda (X-Ray on) | {traced_ratio:.2f}x | {TARGET_IMPORT_RATIO}x | "
        f"{'met' if traced_ratio <= TARGET_IMPORT_RATIO else 'missed'} |",
        f"| warm earn CPU over HTTP, store stubbed | {cpu.http_cpu_ms:.2f} ms | {TARGET_CPU_MS} ms | "
        f"{'met' if cpu.http_cpu_ms <= TARGET_CPU_MS else 'missed'} |",
        f"| warm earn CPU through the queue, store stubbed | {cpu.queue_cpu_ms:.2f} ms | "
        f"{TARGET_CPU_MS} ms | "
        f"{'met' if cpu.queue_cpu_ms <= TARGET_CPU_MS else 'missed'} |",
        f"| 1M queued earns, units as DynamoDB Local measured them | ${measured_total:.2f} | "
        f"${TARGET_DOLLARS:.2f} | {'met' if measured_total <= TARGET_DOLLARS else 'missed'} |",
        f"| 1M queued earns, units by AWS's rules for the measured sizes | ${documented_total:.2f} | "
        f"${TARGET_DOLLARS:.2f} | {'met' if documented_total <= TARGET_DOLLARS else 'missed'} |",
        "",
        *operations_section(figures),
        "## Warm handler CPU per earn (store stubbed)",
        "",
        f"`time.process_time()` over {cpu.invocations} warm invocations of functions/earn's handler with",
        "an API Gateway HTTP API v2 event, and over the same number of earns in SQS batches of",
        f"{cpu.batch_size} (the template's batch size). DynamoDB answered by an in-memory fake: our code,",
        "powertools and pydantic only (no botocore). Logs and EMF at INFO, as deployed.",
        "",
        "| path | CPU per earn | log bytes per earn |",
        "|---|---:|---:|",
        f"| POST /v1/purchases (one invocation per earn) | {cpu.http_cpu_ms:.2f} ms | |",
        f"| SQS batch of {cpu.batch_size} | {cpu.queue_cpu_ms:.2f} ms "
        f"| {cpu.log_bytes_per_queued_earn:.0f} |",
        "",
        "## Earn throughput on DynamoDB Local",
        "",
        "Worker threads, each with its own Context and boto3 client, earning for a bounded time",
        "(operations.purchases.record_purchase, the path both the route and the queue call). This",
        "machine's 2 cores also run DynamoDB Local, so these figures bound the code, not AWS.",
        "",
        "| run | earns | seconds | earns/s | p50 | p99 | transactions per earn | gave up "
        "| client CPU per earn |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        *[
            f"| {run.label} | {run.earns} | {run.seconds:.1f} | {run.per_second:.1f} | {run.p50_ms:.1f} ms | "
            f"{run.p99_ms:.1f} ms | {run.attempts_per_earn:.2f} | {run.gave_up} "
            f"| {run.client_cpu_ms:.2f} ms |"
            for run in runs
        ],
        "",
        "'Gave up' earns outlived every optimistic retry (TransientError); through the queue SQS",
        "would redeliver them. Client CPU per earn (1 worker) is this process's CPU: our code,",
        "botocore and HTTP, DynamoDB Local excluded; the cost model uses it.",
        "",
        f"## AWS cost of 1M earns through the queue ({prices.REGION}, on-demand, "
        f"prices of {prices.PRICES_AS_OF})",
        "",
        f"Queue consumer path on DynamoDB Local: {queue.calls}, {queue.read_units:g} read and "
        f"{queue.write_units:g} write units per earn. Prices are the named constants in bench/prices.py,",
        "from the AWS pricing pages for DynamoDB (on-demand), Lambda, SQS, EventBridge, CloudWatch and",
        "X-Ray, as known on that date; no free tier, no savings plans.",
        "",
        f"Lambda duration: client CPU per earn ({runs[0].client_cpu_ms:.2f} ms measured, at a full core)",
        f"times {plan['slowdown']:.2f} (at {plan['memory']} MB Lambda gives "
        f"{plan['memory']}/1769 of a vCPU),",
        "plus stated in-region waits of 5 ms (BatchGetItem) and 12 ms (TransactWriteItems); the",
        "publisher: 1 ms CPU per stream record at a full core, 15 ms per PutEvents (both stated).",
        "",
        "| item | quantity | units measured on Local | units by AWS's rules |",
        "|---|---|---:|---:|",
        *[
            f"| {measured.item} | {_quantity(measured.quantity, documented.quantity)} "
            f"| ${measured.dollars:.3f} | ${documented.dollars:.3f} |"
            for measured, documented in zip(measured_lines, documented_lines, strict=True)
        ],
        f"| **total per million earns** | | **${measured_total:.2f}** | **${documented_total:.2f}** |",
        "",
        "Not per earn, so left out: storage (an earn keeps a ledger entry and an operation record,",
        "about 1 KB, at $0.25 per GB-month plus point-in-time recovery), custom metrics (per metric",
        "per month), Lambda's idle polling of the queue, and API Gateway (the queue path has none).",
        "",
        *webhook_section(webhooks),
        "## Cold import (median CPU seconds of 7 fresh interpreters, module import + first DynamoDB client)",
        "",
        "| module | seconds | ratio to bare boto3 + client |",
        "|---|---:|---:|",
        *[f"| {name} | {seconds:.3f} | {ratio:.2f} |" for name, seconds, ratio in imports],
        "",
        "Tracing off (tests, the local stack, bench): loyalty.observability no longer builds a",
        "disabled Tracer, which imported the X-Ray SDK and built its recorder (about 0.6 s) to record",
        "nothing. In Lambda the Tracer is real and the X-Ray SDK is part of every cold start, so the",
        "X-Ray row is also the figure before that change. The 3.4x of the previous results was wall",
        "time; on this shared machine CPU time is the steadier measure, and still moves by about",
        "0.3x between runs under other jobs' load.",
        "",
        "Issue 19 (before, after; earn, tracing off / X-Ray on; the two trees measured alternately, "
        "11 fresh interpreters each, one run under load 10): "
        f"{IMPORT_BEFORE_19[0]:.2f}x / {IMPORT_BEFORE_19[1]:.2f}x before, "
        f"{IMPORT_AFTER_19[0]:.2f}x / {IMPORT_AFTER_19[1]:.2f}x after, and {earn_ratio:.2f}x / "
        f"{traced_ratio:.2f}x in this run. The changes: the program model's nested defaults are "
        "factories (a default instance built every model's validator at import, defeating "
        "`defer_build`), the settings models defer their build, and the earn function imports "
        "powertools' batch utility and the queue consumer on its first queue event only. What is "
        "left is the floor of the libraries themselves: pydantic alone is about 0.35x, powertools' "
        "logger, metrics and event handler about 0.4x, and creating some 60 model classes and 27 "
        "dataclasses about 0.3x. The HTTP functions but the authorizer (earn included) now run "
        "with SnapStart (template.yaml): their initialisation, imports included, happen when a "
        "version is published and new execution "
        "environments resume from the snapshot, which is what takes the import off the cold path; "
        "this machine cannot measure a restore.",
        "",
        "## Closing notes: where targets are missed, by how much and why",
        "",
        f"- Earn write units: {aws_units} by AWS's rules for the measured item sizes, against "
        f"{TARGET_EARN_WRITE_UNITS} ({aws_units - TARGET_EARN_WRITE_UNITS:+d}): three items under 1 KB, no "
        f"index written (see above). DynamoDB Local reports {earn.write_units:g}: it charges a "
        "transaction by another rule.",
        f"- Cold import: earn at {earn_ratio:.2f}x with tracing off and {traced_ratio:.2f}x "
        "in Lambda with X-Ray, "
        f"against {TARGET_IMPORT_RATIO}x ({earn_ratio / TARGET_IMPORT_RATIO:.1f} and "
        f"{traced_ratio / TARGET_IMPORT_RATIO:.1f} times the target). What is left is pydantic and building "
        "the models (models/api.py and models/program.py), powertools' logger, metrics, batch "
        "(which imports asyncio) and event handler, and in Lambda the X-Ray SDK with its botocore "
        "patching; `python -X importtime -c 'import functions.earn.app'` shows each. The nested "
        "defaults no longer defeat `defer_build` and the queue machinery is imported on first use "
        "(issue 19, in the cold import section); the rest is the libraries' own import, which "
        "SnapStart on the HTTP functions takes off the cold path rather than shrinks.",
        f"- Cost: ${measured_total:.2f} per million queued earns with Local's units, ${documented_total:.2f} "
        f"with AWS's rules, against ${TARGET_DOLLARS:.2f}. DynamoDB writes alone are "
        f"${documented_lines[0].dollars:.2f} by AWS's rules (even 6 units would be "
        f"${6 * prices.DYNAMODB_PER_MILLION_WRITE_UNITS:.2f}), and the points.earned event $1.00: the target "
        "cannot be met at on-demand prices with a three-item transaction per earn. Provisioned capacity "
        "for steady traffic, or a lower X-Ray sampling rate, are the levers outside the code.",
        "- Warm CPU figures move with this shared machine's load (the same run measured 0.9 to 1.8 ms "
        "per HTTP earn during this work); they stay under the 2 ms target throughout.",
        "",
    ]
    lines += ["", *reports_section(report_figures)]
    report = "\n".join(lines)
    print(report)
    if not quick:
        from bench.exports import preserved_section  # measured by `python -m bench.exports`, kept
        from bench.import_jobs import preserved_section as preserved_imports  # `python -m bench.import_jobs`

        kept = "\n\n".join(section for section in (preserved_section(), preserved_imports()) if section)
        (ROOT / "bench" / "results.md").write_text(report + (f"\n{kept}\n" if kept else ""))


if __name__ == "__main__":
    main()
