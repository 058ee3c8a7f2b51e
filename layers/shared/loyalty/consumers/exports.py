"""The export workers: each message is one chunk of one export (walked from its checkpoint until
done or nearly out of time, then put back on the queue) or the export's `finish` step.

A message that can never succeed is dead-lettered with its reason; a business refusal (the tenant
is gone) fails the job at once; anything else raises so SQS redelivers it, and on its last
delivery the job is marked failed before the message goes to the dead-letter queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from functools import lru_cache

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from loyalty.consumers.poison import dead_letter, invalid_body
from loyalty.errors import LoyaltyError
from loyalty.models.exports import ExportMessage
from loyalty.observability import count, logger
from loyalty.operations import exports
from loyalty.operations.context import Context, default_context
from loyalty.settings import get_settings
from loyalty.store.export_files import ExportFiles
from loyalty.store.messaging import DeadLetterQueue, WorkQueue

MAX_RECEIVES = 5  # the export queue's maxReceiveCount (template.yaml): the last delivery fails the job


@lru_cache(maxsize=1)
def default_exports() -> exports.Exports:
    settings = get_settings()
    return exports.Exports(
        store=default_context().exports,
        files=ExportFiles(settings.export_bucket),
        queue=WorkQueue(settings.export_queue_url),
    )


@lru_cache(maxsize=1)
def default_export_dead_letters() -> DeadLetterQueue:
    return DeadLetterQueue(get_settings().export_dlq_url)


def work(
    record: SQSRecord,
    should_stop: Callable[[], bool] = lambda: False,
    *,
    context: Context | None = None,
    services: exports.Exports | None = None,
    dead_letters: DeadLetterQueue | None = None,
) -> None:
    try:
        message = ExportMessage.model_validate_json(record.body)
    except ValidationError as error:
        return dead_letter(
            dead_letters or default_export_dead_letters(),
            record,
            *invalid_body(error, record.body),
            what="export",
        )
    context, services = context or default_context(), services or default_exports()
    try:
        _step(context, services, message, should_stop)
    except LoyaltyError as refused:
        exports.fail(context, services, message, f"{refused.title}: {refused.detail}")
        logger.warning("export failed", extra={"export_id": message.export_id, "reason": refused.detail})
    except Exception as error:
        if int(record.attributes.approximate_receive_count or 1) >= MAX_RECEIVES:
            exports.fail(context, services, message, f"gave up after {MAX_RECEIVES} attempts: {error}")
        raise
    return None


def _step(
    context: Context, services: exports.Exports, message: ExportMessage, should_stop: Callable[[], bool]
) -> None:
    if message.step == "finish":
        if exports.finish(context, services, message):
            count("ExportsDone")
        return
    report = exports.run_chunk(context, services, message, should_stop=should_stop)
    if report.stopped:  # out of time, not out of work: the rest of the chunk goes round again
        services.queue.send([message.model_dump_json()])
    if report.job_complete:
        services.queue.send([message.model_copy(update={"step": "finish", "chunk": 0}).model_dump_json()])
    count("ExportRows", report.rows)
    logger.info(
        "export chunk", extra={"export_id": message.export_id, "chunk": message.chunk, **asdict(report)}
    )
