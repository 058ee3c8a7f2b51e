"""The reports invariant: once the table stream has drained through the ReportAggregator (with
faults on: conflicts, throttles, responses lost after a commit, batches cut and delivered again,
shards in any order), each tenant's reported liability equals the sum of its members' available +
pending + held + withheld, and its member count the members enrolled."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

import boto3

from infra.events import lambda_stream_record
from infra.local.filters import record_passes
from infra.template_model import load_template
from loyalty.consumers.report_aggregates import count_batch
from loyalty.operations import reports
from loyalty.store.report_store import ReportStore
from tests.simulation.observe import violation

if TYPE_CHECKING:
    from tests.simulation.simulator import Simulator

REPORT_LIABILITY = (
    "report liability = members' available + pending + held + withheld, once the stream drained"
)
MAX_ATTEMPTS = 200


def stream_by_shard(sim: Simulator) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    endpoint = sim.aws.dynamodb.meta.endpoint_url
    streams = boto3.client(
        "dynamodbstreams", endpoint_url=endpoint, region_name=sim.aws.dynamodb.meta.region_name
    )
    arn = sim.aws.dynamodb.describe_table(TableName=sim.aws.table_name)["Table"]["LatestStreamArn"]
    [source] = load_template().function("ReportAggregatorFunction").stream_sources
    shards: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            got = streams.get_records(ShardIterator=iterator, Limit=1000)
            records = [lambda_stream_record(record) for record in got.get("Records", [])]
            shards[shard["ShardId"]] += [r for r in records if record_passes(source.filter_patterns, r)]
            iterator = got.get("NextShardIterator") if records else None
    return arn, dict(shards)


def deliver_stream(sim: Simulator, counts: Counter[str]) -> None:
    """Lambda's event source mapping, with its at-least-once habits, on the simulation's seed: each
    shard in batches of random size, the shards interleaved at random; a batch that fails (an
    exception, a reported failure) is delivered again from its first unapplied record; a batch
    that succeeded is sometimes delivered again anyway."""
    arn, shards = stream_by_shard(sim)
    store = ReportStore(sim.context.ledger.table_name, sim.context.ledger.client)
    positions = {shard: 0 for shard in shards}
    sim.wire.enabled = True  # faults on
    try:
        while live := [shard for shard, records in shards.items() if positions[shard] < len(records)]:
            shard = sim.rng.choice(sorted(live))
            records, start = shards[shard], positions[shard]
            batch = records[start : start + sim.rng.randint(1, 40)]
            for _ in range(MAX_ATTEMPTS):
                event = {"Records": batch, "eventSourceARN": arn, "shardId": shard, "state": {}}
                try:
                    result = count_batch(event, sim.context, store)
                except Exception:
                    counts["report batches failed and retried"] += 1
                    continue
                failed = result["batchItemFailures"]
                if failed:
                    counts["report batches partly failed"] += 1
                    first = next(
                        i
                        for i, r in enumerate(batch)
                        if r["dynamodb"]["SequenceNumber"] == failed[0]["itemIdentifier"]
                    )
                    batch = batch[first:]
                    continue
                if sim.rng.random() < 0.25:
                    counts["report batches delivered twice"] += 1
                    continue
                break
            else:
                raise violation(REPORT_LIABILITY, f"a stream batch of shard {shard} never went through")
            positions[shard] = records.index(batch[-1]) + 1
            counts["report batches"] += 1
    finally:
        sim.wire.enabled = False
        sim.report.faults.update(fault.kind for fault in sim.wire.faults)


def check_report_liability(sim: Simulator) -> str:
    counts: Counter[str] = Counter()
    deliver_stream(sim, counts)
    by_tenant: dict[str, list[str]] = defaultdict(list)
    for tenant_id, member_id in sorted(sim.model.members):
        by_tenant[tenant_id].append(member_id)
    for tenant_id, member_ids in sorted(by_tenant.items()):
        total = 0
        for member_id in member_ids:
            item = (
                sim.aws.dynamodb.get_item(
                    TableName=sim.aws.table_name,
                    Key={"PK": {"S": f"T#{tenant_id}#M#{member_id}"}, "SK": {"S": "MEMBER"}},
                    ConsistentRead=True,
                ).get("Item")
                or {}
            )
            total += sum(
                int(item.get(name, {}).get("N", "0")) for name in ("available", "pending", "held", "withheld")
            )
        summary = reports.summary(sim.context, tenant_id, date(2020, 1, 1), date(2020, 1, 1))
        if summary["liability"]["points"] != total or summary["members"]["total"] != len(member_ids):
            raise violation(
                REPORT_LIABILITY,
                f"tenant {tenant_id}: the report says {summary['liability']['points']} points over "
                f"{summary['members']['total']} members, the members hold {total} over {len(member_ids)}",
            )
        counts["tenants whose report liability was checked"] += 1
    sim.report.counts.update(counts)
    return f"report liability of {len(by_tenant)} tenants = their members' balances"
