"""The expiry workers: each message is one shard of one expiry run (`loyalty.operations.expiry`).

A shard is walked from its checkpoint; a worker nearly out of time stops on a date boundary and
puts its shard back on the queue, so a long shard finishes over several invocations without
waiting for tomorrow's schedule. A message that can never succeed is dead-lettered with its
reason; anything else that fails raises, and SQS redelivers it (the walk does nothing twice)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from functools import lru_cache

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from loyalty.consumers.poison import dead_letter, invalid_body
from loyalty.models.jobs import ExpiryShardMessage
from loyalty.observability import count, logger
from loyalty.operations.context import Context, default_context, default_jobs
from loyalty.operations.expiry import run_expiry_shard
from loyalty.settings import get_settings
from loyalty.store.job_store import JobStore
from loyalty.store.messaging import DeadLetterQueue, WorkQueue


@lru_cache(maxsize=1)
def default_shard_queue() -> WorkQueue:
    return WorkQueue(get_settings().expiry_queue_url)


@lru_cache(maxsize=1)
def default_shard_dead_letters() -> DeadLetterQueue:
    return DeadLetterQueue(get_settings().expiry_dlq_url)


def drain_shard(
    record: SQSRecord,
    should_stop: Callable[[], bool] = lambda: False,
    *,
    context: Context | None = None,
    jobs: JobStore | None = None,
    shards: WorkQueue | None = None,
    dead_letters: DeadLetterQueue | None = None,
) -> None:
    try:
        message = ExpiryShardMessage.model_validate_json(record.body)
    except ValidationError as error:
        return dead_letter(
            dead_letters or default_shard_dead_letters(),
            record,
            *invalid_body(error, record.body),
            what="expiry shard",
        )
    report = run_expiry_shard(
        context or default_context(),
        jobs or default_jobs(),
        message.now,
        message.shard,
        should_stop=should_stop,
    )
    if report.shards_stopped:  # out of time, not out of work: the rest of the shard goes round again
        (shards or default_shard_queue()).send([message.model_dump_json()])
    count("PointsExpired", report.points_expired)
    logger.info("expiry shard", extra={"shard": message.shard, **asdict(report)})
    return None
