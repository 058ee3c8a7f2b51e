"""The table stream as Lambda would deliver it to a function: records in the Lambda shape, from
moto (in process) or DynamoDB Local, kept only when they pass the function's template filter."""

from __future__ import annotations

from typing import Any

import boto3

from infra.events import dynamodb_stream_event, lambda_stream_record
from infra.local.filters import record_passes
from infra.template_model import load_template
from tests.support.backends import Aws

# In process, moto answers the streams API on its classic endpoint (the default one is newer).
MOTO_STREAMS = "https://streams.dynamodb.us-east-1.amazonaws.com"


def stream_records(aws: Aws, endpoint: str | None, function_id: str) -> tuple[str, list[dict[str, Any]]]:
    """(stream ARN, every record of every shard in shard order) that the function's filter passes."""
    streams = boto3.client("dynamodbstreams", endpoint_url=endpoint or MOTO_STREAMS)
    arn = aws.dynamodb.describe_table(TableName=aws.table_name)["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = streams.get_records(ShardIterator=iterator, Limit=1000)
            got = response.get("Records", [])
            records += [lambda_stream_record(record) for record in got]
            iterator = response.get("NextShardIterator") if got else None
    [source] = load_template().function(function_id).stream_sources
    return arn, [record for record in records if record_passes(source.filter_patterns, record)]


def windowed_event(records: list[dict[str, Any]], arn: str, shard_id: str) -> dict[str, Any]:
    """A batch as Lambda sends it to a source with a tumbling window (it names the shard)."""
    return {
        **dynamodb_stream_event(records, arn),
        "eventSourceARN": arn,
        "shardId": shard_id,
        "window": {"start": "2026-12-04T00:00:00Z", "end": "2026-12-04T00:01:00Z"},
        "state": {},
        "isFinalInvokeForWindow": False,
        "isWindowTerminatedEarly": False,
    }
